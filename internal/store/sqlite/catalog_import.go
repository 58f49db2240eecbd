package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

// ImportAnime implements domain.CatalogStore. The write transaction reads
// what is stored first and writes only what differs (catalogdiff), with
// statements prepared once per import.
func (s *Store) ImportAnime(ctx context.Context, a domain.AnimeImport, now time.Time) (domain.ImportCounts, error) {
	var c domain.ImportCounts
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stored, err := storedAnime(ctx, tx, a.SourceName, a.SourceID)
		if err != nil {
			return err
		}
		f := catalogdiff.FieldsOf(a, stored)
		id := a.NewID
		switch insert, update := catalogdiff.AnimeWrite(f, stored); {
		case insert:
			err = insertAnime(ctx, tx, a, f, now)
			c.AnimeWritten = 1
		case update:
			id = stored.ID
			err = updateAnime(ctx, tx, id, a.GenreKeys, f, now)
			c.AnimeWritten = 1
		default:
			id = stored.ID
			c.AnimeUnchanged = 1
		}
		if err != nil {
			return err
		}
		ec, err := importEpisodes(ctx, tx, id, a.Episodes, stored == nil, now)
		c.Add(ec)
		return err
	})
	if err != nil {
		return domain.ImportCounts{}, fmt.Errorf("import anime: %w", err)
	}
	return c, nil
}

// storedAnime returns the anime of a source key, nil when there is none.
func storedAnime(ctx context.Context, tx *sql.Tx, sourceName, sourceID string) (*catalogdiff.Anime, error) {
	var a catalogdiff.Anime
	err := tx.QueryRowContext(ctx, `
		SELECT id, admin_modified, title, description, year, status, poster, genres, alternative_titles, title_key, search_text
		FROM anime WHERE source_name = ? AND source_id = ?`, sourceName, sourceID).
		Scan(&a.ID, &a.AdminModified, &a.Title, &a.Description, &a.Year, &a.Status, &a.Poster,
			jsonList{&a.Genres}, jsonList{&a.AlternativeTitles}, &a.TitleKey, &a.SearchText)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return &a, mapErr(err)
}

func insertAnime(ctx context.Context, tx *sql.Tx, a domain.AnimeImport, f catalogdiff.Fields, now time.Time) error {
	slug, err := freeSlug(ctx, tx, a.SlugBase)
	if err != nil {
		return err
	}
	return insertAnimeRow(ctx, tx, a, f, slug, false, now)
}

// freeSlug returns the first of base, base-1, … that no anime has or had.
func freeSlug(ctx context.Context, tx *sql.Tx, base string) (string, error) {
	return catalogdiff.FreeSlug(base, 0, func(cands []string) ([]string, error) {
		rows, err := tx.QueryContext(ctx, `SELECT slug FROM anime_slugs WHERE slug IN (SELECT value FROM json_each(?))`, jsonText(cands))
		if err != nil {
			return nil, mapErr(err)
		}
		return collectStrings(rows)
	})
}

// insertAnimeRow inserts a new anime with its slug and genres.
func insertAnimeRow(ctx context.Context, tx *sql.Tx, a domain.AnimeImport, f catalogdiff.Fields, slug string, adminModified bool, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO anime (id, title, slug, description, year, status, poster, source_name, source_id, genres, alternative_titles,
			title_key, search_text, admin_modified, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)`,
		a.NewID, f.Title, slug, f.Description, f.Year, f.Status, f.Poster, a.SourceName, a.SourceID,
		jsonText(f.Genres), jsonText(f.AlternativeTitles), f.TitleKey, f.SearchText, adminModified, ts(now)); err != nil {
		return mapErr(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO anime_slugs (slug, anime_id, created_at) VALUES (?, ?, ?)`, slug, a.NewID, ts(now)); err != nil {
		return mapErr(err)
	}
	return insertGenres(ctx, tx, a.NewID, a.GenreKeys)
}

func updateAnime(ctx context.Context, tx *sql.Tx, id string, genreKeys []string, f catalogdiff.Fields, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE anime SET title = ?, description = ?, year = ?, status = ?, poster = ?, genres = ?, alternative_titles = ?,
			title_key = ?, search_text = ?, updated_at = ?
		WHERE id = ?`, f.Title, f.Description, f.Year, f.Status, f.Poster, jsonText(f.Genres), jsonText(f.AlternativeTitles),
		f.TitleKey, f.SearchText, ts(now), id); err != nil {
		return mapErr(err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM anime_genres WHERE anime_id = ?`, id); err != nil {
		return mapErr(err)
	}
	return insertGenres(ctx, tx, id, genreKeys)
}

func insertGenres(ctx context.Context, tx *sql.Tx, animeID string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO anime_genres (genre_key, anime_id) SELECT value, ? FROM json_each(?)`,
		animeID, jsonText(keys))
	return mapErr(err)
}

// ImportEpisodes implements domain.CatalogStore.
func (s *Store) ImportEpisodes(ctx context.Context, sourceName, animeSourceID string, eps []domain.EpisodeImport, now time.Time) (domain.ImportCounts, error) {
	var c domain.ImportCounts
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM anime WHERE source_name = ? AND source_id = ?`, sourceName, animeSourceID).Scan(&id)
		if err != nil {
			return notFound(err, "Anime not found: "+sourceName+"/"+animeSourceID)
		}
		c, err = importEpisodes(ctx, tx, id, eps, false, now)
		return err
	})
	if err != nil {
		return domain.ImportCounts{}, fmt.Errorf("import episodes: %w", err)
	}
	return c, nil
}

