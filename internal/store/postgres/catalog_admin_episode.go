package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

const episodeNotFound = "Episode not found"

const episodeColumns = `e.id, e.anime_id, e.number, e.title, e.source_episode_id, e.is_active, e.admin_modified,
	e.created_at, e.updated_at`

// adminEpisodeColumns are an episode's columns and whether it has an
// active source.
const adminEpisodeColumns = episodeColumns +
	`, EXISTS (SELECT 1 FROM video_sources v WHERE v.episode_id = e.id AND v.is_active)`

// episodeDest are the scan destinations of episodeColumns.
func episodeDest(e *domain.Episode) []any {
	return []any{&e.ID, &e.AnimeID, &e.Number, &e.Title, &e.SourceEpisodeID, &e.Active, &e.AdminModified,
		&e.CreatedAt, &e.UpdatedAt}
}

func scanEpisode(row pgx.Row) (domain.Episode, error) {
	var e domain.Episode
	err := row.Scan(episodeDest(&e)...)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, err
}

func scanAdminEpisode(row pgx.Row) (domain.AdminEpisode, error) {
	var e domain.AdminEpisode
	err := row.Scan(append(episodeDest(&e.Episode), &e.HasVideo)...)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, err
}

// AdminEpisodes implements domain.CatalogAdminStore in one round trip.
func (s *Store) AdminEpisodes(ctx context.Context, animeID string) ([]domain.AdminEpisode, error) {
	if err := checkID(animeID, animeNotFound); err != nil {
		return nil, err
	}
	var found bool
	out := []domain.AdminEpisode{}
	b := &pgx.Batch{}
	b.Queue(`SELECT EXISTS (SELECT 1 FROM anime WHERE id = $1)`, animeID).QueryRow(func(row pgx.Row) error {
		return row.Scan(&found)
	})
	b.Queue(`SELECT `+adminEpisodeColumns+` FROM episodes e WHERE e.anime_id = $1 ORDER BY e.number, e.id`, animeID).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				e, err := scanAdminEpisode(rows)
				if err != nil {
					return err
				}
				out = append(out, e)
			}
			return rows.Err()
		})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("admin episodes: %w", mapErr(err))
	}
	if !found {
		return nil, domain.E(domain.KindNotFound, animeNotFound)
	}
	return out, nil
}

// CreateEpisode implements domain.CatalogAdminStore. The anime is also the
// episode's origin, so the parser finds it under its source episode id.
func (s *Store) CreateEpisode(ctx context.Context, e domain.NewEpisode, now time.Time, audit *domain.AuditEntry) (domain.AdminEpisode, error) {
	var out domain.AdminEpisode
	err := s.edit(ctx, now, audit, func(tx pgx.Tx) (string, map[string]any, error) {
		if err := checkID(e.AnimeID, animeNotFound); err != nil {
			return "", nil, err
		}
		var err error
		out, err = scanAdminEpisode(tx.QueryRow(ctx, `
			INSERT INTO episodes AS e (id, anime_id, origin_anime_id, number, title, source_episode_id, is_active,
				admin_modified, created_at, updated_at)
			VALUES ($1, $2, $2, $3, $4, $5, $6, true, $7, $7)
			RETURNING `+adminEpisodeColumns,
			domain.NewUUID(), e.AnimeID, e.Number, e.Title, e.SourceEpisodeID, e.Active, now))
		if err != nil {
			return "", nil, editErr(err, animeNotFound, "Episode already exists: "+e.SourceEpisodeID)
		}
		return out.ID, catalogdiff.Diff(nil, catalogdiff.EpisodeValues(out.Episode)), nil
	})
	if err != nil {
		return domain.AdminEpisode{}, fmt.Errorf("create episode: %w", err)
	}
	return out, nil
}

// UpdateEpisode implements domain.CatalogAdminStore.
func (s *Store) UpdateEpisode(ctx context.Context, id string, p domain.EpisodePatch, now time.Time, audit *domain.AuditEntry) (domain.AdminEpisode, error) {
	out, err := s.changeEpisode(ctx, id, now, audit, func(e *domain.Episode) error {
		*e = catalogdiff.PatchEpisode(*e, p)
		return nil
	})
	if err != nil {
		return domain.AdminEpisode{}, fmt.Errorf("update episode: %w", err)
	}
	return out, nil
}

// AttachEpisode implements domain.CatalogAdminStore. The episode keeps the
// anime it was imported under (origin_anime_id), the parser's key.
func (s *Store) AttachEpisode(ctx context.Context, id, animeID string, now time.Time, audit *domain.AuditEntry) (domain.AdminEpisode, error) {
	out, err := s.changeEpisode(ctx, id, now, audit, func(e *domain.Episode) error {
		e.AnimeID = animeID
		return checkID(animeID, animeNotFound)
	})
	if err != nil {
		return domain.AdminEpisode{}, fmt.Errorf("attach episode: %w", err)
	}
	return out, nil
}

// changeEpisode locks the episode, lets patch change it and writes what
// changed. A new anime that does not exist is KindNotFound.
func (s *Store) changeEpisode(ctx context.Context, id string, now time.Time, audit *domain.AuditEntry,
	patch func(*domain.Episode) error) (domain.AdminEpisode, error) {
	var out domain.AdminEpisode
	err := s.edit(ctx, now, audit, func(tx pgx.Tx) (string, map[string]any, error) {
		if err := checkID(id, episodeNotFound); err != nil {
			return "", nil, err
		}
		old, err := scanAdminEpisode(tx.QueryRow(ctx, `SELECT `+adminEpisodeColumns+` FROM episodes e WHERE e.id = $1 FOR UPDATE`, id))
		if err != nil {
			return "", nil, notFound(err, episodeNotFound)
		}
		out = old
		if err := patch(&out.Episode); err != nil {
			return "", nil, err
		}
		changes := catalogdiff.Diff(catalogdiff.EpisodeValues(old.Episode), catalogdiff.EpisodeValues(out.Episode))
		if len(changes) == 0 {
			return id, changes, nil
		}
		out, err = scanAdminEpisode(tx.QueryRow(ctx, `
			UPDATE episodes AS e SET anime_id = $2, number = $3, title = $4, is_active = $5, admin_modified = true,
				updated_at = $6
			WHERE e.id = $1
			RETURNING `+adminEpisodeColumns,
			id, out.AnimeID, out.Number, out.Title, out.Active, now))
		if err != nil {
			return "", nil, notFound(err, animeNotFound) // the only key it can miss
		}
		return id, changes, nil
	})
	return out, err
}
