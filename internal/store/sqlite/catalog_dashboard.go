package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Dashboard implements domain.CatalogAdminStore from one read
// transaction. The counts are sums of those that triggers keep (migration
// 00004), a small row per anime and per source name rather than every
// episode and source; the newest rows come from their indexes.
func (s *Store) Dashboard(ctx context.Context) (domain.Dashboard, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return domain.Dashboard{}, fmt.Errorf("dashboard: %w", mapErr(err))
	}
	defer tx.Rollback()
	d, err := dashboard(ctx, tx)
	if err != nil {
		return domain.Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}

func dashboard(ctx context.Context, tx *sql.Tx) (domain.Dashboard, error) {
	var d domain.Dashboard
	if err := tx.QueryRowContext(ctx, `
		SELECT count(*), coalesce(sum(is_active), 0), coalesce(sum(episodes), 0), coalesce(sum(inactive_episodes), 0),
			(SELECT count(*) FROM anime_stats WHERE is_active = 1 AND playable = 0)
		FROM anime_stats`).Scan(&d.TotalAnime, &d.ActiveAnime, &d.TotalEpisodes, &d.InactiveEpisodes, &d.WithoutSource); err != nil {
		return d, mapErr(err)
	}
	d.InactiveAnime = d.TotalAnime - d.ActiveAnime
	rows, err := tx.QueryContext(ctx, `SELECT source_name, sources FROM source_name_counts WHERE sources > 0 ORDER BY 2 DESC, 1`)
	if err != nil {
		return d, mapErr(err)
	}
	if d.SourcesByName, _, err = collect(rows, maxList, scanNamedCount); err != nil {
		return d, err
	}
	for _, c := range d.SourcesByName {
		d.TotalSources += c.Count
	}
	if d.RecentAnime, err = listAnime(ctx, tx, 5, `SELECT `+animeColumns+` FROM anime a ORDER BY a.created_at DESC, a.id DESC LIMIT 5`); err != nil {
		return d, err
	}
	if rows, err = tx.QueryContext(ctx, `SELECT `+episodeColumns+` FROM episodes e ORDER BY e.created_at DESC, e.id DESC LIMIT 5`); err != nil {
		return d, mapErr(err)
	}
	if d.RecentEpisodes, _, err = collect(rows, 5, scanEpisode); err != nil {
		return d, err
	}
	d.WithoutSourceAnime, err = withoutSource(ctx, tx, d.WithoutSource)
	return d, err
}

// fewWithoutSource is how many anime without a source are read from their
// own index and sorted by title; when more, they are found along the
// titles, where they are then dense enough to find 20 soon.
const fewWithoutSource = 500

// withoutSource returns the first 20 by title of the n active anime
// without a playable source. CROSS JOIN fixes the outer loop.
func withoutSource(ctx context.Context, tx *sql.Tx, n int) ([]domain.Anime, error) {
	switch {
	case n == 0:
		return []domain.Anime{}, nil
	case n <= fewWithoutSource:
		return listAnime(ctx, tx, 20, `
			SELECT `+animeColumns+` FROM anime_stats s CROSS JOIN anime a ON a.id = s.anime_id
			WHERE s.is_active = 1 AND s.playable = 0
			ORDER BY a.title_key, a.id LIMIT 20`)
	}
	return listAnime(ctx, tx, 20, `
		SELECT `+animeColumns+` FROM anime a CROSS JOIN anime_stats s ON s.anime_id = a.id
		WHERE a.is_active = 1 AND s.playable = 0
		ORDER BY a.title_key, a.id LIMIT 20`)
}

func scanNamedCount(row interface{ Scan(...any) error }) (domain.NamedCount, error) {
	var c domain.NamedCount
	return c, mapErr(row.Scan(&c.Name, &c.Count))
}

// listAnime returns the anime (animeColumns) of a query of at most limit.
func listAnime(ctx context.Context, tx *sql.Tx, limit int, query string) ([]domain.Anime, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, mapErr(err)
	}
	list, _, err := collect(rows, limit, scanAnime)
	return list, err
}
