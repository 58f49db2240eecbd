package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

const videoNotFound = "Video source not found"

// videoTaken is the message of a source its episode already has.
const videoTaken = "Video source already exists: the episode has one of that source name and URL"

const videoColumns = `v.id, v.episode_id, v.type, v.url, v.source_name, v.priority, v.is_active, v.admin_modified,
	v.created_at, v.updated_at`

func scanVideo(row pgx.Row) (domain.VideoSource, error) {
	var v domain.VideoSource
	err := row.Scan(&v.ID, &v.EpisodeID, &v.Type, &v.URL, &v.SourceName, &v.Priority, &v.Active, &v.AdminModified,
		&v.CreatedAt, &v.UpdatedAt)
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return v, err
}

// AdminVideos implements domain.CatalogAdminStore in one round trip.
func (s *Store) AdminVideos(ctx context.Context, episodeID string) ([]domain.VideoSource, int, error) {
	if err := checkID(episodeID, episodeNotFound); err != nil {
		return nil, 0, err
	}
	number := -1
	out := []domain.VideoSource{}
	b := &pgx.Batch{}
	b.Queue(`SELECT number FROM episodes WHERE id = $1`, episodeID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&number); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	b.Queue(`SELECT `+videoColumns+` FROM video_sources v WHERE v.episode_id = $1 ORDER BY v.priority DESC, v.id`, episodeID).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				v, err := scanVideo(rows)
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			return rows.Err()
		})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, 0, fmt.Errorf("admin videos: %w", mapErr(err))
	}
	if number < 0 {
		return nil, 0, domain.E(domain.KindNotFound, episodeNotFound)
	}
	return out, number, nil
}

// CreateVideo implements domain.CatalogAdminStore.
func (s *Store) CreateVideo(ctx context.Context, v domain.VideoSource, now time.Time, audit *domain.AuditEntry) (domain.VideoSource, error) {
	var out domain.VideoSource
	err := s.edit(ctx, now, audit, func(tx pgx.Tx) (string, map[string]any, error) {
		if err := checkID(v.EpisodeID, episodeNotFound); err != nil {
			return "", nil, err
		}
		var err error
		out, err = scanVideo(tx.QueryRow(ctx, `
			INSERT INTO video_sources AS v (id, episode_id, type, url, source_name, priority, is_active, admin_modified,
				created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $8)
			RETURNING `+videoColumns,
			domain.NewUUID(), v.EpisodeID, v.Type, v.URL, v.SourceName, v.Priority, v.Active, now))
		if err != nil {
			return "", nil, editErr(err, episodeNotFound, videoTaken)
		}
		return out.ID, catalogdiff.Diff(nil, catalogdiff.VideoValues(out)), nil
	})
	if err != nil {
		return domain.VideoSource{}, fmt.Errorf("create video source: %w", err)
	}
	return out, nil
}

// UpdateVideo implements domain.CatalogAdminStore.
func (s *Store) UpdateVideo(ctx context.Context, id string, p domain.VideoPatch, now time.Time, audit *domain.AuditEntry) (domain.VideoSource, error) {
	var out domain.VideoSource
	err := s.edit(ctx, now, audit, func(tx pgx.Tx) (string, map[string]any, error) {
		if err := checkID(id, videoNotFound); err != nil {
			return "", nil, err
		}
		old, err := scanVideo(tx.QueryRow(ctx, `SELECT `+videoColumns+` FROM video_sources v WHERE v.id = $1 FOR UPDATE`, id))
		if err != nil {
			return "", nil, notFound(err, videoNotFound)
		}
		out = catalogdiff.PatchVideo(old, p)
		changes := catalogdiff.Diff(catalogdiff.VideoValues(old), catalogdiff.VideoValues(out))
		if len(changes) == 0 {
			return id, changes, nil
		}
		out, err = scanVideo(tx.QueryRow(ctx, `
			UPDATE video_sources AS v SET type = $2, url = $3, source_name = $4, priority = $5, is_active = $6,
				admin_modified = true, updated_at = $7
			WHERE v.id = $1
			RETURNING `+videoColumns,
			id, out.Type, out.URL, out.SourceName, out.Priority, out.Active, now))
		if err != nil {
			return "", nil, editErr(err, videoNotFound, videoTaken)
		}
		return id, changes, nil
	})
	if err != nil {
		return domain.VideoSource{}, fmt.Errorf("update video source: %w", err)
	}
	return out, nil
}

// DeleteVideo implements domain.CatalogAdminStore. Its audit changes hold
// the deleted source's fields as old values, null as new ones.
func (s *Store) DeleteVideo(ctx context.Context, id string, now time.Time, audit *domain.AuditEntry) error {
	err := s.edit(ctx, now, audit, func(tx pgx.Tx) (string, map[string]any, error) {
		if err := checkID(id, videoNotFound); err != nil {
			return "", nil, err
		}
		old, err := scanVideo(tx.QueryRow(ctx, `DELETE FROM video_sources v WHERE v.id = $1 RETURNING `+videoColumns, id))
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
