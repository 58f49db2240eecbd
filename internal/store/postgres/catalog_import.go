package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

// importAttempts bounds the retries of an import that lost a race: another
// import made the same anime between its read and its write (or an editor
// took the slug).
const importAttempts = 3

// ImportAnime implements domain.CatalogStore in three round trips however
// many episodes and sources there are: one batch begins the transaction
// and reads what is stored (with the slug candidates), one batch writes
// what differs (catalogdiff), rows in arrays, and COMMIT. An unchanged
// import sends no write batch, so its transaction commits without a flush.
func (s *Store) ImportAnime(ctx context.Context, a domain.AnimeImport, now time.Time) (domain.ImportCounts, error) {
	var c domain.ImportCounts
	err := retried(func() (err error) {
		c, err = s.importAnime(ctx, a, now)
		return err
	})
	if err != nil {
		return domain.ImportCounts{}, fmt.Errorf("import anime: %w", err)
	}
	return c, nil
}

func (s *Store) importAnime(ctx context.Context, a domain.AnimeImport, now time.Time) (domain.ImportCounts, error) {
	var c domain.ImportCounts
	err := s.beginRead(ctx, a.SourceName, a.SourceID, len(a.Episodes) > 0, a.SlugBase, func(tx pgx.Tx, st stored) error {
		stored := st.anime
		f := catalogdiff.FieldsOf(a, stored)
		b := &pgx.Batch{}
		id := a.NewID
		count := func(row pgx.Row) error { return row.Scan(&c.AnimeWritten) }
		switch insert, update := catalogdiff.AnimeWrite(f, stored); {
		case insert:
			slug, err := newSlug(ctx, tx, st, a.SlugBase, false)
			if err != nil {
				return err
			}
			queueInsertAnime(b, a, f, slug, false, now).QueryRow(count)
		case update:
			id = stored.ID
			// The condition protects a row an editor changed since it was read.
			b.Queue(`
				WITH a AS (
					UPDATE anime SET title = $2, description = $3, year = $4, status = $5, poster = $6, genres = $7,
						alternative_titles = $8, title_key = $9, search_text = $10, updated_at = $11
					WHERE id = $1 AND NOT admin_modified
					RETURNING id
				), d AS (
					DELETE FROM anime_genres g USING a WHERE g.anime_id = a.id AND g.genre_key <> ALL ($12::text[])
				), i AS (
					INSERT INTO anime_genres (genre_key, anime_id) SELECT DISTINCT k, a.id FROM a, unnest($12::text[]) k
					ON CONFLICT DO NOTHING
				)
				SELECT count(*) FROM a`,
				id, f.Title, f.Description, f.Year, f.Status, f.Poster, f.Genres, f.AlternativeTitles,
				f.TitleKey, f.SearchText, now, nonNil(a.GenreKeys)).QueryRow(count)
		default:
			id = stored.ID
		}
		w := catalogdiff.Episodes(a.Episodes, st.episodes)
		n := queueEpisodes(b, id, w, now)
		if err := sendBatch(ctx, tx, b); err != nil {
			return err
		}
		c.AnimeUnchanged = 1 - c.AnimeWritten
		c.Add(w.Counts(n.episodes, n.sources))
		return nil
	})
	return c, mapErr(err)
}

// retried runs fn until it succeeds or fails other than by losing a race,
// at most importAttempts times. A race is lost to a transaction that wrote
// a key first (a unique violation) or that waits for rows this one holds
// while holding rows it waits for (a deadlock: an editor's change across
// two anime meeting an import of one of them, on their counts).
func retried(fn func() error) error {
	var err error
	for range importAttempts {
		var pe *pgconn.PgError
		if err = fn(); !errors.As(err, &pe) || pe.Code != "23505" && pe.Code != "40P01" {
			break
		}
	}
	return err
}

