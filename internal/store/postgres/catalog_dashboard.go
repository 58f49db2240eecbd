package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Dashboard implements domain.CatalogAdminStore in one round trip.
func (s *Store) Dashboard(ctx context.Context) (domain.Dashboard, error) {
	d := domain.Dashboard{SourcesByName: []domain.NamedCount{}, RecentAnime: []domain.Anime{}, RecentEpisodes: []domain.Episode{},
		WithoutSourceAnime: []domain.Anime{}}
	b := &pgx.Batch{}
	b.Queue(`SELECT count(*), count(*) FILTER (WHERE is_active) FROM anime`).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&d.TotalAnime, &d.ActiveAnime)
		d.InactiveAnime = d.TotalAnime - d.ActiveAnime
		return err
	})
	b.Queue(`SELECT count(*), count(*) FILTER (WHERE NOT is_active) FROM episodes`).QueryRow(func(row pgx.Row) error {
		return row.Scan(&d.TotalEpisodes, &d.InactiveEpisodes)
	})
	b.Queue(`SELECT source_name, count(*) FROM video_sources GROUP BY source_name ORDER BY count(*) DESC, source_name`).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var c domain.NamedCount
				if err := rows.Scan(&c.Name, &c.Count); err != nil {
					return err
				}
				d.SourcesByName = append(d.SourcesByName, c)
				d.TotalSources += c.Count
			}
			return rows.Err()
		})
	b.Queue(`SELECT ` + animeColumns + ` FROM anime a ORDER BY a.created_at DESC, a.id DESC LIMIT 5`).Query(func(rows pgx.Rows) error {
		return collectAnime(rows, &d.RecentAnime)
	})
	b.Queue(`SELECT ` + episodeColumns + ` FROM episodes e ORDER BY e.created_at DESC, e.id DESC LIMIT 5`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			e, err := scanEpisode(rows)
			if err != nil {
				return err
			}
			d.RecentEpisodes = append(d.RecentEpisodes, e)
		}
		return rows.Err()
	})
	b.Queue(`
		SELECT count(*) OVER (), ` + animeColumns + ` FROM anime a
		WHERE a.is_active AND NOT EXISTS (
			SELECT 1 FROM episodes e JOIN video_sources v ON v.episode_id = e.id AND v.is_active
			WHERE e.anime_id = a.id AND e.is_active)
		ORDER BY a.title_key COLLATE "C", a.id LIMIT 20`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var a domain.Anime
			if err := rows.Scan(append([]any{&d.WithoutSource}, animeDest(&a)...)...); err != nil {
				return err
			}
			d.WithoutSourceAnime = append(d.WithoutSourceAnime, fixAnime(a))
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return domain.Dashboard{}, fmt.Errorf("dashboard: %w", mapErr(err))
	}
	return d, nil
}
