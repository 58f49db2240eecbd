package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// ExportCatalog implements domain.CatalogExporter from one REPEATABLE READ
// snapshot, domain.ExportChunk anime at a time.
func (s *Store) ExportCatalog(ctx context.Context, yield func(domain.AnimeImport) error) error {
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		afterKey, afterID := "", "00000000-0000-0000-0000-000000000000"
		for {
			var chunk []domain.AnimeImport
			var ids []string
			byID := map[string]int{}
			rows, err := tx.Query(ctx, `SELECT `+animeColumns+`, a.title_key FROM anime a
				WHERE (a.title_key COLLATE "C", a.id) > ($1 COLLATE "C", $2::uuid) ORDER BY a.title_key COLLATE "C", a.id LIMIT $3`,
				afterKey, afterID, domain.ExportChunk)
			if err != nil {
				return mapErr(err)
			}
			for rows.Next() {
				var a domain.Anime
				if err := rows.Scan(&a.ID, &a.Title, &a.Slug, &a.Description, &a.Year, &a.Status, &a.Poster, &a.SourceName, &a.SourceID,
					&a.Genres, &a.AlternativeTitles, &a.Active, &a.AdminModified, &a.CreatedAt, &a.UpdatedAt, &afterKey); err != nil {
					rows.Close()
					return mapErr(err)
				}
				byID[a.ID] = len(chunk)
				chunk, ids, afterID = append(chunk, a.AsImport()), append(ids, a.ID), a.ID
			}
			if err := rows.Err(); err != nil || len(chunk) == 0 {
				return mapErr(err)
			}
			if err := exportEpisodes(ctx, tx, chunk, ids, byID); err != nil {
				return err
			}
			for _, a := range chunk {
				if err := yield(a); err != nil {
					return err
				}
			}
		}
	})
	if err != nil {
		return fmt.Errorf("export catalog: %w", err)
	}
	return nil
}

// exportEpisodes adds the chunk's episodes, with their active sources.
func exportEpisodes(ctx context.Context, tx pgx.Tx, chunk []domain.AnimeImport, ids []string, byID map[string]int) error {
	rows, err := tx.Query(ctx, `
		SELECT e.anime_id, e.id, e.number, e.title, e.source_episode_id, e.is_active,
			v.id, coalesce(v.type, ''), coalesce(v.url, ''), coalesce(v.source_name, ''), coalesce(v.priority, 0)
		FROM episodes e LEFT JOIN video_sources v ON v.episode_id = e.id AND v.is_active
		WHERE e.anime_id = ANY($1::uuid[])
		ORDER BY e.anime_id, e.number, e.id, v.priority DESC, v.id`, ids)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	lastEpisode := ""
	for rows.Next() {
		var animeID string
		var vid *string
		var e domain.Episode
		var v domain.VideoImport
		if err := rows.Scan(&animeID, &e.ID, &e.Number, &e.Title, &e.SourceEpisodeID, &e.Active,
			&vid, &v.Type, &v.URL, &v.SourceName, &v.Priority); err != nil {
			return mapErr(err)
		}
		a := &chunk[byID[animeID]]
		if e.ID != lastEpisode {
			a.Episodes = append(a.Episodes, domain.EpisodeWithSources{Episode: e}.AsImport())
			lastEpisode = e.ID
		}
		if vid != nil {
			ep := &a.Episodes[len(a.Episodes)-1]
			ep.Players = append(ep.Players, v)
		}
	}
	return mapErr(rows.Err())
}