// uniqueViolation returns the name of the unique constraint err violates,
// "" when it is no such error.
func uniqueViolation(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

// queueInsertAnime adds to b the insert of a new anime of fields f with its
// slug and genres; its row counts the anime written.
func queueInsertAnime(b *pgx.Batch, a domain.AnimeImport, f catalogdiff.Fields, slug string, adminModified bool, now time.Time) *pgx.QueuedQuery {
	return b.Queue(`
		WITH a AS (
			INSERT INTO anime (id, title, slug, description, year, status, poster, source_name, source_id, genres,
				alternative_titles, title_key, search_text, admin_modified, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
			RETURNING id, slug
		), s AS (
			INSERT INTO anime_slugs (slug, anime_id, created_at) SELECT slug, id, $15 FROM a
		), g AS (
			INSERT INTO anime_genres (genre_key, anime_id) SELECT DISTINCT k, a.id FROM a, unnest($16::text[]) k
		)
		SELECT count(*) FROM a`,
		a.NewID, f.Title, slug, f.Description, f.Year, f.Status, f.Poster, a.SourceName, a.SourceID, f.Genres,
		f.AlternativeTitles, f.TitleKey, f.SearchText, adminModified, now, nonNil(a.GenreKeys))
}

// newSlug returns the slug of a new anime: base itself when exact (else
// KindConflict when any anime has or had it), otherwise the first free of
// base, base-1, … (st holds the first candidates' answer).
func newSlug(ctx context.Context, tx pgx.Tx, st stored, base string, exact bool) (string, error) {
	switch {
	case exact && st.slug != base:
		return "", slugTaken(base)
	case st.slug != "":
		return st.slug, nil
	}
	return freeSlug(ctx, tx, base)
}

// sendBatch runs b, if it holds anything.
func sendBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return mapErr(tx.SendBatch(ctx, b).Close())
}

// stored is what an import reads before it writes: the anime of a source
// key (nil when there is none), the episodes imported under it with their
// sources, by source episode id, and the first free of the first slug
// candidates of the import ("" when they are all taken).
type stored struct {
	anime    *catalogdiff.Anime
	episodes map[string]catalogdiff.Episode
	slug     string
}

// slugLock is the first key of the advisory locks on slug bases.
const slugLock = 0x51_06

// beginRead begins a transaction and reads, in the same round trip, what
// is stored of the anime of a source key (its episodes only if asked). With
// a slugBase it also locks that base until the transaction ends, so that
// new anime of one base take turns choosing a slug, and checks its first
// candidates. It then runs fn in the transaction and commits, or rolls back
// when fn fails.
func (s *Store) beginRead(ctx context.Context, sourceName, sourceID string, episodes bool, slugBase string,
	fn func(tx pgx.Tx, st stored) error) error {
	st := stored{episodes: map[string]catalogdiff.Episode{}}
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	if slugBase != "" {
		b.Queue(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, slugLock, slugBase)
		cands := catalogdiff.SlugCandidates(slugBase, 0)
		b.Queue(`SELECT slug FROM anime_slugs WHERE slug = ANY ($1)`, cands).Query(func(rows pgx.Rows) error {
			taken, err := pgx.CollectRows(rows, pgx.RowTo[string])
			st.slug = catalogdiff.FirstFree(cands, taken)
			return err
		})
	}
	b.Queue(`
		SELECT id, admin_modified, title, description, year, status, poster, genres, alternative_titles, title_key, search_text
		FROM anime WHERE source_name = $1 AND source_id = $2`, sourceName, sourceID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var a catalogdiff.Anime
			if err := rows.Scan(&a.ID, &a.AdminModified, &a.Title, &a.Description, &a.Year, &a.Status, &a.Poster,
				&a.Genres, &a.AlternativeTitles, &a.TitleKey, &a.SearchText); err != nil {
				return err
			}
			a.Genres, a.AlternativeTitles = nonNil(a.Genres), nonNil(a.AlternativeTitles)
			st.anime = &a
		}
		return rows.Err()
	})
	if episodes {
		b.Queue(`
			SELECT e.id, e.source_episode_id, e.number, e.title, e.is_active, e.admin_modified,
				v.source_name, v.url, v.type, v.priority, v.admin_modified
			FROM anime a JOIN episodes e ON e.origin_anime_id = a.id LEFT JOIN video_sources v ON v.episode_id = e.id
			WHERE a.source_name = $1 AND a.source_id = $2`, sourceName, sourceID).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var e catalogdiff.Episode
				var sid string
				var sourceName, url, typ *string
				var priority *int
				var modified *bool
				if err := rows.Scan(&e.ID, &sid, &e.Number, &e.Title, &e.Active, &e.AdminModified,
					&sourceName, &url, &typ, &priority, &modified); err != nil {
					return err
				}
				if old, ok := st.episodes[sid]; ok {
					e = old
				}
				if url != nil {
					e.AddSource(catalogdiff.SourceKey{SourceName: *sourceName, URL: *url},
						catalogdiff.Source{Type: *typ, Priority: *priority, AdminModified: *modified})
				}
				st.episodes[sid] = e
			}
			return rows.Err()
		})
	}
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer tx.Rollback(ctx) // after the commit, it does nothing
	if err := br.Close(); err != nil {
		return mapErr(err)
	}
	if err := fn(tx, st); err != nil {
		return err
	}
	return mapErr(tx.Commit(ctx))
}

