package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/listcount"
)

const animeColumns = `a.id, a.title, a.slug, a.description, a.year, a.status, a.poster, a.source_name, a.source_id,
	a.genres, a.alternative_titles, a.is_active, a.admin_modified, a.created_at, a.updated_at`

func scanAnime(row interface{ Scan(...any) error }) (domain.Anime, error) {
	var a domain.Anime
	err := row.Scan(&a.ID, &a.Title, &a.Slug, &a.Description, &a.Year, &a.Status, &a.Poster, &a.SourceName, &a.SourceID,
		jsonList{&a.Genres}, jsonList{&a.AlternativeTitles}, &a.Active, &a.AdminModified, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	return a, mapErr(err)
}

// jsonList scans a JSON array of strings; it is never nil.
type jsonList struct{ l *[]string }

func (c jsonList) Scan(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("list column holds %T", v)
	}
	*c.l = []string{}
	return json.Unmarshal([]byte(s), c.l)
}

// jsonText is a list as stored: a JSON array, [] for nil.
func jsonText(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // strings always marshal
	return string(b)
}

// AnimeBySlug implements domain.CatalogStore.
func (s *Store) AnimeBySlug(ctx context.Context, slug string) (domain.Anime, error) {
	a, err := scanAnime(s.read.QueryRowContext(ctx, `
		SELECT `+animeColumns+` FROM anime_slugs s JOIN anime a ON a.id = s.anime_id
		WHERE s.slug = ? AND a.is_active = 1`, slug))
	if err != nil {
		return domain.Anime{}, notFound(err, "Anime not found: "+slug)
	}
	return a, nil
}

// AnimeList implements domain.CatalogStore.
func (s *Store) AnimeList(ctx context.Context, q domain.AnimeQuery) ([]domain.Anime, int, error) {
	f := &animeFilter{}
	if q.ActiveOnly {
		f.add("a.is_active = 1")
	}
	if q.Year != nil {
		f.add("a.year = ?", *q.Year)
	}
	if q.Status != "" {
		f.add("a.status = ?", q.Status)
	}
	if q.GenreKey != "" {
		// EXISTS, not IN: SQLite then walks the title index and stops at the
		// page's end, where IN sorted every anime of the genre (33 ms → 2 ms
		// for a page of a genre of 3,000 anime).
		f.add("EXISTS (SELECT 1 FROM anime_genres g WHERE g.genre_key = ? AND g.anime_id = a.id)", q.GenreKey)
	}
	f.search(q.Search)
	order, orderArgs := "a.title_key, a.id", []any{}
	if q.Search != "" {
		order = `CASE WHEN instr(a.search_text, char(10) || ? || char(10)) > 0 THEN 0
			WHEN instr(a.search_text, char(10) || ?) > 0 THEN 1
			WHEN instr(a.search_text, ' ' || ?) > 0 THEN 2 ELSE 3 END, a.title_key, a.id`
		orderArgs = []any{q.Search, q.Search, q.Search}
	}
	list, total, err := s.pageAnime(ctx, f, order, orderArgs, q.Limit, q.Skip)
	if err != nil {
		return nil, 0, fmt.Errorf("list anime: %w", err)
	}
	return list, total, nil
}

// animeFilter is the condition of a list of anime (aliased a), with its
// parameters.
type animeFilter struct {
	where []string
	args  []any
}

func (f *animeFilter) add(cond string, args ...any) {
	f.where, f.args = append(f.where, cond), append(f.args, args...)
}

// search keeps the anime whose search text holds s, a literal substring
// (none for ""). It is a GLOB on the trigram index: FTS5 is handed GLOB
// and LIKE patterns, but not a LIKE with ESCAPE, which would scan every
// row.
func (f *animeFilter) search(s string) {
	if s != "" {
		f.add("a.rowid IN (SELECT rowid FROM anime_fts WHERE search_text GLOB ?)", "*"+globEscaper.Replace(s)+"*")
	}
}

func (f *animeFilter) cond() string {
	if len(f.where) == 0 {
		return "1"
	}
	return strings.Join(f.where, " AND ")
}

// pageAnime returns a page of the anime f keeps, in order (whose own
// parameters are orderArgs), and how many it keeps (counted once per list
// generation).
func (s *Store) pageAnime(ctx context.Context, f *animeFilter, order string, orderArgs []any, limit, offset int) ([]domain.Anime, int, error) {
	total, err := s.totals.Total(listcount.Key(f.cond(), f.args), func() (gen int64, err error) {
		err = s.read.QueryRowContext(ctx, `SELECT n FROM catalog_generation`).Scan(&gen)
		return gen, mapErr(err)
	}, func() (gen int64, total int, err error) {
		err = s.read.QueryRowContext(ctx, `SELECT (SELECT n FROM catalog_generation), count(*) FROM anime a WHERE `+f.cond(),
			f.args...).Scan(&gen, &total)
		return gen, total, mapErr(err)
	})
	if err != nil {
		return nil, 0, err
	}
	args := append(append(append([]any{}, f.args...), orderArgs...), limit, offset)
	rows, err := s.read.QueryContext(ctx, `SELECT `+animeColumns+` FROM anime a WHERE `+f.cond()+`
		ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	list, _, err := collect(rows, limit, scanAnime)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// globEscaper makes GLOB's special characters literal.
var globEscaper = strings.NewReplacer("*", "[*]", "?", "[?]", "[", "[[]")

// Episodes implements domain.CatalogStore in one query.
func (s *Store) Episodes(ctx context.Context, animeID string) ([]domain.EpisodeWithSources, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT e.id, e.anime_id, e.number, e.title, e.source_episode_id, e.is_active, e.admin_modified, e.created_at, e.updated_at,
			v.id, v.type, v.url, v.source_name, v.priority, v.is_active, v.admin_modified, v.created_at, v.updated_at
		FROM episodes e LEFT JOIN video_sources v ON v.episode_id = e.id AND v.is_active = 1
		WHERE e.anime_id = ? AND e.is_active = 1
		ORDER BY e.number, e.id, v.priority DESC, v.id`, animeID)
	if err != nil {
		return nil, fmt.Errorf("list episodes: %w", mapErr(err))
	}
	defer rows.Close()
	out := []domain.EpisodeWithSources{}
	for rows.Next() {
		var e domain.Episode
		var v domain.VideoSource
		var vid sql.NullString
		var vPriority sql.NullInt64
		var vActive, vModified sql.NullBool
		if err := rows.Scan(&e.ID, &e.AnimeID, &e.Number, &e.Title, &e.SourceEpisodeID, &e.Active, &e.AdminModified,
			timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt}, &vid, nullString{&v.Type}, nullString{&v.URL}, nullString{&v.SourceName},
			&vPriority, &vActive, &vModified, timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list episodes: %w", mapErr(err))
		}
		if len(out) == 0 || out[len(out)-1].Episode.ID != e.ID {
			out = append(out, domain.EpisodeWithSources{Episode: e, Sources: []domain.VideoSource{}})
		}
		if vid.Valid {
			v.ID, v.EpisodeID, v.Priority, v.Active, v.AdminModified = vid.String, e.ID, int(vPriority.Int64), vActive.Bool, vModified.Bool
			last := &out[len(out)-1]
			last.Sources = append(last.Sources, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list episodes: %w", mapErr(err))
	}
	return out, nil
}

// nullString scans a text column of an outer join; NULL is "".
type nullString struct{ s *string }

func (c nullString) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.s = ""
	case string:
		*c.s = v
	default:
		return fmt.Errorf("text column holds %T", v)
	}
	return nil
}
