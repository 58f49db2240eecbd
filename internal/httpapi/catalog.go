package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

// The public catalog, /api/v1/anime*: no auth, shapes of the upstream
// service. Answers show no parser internals (source names and ids,
// admin_modified), carry an ETag and may be kept by shared caches for a
// minute.

type animeItemResponse struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Slug        string    `json:"slug"`
	Description *string   `json:"description"`
	Year        *int      `json:"year"`
	Status      *string   `json:"status"`
	Poster      *string   `json:"poster"`
	Genres      []string  `json:"genres"`
	CreatedAt   time.Time `json:"created_at"`
}

func toAnimeItem(a domain.Anime) animeItemResponse {
	return animeItemResponse{ID: a.ID, Title: a.Title, Slug: a.Slug, Description: a.Description, Year: a.Year,
		Status: a.Status, Poster: a.Poster, Genres: nonNil(a.Genres), CreatedAt: a.CreatedAt}
}

type animeDetailResponse struct {
	animeItemResponse
	AlternativeTitles []string  `json:"alternative_titles"`
	UpdatedAt         time.Time `json:"updated_at"`
}

type episodeResponse struct {
	ID           string                `json:"id"`
	Number       int                   `json:"number"`
	Title        *string               `json:"title"`
	VideoSources []videoSourceResponse `json:"video_sources"`
}

type videoSourceResponse struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	URL      string `json:"url"`
	Priority int    `json:"priority"`
}

func toEpisode(e domain.EpisodeWithSources) episodeResponse {
	return episodeResponse{ID: e.Episode.ID, Number: e.Episode.Number, Title: e.Episode.Title,
		VideoSources: convert(e.Sources, func(v domain.VideoSource) videoSourceResponse {
			return videoSourceResponse{ID: v.ID, Type: v.Type, URL: v.URL, Priority: v.Priority}
		})}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// catalogQuery reads the list parameters of /api/v1/anime and
// /api/read/anime. year=0 means no year, as upstream.
func catalogQuery(p *params) app.CatalogQuery {
	q := app.CatalogQuery{
		Skip:   p.integer("skip", 0, 0, domain.MaxCatalogSkip),
		Limit:  p.integer("limit", 50, 1, domain.MaxCatalogPageLimit),
		Genre:  p.text("genre", domain.MaxTitleLen),
		Search: p.text("q", domain.MaxSearchLen),
	}
	if y := p.integer("year", 0, 0, domain.MaxYear); y != 0 {
		p.check(domain.CheckRange("year", y, domain.MinYear, domain.MaxYear))
		q.Year = &y
	}
	if q.Status = p.value("status"); q.Status != "" && !domain.ValidAnimeStatus(q.Status) {
		p.check([]domain.FieldError{{Field: "status", Message: "must be one of ongoing, completed, upcoming"}})
	}
	return q
}

// catalogAnswers are the catalog's rendered answers, cached in Redis as
// one group that every catalog write drops.
type catalogAnswers struct {
	lists   lists
	catalog *app.Catalog
}

// CatalogGroup is the cache group of every catalog answer: a catalog
// write drops it whole.
const CatalogGroup = "catalog"

// serve answers a rendering of the catalog (kind names it, query selects
// it) from the cache or from load.
func (c catalogAnswers) serve(w http.ResponseWriter, r *http.Request, kind string, query any, load func() (listResponse, error)) error {
	return c.lists.serveGroup(w, r, CatalogGroup, CatalogGroup, struct {
		Kind  string
		Query any
	}{kind, query}, func() (listResponse, error) {
		l, err := load()
		l.publicCache = true
		return l, err
	})
}

// list renders a page of the catalog with its total count.
func (c catalogAnswers) list(r *http.Request, q app.CatalogQuery, render func([]domain.Anime) (listResponse, error)) (listResponse, error) {
	rows, total, err := c.catalog.List(r.Context(), q)
	if err != nil {
		return listResponse{}, err
	}
	l, err := render(rows)
	l.total = strconv.Itoa(total)
	return l, err
}

func handleAnimeList(c catalogAnswers) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := catalogQuery(&p)
		if err := p.err(); err != nil {
			return err
		}
		return c.serve(w, r, "list", q, func() (listResponse, error) {
			return c.list(r, q, func(rows []domain.Anime) (listResponse, error) {
				return renderJSON(convert(rows, toAnimeItem))
			})
		})
	})
}

// bySlug renders the anime of the path's slug with render; a former slug
// renders a 308 to the same path under the current one.
func (c catalogAnswers) bySlug(r *http.Request, suffix string, render func(domain.Anime) (listResponse, error)) (listResponse, error) {
	slug := r.PathValue("slug")
	a, err := c.catalog.Anime(r.Context(), slug)
	if err != nil {
		return listResponse{}, err
	}
	if a.Slug != slug {
		prefix := r.URL.Path[:len(r.URL.Path)-len(slug)-len(suffix)]
		return listResponse{location: prefix + a.Slug + suffix}, nil
	}
	return render(a)
}

func handleAnime(c catalogAnswers) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		return c.serve(w, r, "detail", r.PathValue("slug"), func() (listResponse, error) {
			return c.bySlug(r, "", func(a domain.Anime) (listResponse, error) {
				return renderJSON(animeDetailResponse{animeItemResponse: toAnimeItem(a),
					AlternativeTitles: nonNil(a.AlternativeTitles), UpdatedAt: a.UpdatedAt})
			})
		})
	})
}

func handleAnimeEpisodes(c catalogAnswers) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		return c.serve(w, r, "episodes", r.PathValue("slug"), func() (listResponse, error) {
			return c.bySlug(r, "/episodes", func(a domain.Anime) (listResponse, error) {
				eps, err := c.catalog.Episodes(r.Context(), a.ID)
				if err != nil {
					return listResponse{}, err
				}
				return renderJSON(convert(eps, toEpisode))
			})
		})
	})
}
