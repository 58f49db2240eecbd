package httpapi

import (
	"net/http"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

// The read models, /api/read/*: the shapes the upstream client reads,
// served from Redis when the answer is there, else built from the
// database, stored and served (a cold cache is never a 404). Writes drop
// what they change before they answer.

type readAnimeResponse struct {
	ID                string    `json:"id"`
	Slug              string    `json:"slug"`
	Title             string    `json:"title"`
	Description       *string   `json:"description"`
	Poster            *string   `json:"poster"`
	Year              *int      `json:"year"`
	Status            *string   `json:"status"`
	Genres            []string  `json:"genres"`
	AlternativeTitles []string  `json:"alternative_titles"`
	IsActive          bool      `json:"is_active"`
	LastUpdated       time.Time `json:"last_updated"`
}

func toReadAnime(a domain.Anime) readAnimeResponse {
	return readAnimeResponse{ID: a.ID, Slug: a.Slug, Title: a.Title, Description: a.Description, Poster: a.Poster,
		Year: a.Year, Status: a.Status, Genres: nonNil(a.Genres), AlternativeTitles: nonNil(a.AlternativeTitles),
		IsActive: a.Active, LastUpdated: a.UpdatedAt}
}

type readDetailResponse struct {
	readAnimeResponse
	Episodes []readEpisodeResponse `json:"episodes"`
}

type readEpisodeResponse struct {
	ID           string              `json:"id"`
	Number       int                 `json:"number"`
	Title        *string             `json:"title"`
	VideoSources []readVideoResponse `json:"video_sources"`
}

type readVideoResponse struct {
	videoSourceResponse
	IsActive bool `json:"is_active"`
}

func toReadEpisode(e domain.EpisodeWithSources) readEpisodeResponse {
	return readEpisodeResponse{ID: e.Episode.ID, Number: e.Episode.Number, Title: e.Episode.Title,
		VideoSources: convert(e.Sources, func(v domain.VideoSource) readVideoResponse {
			return readVideoResponse{videoSourceResponse{ID: v.ID, Type: v.Type, URL: v.URL, Priority: v.Priority}, v.Active}
		})}
}

func handleReadAnimeList(c catalogAnswers) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := catalogQuery(&p)
		if err := p.err(); err != nil {
			return err
		}
		return c.serve(w, r, "read-list", q, func() (listResponse, error) {
			return c.list(r, q, func(rows []domain.Anime) (listResponse, error) {
				return renderJSON(convert(rows, toReadAnime))
			})
		})
	})
}

func handleReadAnime(c catalogAnswers) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		return c.serve(w, r, "read-detail", r.PathValue("slug"), func() (listResponse, error) {
			return c.bySlug(r, "", func(a domain.Anime) (listResponse, error) {
				eps, err := c.catalog.Episodes(r.Context(), a.ID)
				if err != nil {
					return listResponse{}, err
				}
				return renderJSON(readDetailResponse{toReadAnime(a), convert(eps, toReadEpisode)})
			})
		})
	})
}

// The caller's read models are cached in the groups of their lists, so
// the writes that drop those drop these too; their keys say "read".
type readKey struct {
	Read     string
	Provider string
}

type readLibraryResponse struct {
	TitleID    string    `json:"title_id"`
	Provider   string    `json:"provider"`
	Status     string    `json:"status"`
	IsFavorite bool      `json:"is_favorite"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// readLimit is how many rows a read model holds: a list's largest page.
const readLimit = 1000

func handleReadLibrary(lib *app.Library, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := domain.LibraryQuery{Provider: p.provider(), Page: domain.Page{Limit: readLimit}}
		if err := p.err(); err != nil {
			return err
		}
		return lists.serve(w, r, "library", readKey{"library", q.Provider}, func() (listResponse, error) {
			items, _, err := lib.List(r.Context(), principal(r), q)
			if err != nil {
				return listResponse{}, err
			}
			return renderJSON(convert(items, func(it domain.LibraryItem) readLibraryResponse {
				return readLibraryResponse{TitleID: it.TitleID, Provider: it.Provider, Status: it.Status,
					IsFavorite: it.IsFavorite, UpdatedAt: it.UpdatedAt}
			}))
		})
	})
}

type readProgressResponse struct {
	EpisodeID       string    `json:"episode_id"`
	TitleID         string    `json:"title_id"`
	Provider        string    `json:"provider"`
	PositionSeconds float64   `json:"position_seconds"`
	DurationSeconds float64   `json:"duration_seconds"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func handleReadProgress(watch *app.Watch, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := domain.ProgressQuery{Provider: p.provider(), Page: domain.Page{Limit: readLimit}}
		if err := p.err(); err != nil {
			return err
		}
		return lists.serve(w, r, "progress", readKey{"progress", q.Provider}, func() (listResponse, error) {
			rows, _, err := watch.Progress(r.Context(), principal(r), q)
			if err != nil {
				return listResponse{}, err
			}
			return renderJSON(convert(rows, func(pr domain.Progress) readProgressResponse {
				return readProgressResponse{EpisodeID: pr.EpisodeID, TitleID: pr.TitleID, Provider: pr.Provider,
					PositionSeconds: pr.Position, DurationSeconds: pr.Duration, UpdatedAt: pr.UpdatedAt}
			}))
		})
	})
}

type readLastResponse struct {
	HistoryID       int64     `json:"history_id"`
	TitleID         string    `json:"title_id"`
	EpisodeID       string    `json:"episode_id"`
	Provider        string    `json:"provider"`
	PositionSeconds *float64  `json:"position_seconds"`
	WatchedAt       time.Time `json:"watched_at"`
}

// handleReadLastWatched answers the newest history entry, or null.
func handleReadLastWatched(watch *app.Watch, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := domain.HistoryQuery{Provider: p.provider(), Page: domain.Page{Limit: 1}}
		if err := p.err(); err != nil {
			return err
		}
		return lists.serve(w, r, "history", readKey{"last", q.Provider}, func() (listResponse, error) {
			rows, _, err := watch.History(r.Context(), principal(r), q)
			if err != nil || len(rows) == 0 {
				return rendered([]byte("null")), err
			}
			h := rows[0]
			return renderJSON(readLastResponse{HistoryID: h.ID, TitleID: h.TitleID, EpisodeID: h.EpisodeID,
				Provider: h.Provider, PositionSeconds: h.Position, WatchedAt: h.WatchedAt})
		})
	})
}