// importEpisodes writes what differs of eps under the anime they are
// imported under (their origin); a new anime has no episodes to read.
func importEpisodes(ctx context.Context, tx *sql.Tx, animeID string, eps []domain.EpisodeImport, newAnime bool, now time.Time) (domain.ImportCounts, error) {
	if len(eps) == 0 {
		return domain.ImportCounts{}, nil
	}
	stored := map[string]catalogdiff.Episode{}
	if !newAnime {
		var err error
		if stored, err = storedEpisodes(ctx, tx, animeID); err != nil {
			return domain.ImportCounts{}, err
		}
	}
	w := catalogdiff.Episodes(eps, stored)
	episodes, err := upsertEach(ctx, tx, `
		INSERT INTO episodes (id, anime_id, origin_anime_id, number, title, source_episode_id, is_active, created_at, updated_at)
		VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
		ON CONFLICT (origin_anime_id, source_episode_id) DO UPDATE SET
			number = excluded.number, title = excluded.title, is_active = excluded.is_active, updated_at = excluded.updated_at
		WHERE NOT admin_modified AND (number IS NOT excluded.number OR title IS NOT excluded.title OR is_active IS NOT excluded.is_active)`,
		len(w.Episodes), func(i int) []any {
			e := w.Episodes[i]
			return []any{e.ID, animeID, e.Number, e.Title, e.SourceEpisodeID, e.Available, ts(now)}
		})
	if err != nil {
		return domain.ImportCounts{}, err
	}
	sources, err := upsertEach(ctx, tx, upsertSource, len(w.Sources), func(i int) []any {
		v := w.Sources[i]
		return []any{v.ID, v.EpisodeID, v.Type, v.URL, v.SourceName, v.Priority, ts(now)}
	})
	if err != nil {
		return domain.ImportCounts{}, err
	}
	return w.Counts(episodes, sources), nil
}

// upsertSource writes a source unless it is as stored or protected.
const upsertSource = `
	INSERT INTO video_sources (id, episode_id, type, url, source_name, priority, created_at, updated_at)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
	ON CONFLICT (episode_id, source_name, url) DO UPDATE SET
		type = excluded.type, priority = excluded.priority, updated_at = excluded.updated_at
	WHERE NOT admin_modified AND (type IS NOT excluded.type OR priority IS NOT excluded.priority)`

// upsertEach runs the statement once per row (prepared when there is more
// than one) and returns how many rows it changed.
func upsertEach(ctx context.Context, tx *sql.Tx, query string, n int, args func(i int) []any) (int, error) {
	if n == 0 {
		return 0, nil
	}
	exec := func(args ...any) (sql.Result, error) { return tx.ExecContext(ctx, query, args...) }
	if n > 1 {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return 0, mapErr(err)
		}
		defer st.Close()
		exec = func(args ...any) (sql.Result, error) { return st.ExecContext(ctx, args...) }
	}
	written := 0
	for i := range n {
		res, err := exec(args(i)...)
		if err != nil {
			return 0, mapErr(err)
		}
		k, _ := res.RowsAffected()
		written += int(k)
	}
	return written, nil
}

// storedEpisodes reads the episodes imported under an anime, with their
// sources, by source episode id.
func storedEpisodes(ctx context.Context, tx *sql.Tx, animeID string) (map[string]catalogdiff.Episode, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT e.id, e.source_episode_id, e.number, e.title, e.is_active, e.admin_modified,
			v.source_name, v.url, v.type, v.priority, v.admin_modified
		FROM episodes e LEFT JOIN video_sources v ON v.episode_id = e.id
		WHERE e.origin_anime_id = ?`, animeID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[string]catalogdiff.Episode{}
	for rows.Next() {
		var e catalogdiff.Episode
		var sid string
		var k catalogdiff.SourceKey
		var v catalogdiff.Source
		var url sql.NullString
		var priority sql.NullInt64
		var modified sql.NullBool
		if err := rows.Scan(&e.ID, &sid, &e.Number, &e.Title, &e.Active, &e.AdminModified,
			nullString{&k.SourceName}, &url, nullString{&v.Type}, &priority, &modified); err != nil {
			return nil, mapErr(err)
		}
		if old, ok := out[sid]; ok {
			e = old
		}
		if url.Valid {
			k.URL, v.Priority, v.AdminModified = url.String, int(priority.Int64), modified.Bool
			e.AddSource(k, v)
		}
		out[sid] = e
	}
	return out, mapErr(rows.Err())
}

// ImportVideo implements domain.CatalogStore.
func (s *Store) ImportVideo(ctx context.Context, sourceName, sourceEpisodeID, animeSourceID string, v domain.VideoImport, now time.Time) (domain.ImportCounts, error) {
	var c domain.ImportCounts
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT e.id FROM episodes e JOIN anime a ON a.id = e.origin_anime_id
			WHERE a.source_name = ? AND e.source_episode_id = ? AND (?3 = '' OR a.source_id = ?3) LIMIT 2`,
			sourceName, sourceEpisodeID, animeSourceID)
		if err != nil {
			return mapErr(err)
		}
		ids, err := collectStrings(rows)
		if err != nil {
			return err
		}
		if err := catalogdiff.OneEpisode(len(ids), sourceName, sourceEpisodeID); err != nil {
			return err
		}
		n, err := upsertEach(ctx, tx, upsertSource, 1, func(int) []any {
			return []any{domain.NewUUID(), ids[0], v.Type, v.URL, v.SourceName, v.Priority, ts(now)}
		})
		c = domain.ImportCounts{SourcesWritten: n, SourcesUnchanged: 1 - n}
		return err
	})
	if err != nil {
		return domain.ImportCounts{}, fmt.Errorf("import video: %w", err)
	}
	return c, nil
}

func collectStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, s)
	}
	return out, mapErr(rows.Err())
}
