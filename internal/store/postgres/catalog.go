package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/listcount"
)

const animeColumns = `a.id, a.title, a.slug, a.description, a.year, a.status, a.poster, a.source_name, a.source_id,
	a.genres, a.alternative_titles, a.is_active, a.admin_modified, a.created_at, a.updated_at`

func scanAnime(row pgx.Row) (domain.Anime, error) {
	var a domain.Anime
	err := row.Scan(animeDest(&a)...)
	return fixAnime(a), mapErr(err)
}

// animeDest are the scan destinations of animeColumns.
func animeDest(a *domain.Anime) []any {
	return []any{&a.ID, &a.Title, &a.Slug, &a.Description, &a.Year, &a.Status, &a.Poster, &a.SourceName, &a.SourceID,
		&a.Genres, &a.AlternativeTitles, &a.Active, &a.AdminModified, &a.CreatedAt, &a.UpdatedAt}
}

// fixAnime returns a scanned anime with empty rather than nil lists and
// times in UTC.
func fixAnime(a domain.Anime) domain.Anime {
	a.Genres, a.AlternativeTitles = nonNil(a.Genres), nonNil(a.AlternativeTitles)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a
}

// collectAnime appends the anime of rows (animeColumns) to list.
func collectAnime(rows pgx.Rows, list *[]domain.Anime) error {
	for rows.Next() {
		a, err := scanAnime(rows)
		if err != nil {
			return err
		}
		*list = append(*list, a)
	}
	return rows.Err()
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// AnimeBySlug implements domain.CatalogStore.
func (s *Store) AnimeBySlug(ctx context.Context, slug string) (domain.Anime, error) {
	a, err := scanAnime(s.pool.QueryRow(ctx, `
		SELECT `+animeColumns+` FROM anime_slugs s JOIN anime a ON a.id = s.anime_id
		WHERE s.slug = $1 AND a.is_active`, slug))
	if err != nil {
		return domain.Anime{}, notFound(err, "Anime not found: "+slug)
	}
	return a, nil
}

// AnimeList implements domain.CatalogStore. A search is a LIKE served by
// the trigram index (from three characters on; shorter ones scan); titles
// order byte-wise (COLLATE "C"), as on SQLite.
func (s *Store) AnimeList(ctx context.Context, q domain.AnimeQuery) ([]domain.Anime, int, error) {
	f := &animeFilter{}
	if q.ActiveOnly {
		f.add("a.is_active")
	}
	if q.Year != nil {
		f.add("a.year = " + f.arg(*q.Year))
	}
	if q.Status != "" {
		f.add("a.status = " + f.arg(q.Status))
	}
	if q.GenreKey != "" {
		f.add("a.id IN (SELECT anime_id FROM anime_genres WHERE genre_key = " + f.arg(q.GenreKey) + ")")
	}
	f.search(q.Search)
	n := len(f.args) // the order's parameter follows
	order := `a.title_key COLLATE "C", a.id`
	if q.Search != "" {
		p := f.arg(q.Search)
		order = `CASE WHEN strpos(a.search_text, chr(10) || ` + p + ` || chr(10)) > 0 THEN 0
			WHEN strpos(a.search_text, chr(10) || ` + p + `) > 0 THEN 1
			WHEN strpos(a.search_text, ' ' || ` + p + `) > 0 THEN 2 ELSE 3 END, ` + order
	}
	list, total, err := s.pageAnime(ctx, f, n, order, q.Limit, q.Skip)
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

// arg adds a parameter and returns its placeholder.
func (f *animeFilter) arg(v any) string {
	f.args = append(f.args, v)
	return "$" + strconv.Itoa(len(f.args))
}

func (f *animeFilter) add(cond string) { f.where = append(f.where, cond) }

// search keeps the anime whose search text holds s, a literal substring
// (none for "").
func (f *animeFilter) search(s string) {
	if s != "" {
		f.add("a.search_text LIKE " + f.arg("%"+likeEscaper.Replace(s)+"%"))
	}
}

func (f *animeFilter) cond() string {
	if len(f.where) == 0 {
		return "true"
	}
	return strings.Join(f.where, " AND ")
}

// pageAnime returns a page of the anime f keeps, in order, and how many it
// keeps (counted once per list generation); the first n parameters are the
// condition's, the others the order's. Both statements are planned for the
// values at hand every time, as a plan made once for any genre or search
// would walk the whole catalog for a rare one: pgx's cache-describe mode
// sends each as an unnamed statement, which PostgreSQL plans at every
// execution, and still reads binary rows (exec mode reads text: parsing its
// arrays and times was a quarter of the server's CPU for a list).
func (s *Store) pageAnime(ctx context.Context, f *animeFilter, n int, order string, limit, offset int) ([]domain.Anime, int, error) {
	total, err := s.totals.Total(listcount.Key(f.cond(), f.args[:n]), func() (gen int64, err error) {
		err = s.pool.QueryRow(ctx, `SELECT n FROM catalog_generation`).Scan(&gen)
		return gen, mapErr(err)
	}, func() (gen int64, total int, err error) {
		err = s.pool.QueryRow(ctx, `SELECT (SELECT n FROM catalog_generation), count(*) FROM anime a WHERE `+f.cond(),
			append([]any{pgx.QueryExecModeCacheDescribe}, f.args[:n]...)...).Scan(&gen, &total)
		return gen, total, mapErr(err)
	})
	if err != nil {
		return nil, 0, err
	}
	page := `SELECT ` + animeColumns + ` FROM anime a WHERE ` + f.cond() + ` ORDER BY ` + order +
		` LIMIT ` + f.arg(limit) + ` OFFSET ` + f.arg(offset)
	rows, err := s.pool.Query(ctx, page, append([]any{pgx.QueryExecModeCacheDescribe}, f.args...)...)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Anime, error) { return scanAnime(r) })
	if err != nil {
		return nil, 0, mapErr(err)
	}
	return nonNilList(list), total, nil
}

