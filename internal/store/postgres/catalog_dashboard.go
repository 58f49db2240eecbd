package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Dashboard implements domain.CatalogAdminStore in one round trip. The
// counts are sums of the per-anime counts that triggers keep (migration
// 00004), so it reads a small row per anime rather than every episode and
// source; the newest rows come from their indexes.
func (s *Store) Dashboard(ctx context.Context) (domain.Dashboard, error) {
	d := domain.Dashboard{SourcesByName: []domain.NamedCount{}, RecentAnime: []domain.Anime{}, RecentEpisodes: []domain.Episode{},
		WithoutSourceAnime: []domain.Anime{}}
	b := &pgx.Batch{}
	b.Queue(`
		SELECT count(*), count(*) FILTER (WHERE is_active), coalesce(sum(episodes), 0), coalesce(sum(inactive_episodes), 0),
			count(*) FILTER (WHERE is_active AND playable = 0)
		FROM anime_stats`).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&d.TotalAnime, &d.ActiveAnime, &d.TotalEpisodes, &d.InactiveEpisodes, &d.WithoutSource)
		d.InactiveAnime = d.TotalAnime - d.ActiveAnime
		return err
	})
	b.Queue(`
		SELECT source_name, sum(sources) FROM anime_source_counts
		GROUP BY source_name HAVING sum(sources) > 0 ORDER BY 2 DESC, source_name COLLATE "C"`).Query(func(rows pgx.Rows) error {
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
		SELECT ` + animeColumns + ` FROM anime_stats s JOIN anime a ON a.id = s.anime_id
		WHERE s.is_active AND s.playable = 0
		ORDER BY a.title_key COLLATE "C", a.id LIMIT 20`).Query(func(rows pgx.Rows) error {
		return collectAnime(rows, &d.WithoutSourceAnime)
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return domain.Dashboard{}, fmt.Errorf("dashboard: %w", mapErr(err))
	}
	return d, nil
}