// freeSlug returns the first free slug of base after the candidates
// beginRead checked (catalogdiff.FreeSlug).
func freeSlug(ctx context.Context, tx pgx.Tx, base string) (string, error) {
	return catalogdiff.FreeSlug(base, catalogdiff.SlugBatch, func(cands []string) ([]string, error) {
		rows, err := tx.Query(ctx, `SELECT slug FROM anime_slugs WHERE slug = ANY ($1)`, cands)
		if err != nil {
			return nil, mapErr(err)
		}
		used, err := pgx.CollectRows(rows, pgx.RowTo[string])
		return used, mapErr(err)
	})
}

// written counts the rows a batch's upserts changed.
type written struct{ episodes, sources int }

// queueEpisodes adds to b the upserts of w's episodes and sources under
// the anime animeID (their origin), one statement each; the returned
// counts are filled in when the batch has run. A source finds its episode
// by source episode id, so that it lands on the row that is there even if
// a concurrent import made the episode.
func queueEpisodes(b *pgx.Batch, animeID string, w catalogdiff.Writes, now time.Time) *written {
	n := &written{}
	if len(w.Episodes) > 0 {
		ids, numbers, titles, sids, active := make([]string, len(w.Episodes)), make([]int32, len(w.Episodes)),
			make([]*string, len(w.Episodes)), make([]string, len(w.Episodes)), make([]bool, len(w.Episodes))
		for i, e := range w.Episodes {
			ids[i], numbers[i], titles[i], sids[i], active[i] = e.ID, int32(e.Number), e.Title, e.SourceEpisodeID, e.Available
		}
		b.Queue(`
			INSERT INTO episodes AS e (id, anime_id, origin_anime_id, number, title, source_episode_id, is_active, created_at, updated_at)
			SELECT x.id::uuid, $1, $1, x.number, x.title, x.sid, x.active, $2, $2
			FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::bool[]) AS x (id, number, title, sid, active)
			ON CONFLICT (origin_anime_id, source_episode_id) DO UPDATE SET
				number = excluded.number, title = excluded.title, is_active = excluded.is_active, updated_at = excluded.updated_at
			WHERE NOT e.admin_modified AND (e.number, e.title, e.is_active) IS DISTINCT FROM (excluded.number, excluded.title, excluded.is_active)`,
			animeID, now, ids, numbers, titles, sids, active).Exec(func(ct pgconn.CommandTag) error {
			n.episodes = int(ct.RowsAffected())
			return nil
		})
	}
	if len(w.Sources) > 0 {
		k := len(w.Sources)
		ids, sids, types, urls, names, priorities := make([]string, k), make([]string, k), make([]string, k), make([]string, k),
			make([]string, k), make([]int32, k)
		for i, v := range w.Sources {
			ids[i], sids[i], types[i], urls[i], names[i], priorities[i] = v.ID, v.SourceEpisodeID, v.Type, v.URL, v.SourceName, int32(v.Priority)
		}
		b.Queue(upsertSources, animeID, now, ids, sids, types, urls, names, priorities).Exec(func(ct pgconn.CommandTag) error {
			n.sources = int(ct.RowsAffected())
			return nil
		})
	}
	return n
}

