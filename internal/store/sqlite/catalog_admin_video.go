package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

const videoNotFound = "Video source not found"

// videoTaken is the message of a source its episode already has.
const videoTaken = "Video source already exists: the episode has one of that source name and URL"

// videoColumns are unqualified, for RETURNING.
const videoColumns = `id, episode_id, type, url, source_name, priority, is_active, admin_modified, created_at, updated_at`

func scanVideo(row interface{ Scan(...any) error }) (domain.VideoSource, error) {
	var v domain.VideoSource
	err := row.Scan(&v.ID, &v.EpisodeID, &v.Type, &v.URL, &v.SourceName, &v.Priority, &v.Active, &v.AdminModified,
		timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt})
	return v, mapErr(err)
}

func videoByID(ctx context.Context, db querier, id string) (domain.VideoSource, error) {
	v, err := scanVideo(db.QueryRowContext(ctx, `SELECT `+videoColumns+` FROM video_sources WHERE id = ?`, id))
	if err != nil {
		return domain.VideoSource{}, notFound(err, videoNotFound)
	}
	return v, nil
}

// AdminVideos implements domain.CatalogAdminStore from one read
// transaction.
func (s *Store) AdminVideos(ctx context.Context, episodeID string) ([]domain.VideoSource, int, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("admin videos: %w", mapErr(err))
	}
	defer tx.Rollback()
	var number int
	if err := tx.QueryRowContext(ctx, `SELECT number FROM episodes WHERE id = ?`, episodeID).Scan(&number); err != nil {
		return nil, 0, fmt.Errorf("admin videos: %w", notFound(err, episodeNotFound))
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+videoColumns+` FROM video_sources WHERE episode_id = ?
		ORDER BY priority DESC, id`, episodeID)
	if err != nil {
		return nil, 0, fmt.Errorf("admin videos: %w", mapErr(err))
	}
	list, _, err := collect(rows, maxList, scanVideo)
	if err != nil {
		return nil, 0, fmt.Errorf("admin videos: %w", err)
	}
	return list, number, nil
}

// CreateVideo implements domain.CatalogAdminStore.
func (s *Store) CreateVideo(ctx context.Context, v domain.VideoSource, now time.Time, audit *domain.AuditEntry) (domain.VideoSource, error) {
	var out domain.VideoSource
	err := s.edit(ctx, now, audit, func(tx *sql.Tx) (string, map[string]any, error) {
		id := domain.NewUUID()
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO video_sources (id, episode_id, type, url, source_name, priority, is_active, admin_modified,
				created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8)`,
			id, v.EpisodeID, v.Type, v.URL, v.SourceName, v.Priority, v.Active, ts(now)); err != nil {
			return "", nil, editErr(err, episodeNotFound, videoTaken)
		}
		var err error
		if out, err = videoByID(ctx, tx, id); err != nil {
			return "", nil, err
		}
		return id, catalogdiff.Diff(nil, catalogdiff.VideoValues(out)), nil
	})
	if err != nil {
		return domain.VideoSource{}, fmt.Errorf("create video source: %w", err)
	}
	return out, nil
}

// UpdateVideo implements domain.CatalogAdminStore.
func (s *Store) UpdateVideo(ctx context.Context, id string, p domain.VideoPatch, now time.Time, audit *domain.AuditEntry) (domain.VideoSource, error) {
	var out domain.VideoSource
	err := s.edit(ctx, now, audit, func(tx *sql.Tx) (string, map[string]any, error) {
		old, err := videoByID(ctx, tx, id)
		if err != nil {
			return "", nil, err
		}
		out = catalogdiff.PatchVideo(old, p)
		changes := catalogdiff.Diff(catalogdiff.VideoValues(old), catalogdiff.VideoValues(out))
		if len(changes) == 0 {
			return id, changes, nil
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE video_sources SET type = ?, url = ?, source_name = ?, priority = ?, is_active = ?,
				admin_modified = 1, updated_at = ?
			WHERE id = ?`, out.Type, out.URL, out.SourceName, out.Priority, out.Active, ts(now), id); err != nil {
			return "", nil, editErr(err, videoNotFound, videoTaken)
		}
		out, err = videoByID(ctx, tx, id)
		return id, changes, err
	})
	if err != nil {
		return domain.VideoSource{}, fmt.Errorf("update video source: %w", err)
	}
	return out, nil
}

// DeleteVideo implements domain.CatalogAdminStore. Its audit changes hold
// the deleted source's fields as old values, null as new ones.
func (s *Store) DeleteVideo(ctx context.Context, id string, now time.Time, audit *domain.AuditEntry) error {
	err := s.edit(ctx, now, audit, func(tx *sql.Tx) (string, map[string]any, error) {
		old, err := scanVideo(tx.QueryRowContext(ctx, `DELETE FROM video_sources WHERE id = ? RETURNING `+videoColumns, id))
		if err != nil {
			return "", nil, notFound(err, videoNotFound)
		}
		return id, catalogdiff.Diff(catalogdiff.VideoValues(old), nil), nil
	})
	if err != nil {
		return fmt.Errorf("delete video source: %w", err)
	}
	return nil
}
