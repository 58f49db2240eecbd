package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// ExportCatalog implements domain.CatalogExporter from one read
// transaction, domain.ExportChunk anime at a time.
func (s *Store) ExportCatalog(ctx context.Context, yield func(domain.AnimeImport) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export catalog: %w", mapErr(err))
	}
	defer tx.Rollback()
	afterKey, afterID := "", ""
	for {
		rows, err := tx.QueryContext(ctx, `SELECT `+animeColumns+`, a.title_key FROM anime a
			WHERE (a.title_key, a.id) > (?, ?) ORDER BY a.title_key, a.id LIMIT ?`, afterKey, afterID, domain.ExportChunk)
		if err != nil {
			return fmt.Errorf("export catalog: %w", mapErr(err))
		}
		chunk, byID, err := exportChunk(rows, &afterKey)
		if err != nil || len(chunk) == 0 {
			return err
		}
		afterID = chunk[len(chunk)-1].ID
		if err := exportEpisodes(ctx, tx, chunk, byID); err != nil {
			return err
		}
		for _, a := range chunk {
			if err := yield(a.imp); err != nil {
				return err
			}
		}
	}
}

type exported struct {
	ID  string
	imp domain.AnimeImport
}

// exportChunk reads a chunk of anime, remembering the last title key.
func exportChunk(rows *sql.Rows, lastKey *string) ([]exported, map[string]int, error) {
	defer rows.Close()
	var out []exported
	byID := map[string]int{}
	for rows.Next() {
		var a domain.Anime
		err := rows.Scan(&a.ID, &a.Title, &a.Slug, &a.Description, &a.Year, &a.Status, &a.Poster, &a.SourceName, &a.SourceID,
			jsonList{&a.Genres}, jsonList{&a.AlternativeTitles}, &a.Active, &a.AdminModified, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, lastKey)
		if err != nil {
			return nil, nil, fmt.Errorf("export catalog: %w", mapErr(err))
		}
		byID[a.ID] = len(out)
		out = append(out, exported{ID: a.ID, imp: a.AsImport()})
	}
	return out, byID, mapErr(rows.Err())
}

// exportEpisodes adds the chunk's episodes, with their active sources.
func exportEpisodes(ctx context.Context, tx *sql.Tx, chunk []exported, byID map[string]int) error {
	ids := make([]string, len(chunk))
	for i, a := range chunk {
		ids[i] = a.ID
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT e.anime_id, e.id, e.number, e.title, e.source_episode_id, e.is_active,
			v.id, v.type, v.url, v.source_name, v.priority
		FROM episodes e LEFT JOIN video_sources v ON v.episode_id = e.id AND v.is_active = 1
		WHERE e.anime_id IN (SELECT value FROM json_each(?))
		ORDER BY e.anime_id, e.number, e.id, v.priority DESC, v.id`, jsonText(ids))
	if err != nil {
		return fmt.Errorf("export catalog: %w", mapErr(err))
	}
	defer rows.Close()
	lastEpisode := ""
	for rows.Next() {
		var animeID, vid sql.NullString
		var e domain.Episode
		var v domain.VideoSource
		var priority sql.NullInt64
		if err := rows.Scan(&animeID, &e.ID, &e.Number, &e.Title, &e.SourceEpisodeID, &e.Active,
			&vid, nullString{&v.Type}, nullString{&v.URL}, nullString{&v.SourceName}, &priority); err != nil {
			return fmt.Errorf("export catalog: %w", mapErr(err))
		}
		a := &chunk[byID[animeID.String]].imp
		if e.ID != lastEpisode {
			a.Episodes = append(a.Episodes, domain.EpisodeWithSources{Episode: e}.AsImport())
			lastEpisode = e.ID
		}
		if vid.Valid {
			ep := &a.Episodes[len(a.Episodes)-1]
			ep.Players = append(ep.Players, domain.VideoImport{Type: v.Type, URL: v.URL, SourceName: v.SourceName, Priority: int(priority.Int64)})
		}
	}
	return mapErr(rows.Err())
}