// upsertSources writes sources ($3…, arrays) of episodes imported under
// the anime $1, unless they are as stored or protected.
const upsertSources = `
	INSERT INTO video_sources AS v (id, episode_id, type, url, source_name, priority, created_at, updated_at)
	SELECT x.id::uuid, e.id, x.type, x.url, x.source_name, x.priority, $2, $2
	FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[]) AS x (id, sid, type, url, source_name, priority)
	JOIN episodes e ON e.origin_anime_id = $1 AND e.source_episode_id = x.sid
	ON CONFLICT (episode_id, source_name, url) DO UPDATE SET
		type = excluded.type, priority = excluded.priority, updated_at = excluded.updated_at
	WHERE NOT v.admin_modified AND (v.type, v.priority) IS DISTINCT FROM (excluded.type, excluded.priority)`

// ImportEpisodes implements domain.CatalogStore.
func (s *Store) ImportEpisodes(ctx context.Context, sourceName, animeSourceID string, eps []domain.EpisodeImport, now time.Time) (domain.ImportCounts, error) {
	var c domain.ImportCounts
	err := retried(func() error {
		return s.importEpisodes(ctx, sourceName, animeSourceID, eps, now, &c)
	})
	if err != nil {
		return domain.ImportCounts{}, fmt.Errorf("import episodes: %w", err)
	}
	return c, nil
}

func (s *Store) importEpisodes(ctx context.Context, sourceName, animeSourceID string, eps []domain.EpisodeImport, now time.Time, c *domain.ImportCounts) error {
	return s.beginRead(ctx, sourceName, animeSourceID, true, "", func(tx pgx.Tx, st stored) error {
		if st.anime == nil {
			return domain.E(domain.KindNotFound, "Anime not found: "+sourceName+"/"+animeSourceID)
		}
		w := catalogdiff.Episodes(eps, st.episodes)
		b := &pgx.Batch{}
		n := queueEpisodes(b, st.anime.ID, w, now)
		if err := sendBatch(ctx, tx, b); err != nil {
			return err
		}
		*c = w.Counts(n.episodes, n.sources)
		return nil
	})
}

// ImportVideo implements domain.CatalogStore.
func (s *Store) ImportVideo(ctx context.Context, sourceName, sourceEpisodeID, animeSourceID string, v domain.VideoImport, now time.Time) (domain.ImportCounts, error) {
	var c domain.ImportCounts
	err := retried(func() error { return s.importVideo(ctx, sourceName, sourceEpisodeID, animeSourceID, v, now, &c) })
	if err != nil {
		return domain.ImportCounts{}, fmt.Errorf("import video: %w", err)
	}
	return c, nil
}

func (s *Store) importVideo(ctx context.Context, sourceName, sourceEpisodeID, animeSourceID string, v domain.VideoImport, now time.Time, c *domain.ImportCounts) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT a.id FROM episodes e JOIN anime a ON a.id = e.origin_anime_id
			WHERE a.source_name = $1 AND e.source_episode_id = $2 AND ($3 = '' OR a.source_id = $3) LIMIT 2`,
			sourceName, sourceEpisodeID, animeSourceID)
		if err != nil {
			return mapErr(err)
		}
		animeIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return mapErr(err)
		}
		if err := catalogdiff.OneEpisode(len(animeIDs), sourceName, sourceEpisodeID); err != nil {
			return err
		}
		ct, err := tx.Exec(ctx, upsertSources, animeIDs[0], now, []string{domain.NewUUID()}, []string{sourceEpisodeID},
			[]string{v.Type}, []string{v.URL}, []string{v.SourceName}, []int32{int32(v.Priority)})
		if err != nil {
			return mapErr(err)
		}
		n := int(ct.RowsAffected())
		*c = domain.ImportCounts{SourcesWritten: n, SourcesUnchanged: 1 - n}
		return nil
	})
}