func nonNilList(l []domain.Anime) []domain.Anime {
	if l == nil {
		return []domain.Anime{}
	}
	return l
}

// likeEscaper makes LIKE's special characters literal (the escape
// character is the default, a backslash).
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// Episodes implements domain.CatalogStore in one query.
func (s *Store) Episodes(ctx context.Context, animeID string) ([]domain.EpisodeWithSources, error) {
	out := []domain.EpisodeWithSources{}
	if !domain.ValidUUID(animeID) {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+episodeColumns+`, v.id, v.type, v.url, v.source_name, v.priority, v.is_active, v.admin_modified, v.created_at, v.updated_at
		FROM episodes e LEFT JOIN video_sources v ON v.episode_id = e.id AND v.is_active
		WHERE e.anime_id = $1 AND e.is_active
		ORDER BY e.number, e.id, v.priority DESC, v.id`, animeID)
	if err != nil {
		return nil, fmt.Errorf("list episodes: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var e domain.Episode
		var v struct {
			ID, Type, URL, SourceName *string
			Priority                  *int
			Active, AdminModified     *bool
			CreatedAt, UpdatedAt      pgtype.Timestamptz
		}
		if err := rows.Scan(append(episodeDest(&e), &v.ID, &v.Type, &v.URL, &v.SourceName, &v.Priority, &v.Active,
			&v.AdminModified, &v.CreatedAt, &v.UpdatedAt)...); err != nil {
			return nil, fmt.Errorf("list episodes: %w", mapErr(err))
		}
		e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
		if len(out) == 0 || out[len(out)-1].Episode.ID != e.ID {
			out = append(out, domain.EpisodeWithSources{Episode: e, Sources: []domain.VideoSource{}})
		}
		if v.ID != nil {
			last := &out[len(out)-1]
			last.Sources = append(last.Sources, domain.VideoSource{ID: *v.ID, EpisodeID: e.ID, Type: *v.Type, URL: *v.URL,
				SourceName: *v.SourceName, Priority: *v.Priority, Active: *v.Active, AdminModified: *v.AdminModified,
				CreatedAt: v.CreatedAt.Time.UTC(), UpdatedAt: v.UpdatedAt.Time.UTC()})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list episodes: %w", mapErr(err))
	}
	return out, nil
}
