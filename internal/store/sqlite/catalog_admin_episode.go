package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

const episodeNotFound = "Episode not found"

const episodeColumns = `e.id, e.anime_id, e.number, e.title, e.source_episode_id, e.is_active, e.admin_modified,
	e.created_at, e.updated_at`

// adminEpisodeColumns are an episode's columns and whether it has an
// active source.
const adminEpisodeColumns = episodeColumns +
	`, EXISTS (SELECT 1 FROM video_sources v WHERE v.episode_id = e.id AND v.is_active = 1)`

// episodeDest are the scan destinations of episodeColumns.
func episodeDest(e *domain.Episode) []any {
	return []any{&e.ID, &e.AnimeID, &e.Number, &e.Title, &e.SourceEpisodeID, &e.Active, &e.AdminModified,
		timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt}}
}

func scanEpisode(row interface{ Scan(...any) error }) (domain.Episode, error) {
	var e domain.Episode
	return e, mapErr(row.Scan(episodeDest(&e)...))
}

func scanAdminEpisode(row interface{ Scan(...any) error }) (domain.AdminEpisode, error) {
	var e domain.AdminEpisode
	return e, mapErr(row.Scan(append(episodeDest(&e.Episode), &e.HasVideo)...))
}

func adminEpisode(ctx context.Context, db querier, id string) (domain.AdminEpisode, error) {
	e, err := scanAdminEpisode(db.QueryRowContext(ctx, `SELECT `+adminEpisodeColumns+` FROM episodes e WHERE e.id = ?`, id))
	if err != nil {
		return domain.AdminEpisode{}, notFound(err, episodeNotFound)
	}
	return e, nil
}

// AdminEpisodes implements domain.CatalogAdminStore from one read
// transaction.
func (s *Store) AdminEpisodes(ctx context.Context, animeID string) ([]domain.AdminEpisode, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("admin episodes: %w", mapErr(err))
	}
	defer tx.Rollback()
	if _, err := animeByID(ctx, tx, animeID); err != nil {
		return nil, fmt.Errorf("admin episodes: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+adminEpisodeColumns+` FROM episodes e WHERE e.anime_id = ? ORDER BY e.number, e.id`, animeID)
	if err != nil {
		return nil, fmt.Errorf("admin episodes: %w", mapErr(err))
	}
	list, _, err := collect(rows, maxList, scanAdminEpisode)
	if err != nil {
		return nil, fmt.Errorf("admin episodes: %w", err)
	}
	return list, nil
}

// CreateEpisode implements domain.CatalogAdminStore. The anime is also the
// episode's origin, so the parser finds it under its source episode id;
// the anime has the source episode id when one of its episodes or one
// imported under it (and moved since) has it.
func (s *Store) CreateEpisode(ctx context.Context, e domain.NewEpisode, now time.Time, audit *domain.AuditEntry) (domain.AdminEpisode, error) {
	var out domain.AdminEpisode
	taken := "Episode already exists: " + e.SourceEpisodeID
	err := s.edit(ctx, now, audit, func(tx *sql.Tx) (string, map[string]any, error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM episodes
			WHERE source_episode_id = ?1 AND (anime_id = ?2 OR origin_anime_id = ?2)`, e.SourceEpisodeID, e.AnimeID).Scan(&n); err != nil {
			return "", nil, mapErr(err)
		}
		if n > 0 {
			return "", nil, domain.E(domain.KindConflict, taken)
		}
		id := domain.NewUUID()
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO episodes (id, anime_id, origin_anime_id, number, title, source_episode_id, is_active,
				admin_modified, created_at, updated_at)
			VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)`,
			id, e.AnimeID, e.Number, e.Title, e.SourceEpisodeID, e.Active, ts(now)); err != nil {
			return "", nil, editErr(err, animeNotFound, taken)
		}
		var err error
		if out, err = adminEpisode(ctx, tx, id); err != nil {
			return "", nil, err
		}
		return id, catalogdiff.Diff(nil, catalogdiff.EpisodeValues(out.Episode)), nil
	})
	if err != nil {
		return domain.AdminEpisode{}, fmt.Errorf("create episode: %w", err)
	}
	return out, nil
}

// UpdateEpisode implements domain.CatalogAdminStore.
func (s *Store) UpdateEpisode(ctx context.Context, id string, p domain.EpisodePatch, now time.Time, audit *domain.AuditEntry) (domain.AdminEpisode, error) {
	out, err := s.changeEpisode(ctx, id, now, audit, func(e *domain.Episode) { *e = catalogdiff.PatchEpisode(*e, p) })
	if err != nil {
		return domain.AdminEpisode{}, fmt.Errorf("update episode: %w", err)
	}
	return out, nil
}

// AttachEpisode implements domain.CatalogAdminStore. The episode keeps the
// anime it was imported under (origin_anime_id), the parser's key.
func (s *Store) AttachEpisode(ctx context.Context, id, animeID string, now time.Time, audit *domain.AuditEntry) (domain.AdminEpisode, error) {
	out, err := s.changeEpisode(ctx, id, now, audit, func(e *domain.Episode) { e.AnimeID = animeID })
	if err != nil {
		return domain.AdminEpisode{}, fmt.Errorf("attach episode: %w", err)
	}
	return out, nil
}

// changeEpisode lets patch change the episode and writes what changed. A
// new anime that does not exist is KindNotFound.
func (s *Store) changeEpisode(ctx context.Context, id string, now time.Time, audit *domain.AuditEntry,
	patch func(*domain.Episode)) (domain.AdminEpisode, error) {
	var out domain.AdminEpisode
	err := s.edit(ctx, now, audit, func(tx *sql.Tx) (string, map[string]any, error) {
		old, err := adminEpisode(ctx, tx, id)
		if err != nil {
			return "", nil, err
		}
		out = old
		patch(&out.Episode)
		changes := catalogdiff.Diff(catalogdiff.EpisodeValues(old.Episode), catalogdiff.EpisodeValues(out.Episode))
		if len(changes) == 0 {
			return id, changes, nil
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE episodes SET anime_id = ?, number = ?, title = ?, is_active = ?, admin_modified = 1, updated_at = ?
			WHERE id = ?`, out.AnimeID, out.Number, out.Title, out.Active, ts(now), id); err != nil {
			return "", nil, notFound(err, animeNotFound) // the only key it can miss
		}
		out, err = adminEpisode(ctx, tx, id)
		return id, changes, err
	})
	return out, err
}
