package httpapi

import (
	"net/http"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

// The editors' catalog, /api/v1/admin/{dashboard,anime,episodes,video}:
// shapes of the upstream admin API (API.md §10.5), catalog:read for GET and
// catalog:write for the rest.

type adminAnimeItem struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Slug          string    `json:"slug"`
	Year          *int      `json:"year"`
	Status        *string   `json:"status"`
	SourceName    string    `json:"source_name"`
	IsActive      bool      `json:"is_active"`
	AdminModified bool      `json:"admin_modified"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func toAdminAnimeItem(a domain.Anime) adminAnimeItem {
	return adminAnimeItem{ID: a.ID, Title: a.Title, Slug: a.Slug, Year: a.Year, Status: a.Status, SourceName: a.SourceName,
		IsActive: a.Active, AdminModified: a.AdminModified, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

type adminAnimeDetail struct {
	adminAnimeItem
	Description       *string  `json:"description"`
	Poster            *string  `json:"poster"`
	SourceID          string   `json:"source_id"`
	Genres            []string `json:"genres"`
	AlternativeTitles []string `json:"alternative_titles"`
}

func toAdminAnime(a domain.Anime) adminAnimeDetail {
	return adminAnimeDetail{adminAnimeItem: toAdminAnimeItem(a), Description: a.Description, Poster: a.Poster,
		SourceID: a.SourceID, Genres: nonNil(a.Genres), AlternativeTitles: nonNil(a.AlternativeTitles)}
}

type adminEpisodeItem struct {
	ID              string    `json:"id"`
	AnimeID         string    `json:"anime_id"`
	Number          int       `json:"number"`
	Title           *string   `json:"title"`
	SourceEpisodeID string    `json:"source_episode_id"`
	IsActive        bool      `json:"is_active"`
	HasVideo        bool      `json:"has_video"`
	AdminModified   bool      `json:"admin_modified"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func toAdminEpisode(e domain.AdminEpisode) adminEpisodeItem {
	return adminEpisodeItem{ID: e.ID, AnimeID: e.AnimeID, Number: e.Number, Title: e.Title, SourceEpisodeID: e.SourceEpisodeID,
		IsActive: e.Active, HasVideo: e.HasVideo, AdminModified: e.AdminModified, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

type adminVideoItem struct {
	ID            string    `json:"id"`
	EpisodeID     string    `json:"episode_id"`
	Type          string    `json:"type"`
	URL           string    `json:"url"`
	SourceName    string    `json:"source_name"`
	Priority      int       `json:"priority"`
	IsActive      bool      `json:"is_active"`
	AdminModified bool      `json:"admin_modified"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func toAdminVideo(v domain.VideoSource) adminVideoItem {
	return adminVideoItem{ID: v.ID, EpisodeID: v.EpisodeID, Type: v.Type, URL: v.URL, SourceName: v.SourceName,
		Priority: v.Priority, IsActive: v.Active, AdminModified: v.AdminModified, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

// edit is who makes the request's change.
func edit(r *http.Request) app.Edit {
	return app.Edit{Actor: principal(r), TraceID: traceID(r.Context())}
}

// change turns a nullable field into a store change (absent keeps it).
func (o optional[T]) change() domain.Change[T] {
	return domain.Change[T]{Set: o.Set, Value: o.ptr()}
}

func handleAdminAnimeList(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		page, perPage := p.pageNumber()
		q := app.AdminAnimeQuery{Search: p.text("search", domain.MaxSearchLen), SourceName: p.text("source_name", domain.MaxSourceIDLen),
			Offset: (page - 1) * perPage, Limit: perPage}
		if p.value("is_active") != "" {
			active := p.boolean("is_active")
			q.Active = &active
		}
		if err := p.err(); err != nil {
			return err
		}
		list, total, err := ca.AnimeList(r.Context(), q)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, newPage(convert(list, toAdminAnimeItem), total, page, perPage))
	})
}

func handleAdminAnime(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		a, err := ca.Anime(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toAdminAnime(a))
	})
}

type createAnimeRequest struct {
	Title             string   `json:"title" required:"true"`
	Slug              string   `json:"slug"` // "" derives one
	AlternativeTitles []string `json:"alternative_titles"`
	Description       *string  `json:"description"`
	Year              *int     `json:"year"`
	Status            *string  `json:"status"`
	Poster            *string  `json:"poster"`
	Genres            []string `json:"genres"`
}

func handleAdminCreateAnime(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[createAnimeRequest](r)
		if err != nil {
			return err
		}
		a, err := ca.CreateAnime(r.Context(), edit(r), domain.AnimeImport{Title: in.Title, AlternativeTitles: in.AlternativeTitles,
			Description: in.Description, Year: in.Year, Status: in.Status, Poster: in.Poster, Genres: in.Genres}, in.Slug)
		if err != nil {
			return err
		}
		return encode(w, http.StatusCreated, toAdminAnime(a))
	})
}

type updateAnimeRequest struct {
	Title       *string          `json:"title"`
	Slug        *string          `json:"slug"`
	Description optional[string] `json:"description"`
	Year        optional[int]    `json:"year"`
	Status      optional[string] `json:"status"`
	Poster      optional[string] `json:"poster"`
	IsActive    *bool            `json:"is_active"`
}

func handleAdminUpdateAnime(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[updateAnimeRequest](r)
		if err != nil {
			return err
		}
		a, err := ca.UpdateAnime(r.Context(), edit(r), r.PathValue("id"), app.AnimeChange{Title: in.Title, Slug: in.Slug,
			Description: in.Description.change(), Year: in.Year.change(), Status: in.Status.change(), Poster: in.Poster.change(), Active: in.IsActive})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toAdminAnime(a))
	})
}

func handleAdminEpisodes(ca *app.CatalogAdmin) http.Handler {
	type response struct {
		Items      []adminEpisodeItem `json:"items"`
		Total      int                `json:"total"`
		AnimeTitle string             `json:"anime_title"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		a, eps, err := ca.Episodes(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{convert(eps, toAdminEpisode), len(eps), a.Title})
	})
}

type createEpisodeRequest struct {
	AnimeID         string  `json:"anime_id" required:"true"`
	Number          int     `json:"number" required:"true"`
	Title           *string `json:"title"`
	SourceEpisodeID string  `json:"source_episode_id" required:"true"`
	IsActive        *bool   `json:"is_active"` // default true
}

func handleAdminCreateEpisode(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[createEpisodeRequest](r)
		if err != nil {
			return err
		}
		ep := domain.NewEpisode{AnimeID: in.AnimeID, Number: in.Number, Title: in.Title, SourceEpisodeID: in.SourceEpisodeID, Active: true}
		if in.IsActive != nil {
			ep.Active = *in.IsActive
		}
		out, err := ca.CreateEpisode(r.Context(), edit(r), ep)
		if err != nil {
			return err
		}
		return encode(w, http.StatusCreated, toAdminEpisode(out))
	})
}

// episodeChange answers an episode change made by do.
func episodeChange[T any](do func(r *http.Request, in T) (domain.AdminEpisode, error)) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[T](r)
		if err != nil {
			return err
		}
		out, err := do(r, in)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toAdminEpisode(out))
	})
}

type updateEpisodeRequest struct {
	Number   *int             `json:"number"`
	Title    optional[string] `json:"title"`
	IsActive *bool            `json:"is_active"`
}

func handleAdminUpdateEpisode(ca *app.CatalogAdmin) http.Handler {
	return episodeChange(func(r *http.Request, in updateEpisodeRequest) (domain.AdminEpisode, error) {
		return ca.UpdateEpisode(r.Context(), edit(r), r.PathValue("id"), domain.EpisodePatch{Number: in.Number, Title: in.Title.change(), Active: in.IsActive})
	})
}

type attachRequest struct {
	AnimeID string `json:"anime_id" required:"true"`
}

func handleAdminAttachEpisode(ca *app.CatalogAdmin) http.Handler {
	return episodeChange(func(r *http.Request, in attachRequest) (domain.AdminEpisode, error) {
		return ca.AttachEpisode(r.Context(), edit(r), r.PathValue("id"), in.AnimeID)
	})
}

type detachRequest struct {
	Reason *string `json:"reason"`
}

func handleAdminDetachEpisode(ca *app.CatalogAdmin) http.Handler {
	return episodeChange(func(r *http.Request, in detachRequest) (domain.AdminEpisode, error) {
		return ca.DetachEpisode(r.Context(), edit(r), r.PathValue("id"), in.Reason)
	})
}

func handleAdminVideos(ca *app.CatalogAdmin) http.Handler {
	type response struct {
		Items         []adminVideoItem `json:"items"`
		Total         int              `json:"total"`
		EpisodeNumber int              `json:"episode_number"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		list, number, err := ca.Videos(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{convert(list, toAdminVideo), len(list), number})
	})
}

type createVideoRequest struct {
	EpisodeID  string `json:"episode_id" required:"true"`
	Type       string `json:"type" required:"true"`
	URL        string `json:"url" required:"true"`
	SourceName string `json:"source_name" required:"true"`
	Priority   int    `json:"priority"`
	IsActive   *bool  `json:"is_active"` // default true
}

func handleAdminCreateVideo(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[createVideoRequest](r)
		if err != nil {
			return err
		}
		v := domain.VideoSource{EpisodeID: in.EpisodeID, Type: in.Type, URL: in.URL, SourceName: in.SourceName, Priority: in.Priority, Active: true}
		if in.IsActive != nil {
			v.Active = *in.IsActive
		}
		out, err := ca.CreateVideo(r.Context(), edit(r), v)
		if err != nil {
			return err
		}
		return encode(w, http.StatusCreated, toAdminVideo(out))
	})
}

type updateVideoRequest struct {
	Type       *string `json:"type"`
	URL        *string `json:"url"`
	SourceName *string `json:"source_name"`
	Priority   *int    `json:"priority"`
	IsActive   *bool   `json:"is_active"`
}

type videoStateRequest struct {
	IsActive bool `json:"is_active" required:"true"`
	Priority *int `json:"priority"`
}

// handleAdminUpdateVideo answers PATCH /video/{id}, and with state true
// POST /video/{id}/state (is_active and priority only).
func handleAdminUpdateVideo(ca *app.CatalogAdmin, state bool) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		var p domain.VideoPatch
		if state {
			in, err := decode[videoStateRequest](r)
			if err != nil {
				return err
			}
			p = domain.VideoPatch{Active: &in.IsActive, Priority: in.Priority}
		} else {
			in, err := decode[updateVideoRequest](r)
			if err != nil {
				return err
			}
			p = domain.VideoPatch{Type: in.Type, URL: in.URL, SourceName: in.SourceName, Priority: in.Priority, Active: in.IsActive}
		}
		out, err := ca.UpdateVideo(r.Context(), edit(r), r.PathValue("id"), p, state)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toAdminVideo(out))
	})
}

func handleAdminDeleteVideo(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := ca.DeleteVideo(r.Context(), edit(r), r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

type dashboardAnime struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Slug      string    `json:"slug"`
	CreatedAt time.Time `json:"created_at"`
}

type dashboardEpisode struct {
	ID        string    `json:"id"`
	AnimeID   string    `json:"anime_id"`
	Number    int       `json:"number"`
	CreatedAt time.Time `json:"created_at"`
}

type sourceCount struct {
	SourceName string `json:"source_name"`
	Count      int    `json:"count"`
}

type dashboardResponse struct {
	TotalAnime        int                `json:"total_anime"`
	ActiveAnime       int                `json:"active_anime"`
	InactiveAnime     int                `json:"inactive_anime"`
	TotalEpisodes     int                `json:"total_episodes"`
	InactiveEpisodes  int                `json:"inactive_episodes"`
	TotalSources      int                `json:"total_video_sources"`
	SourcesByName     []sourceCount      `json:"sources_by_name"`
	RecentAnime       []dashboardAnime   `json:"recent_anime"`
	RecentEpisodes    []dashboardEpisode `json:"recent_episodes"`
	WithoutSource     int                `json:"anime_without_sources"`
	WithoutSourceList []dashboardAnime   `json:"anime_without_sources_items"`
}

func toDashboardAnime(a domain.Anime) dashboardAnime {
	return dashboardAnime{a.ID, a.Title, a.Slug, a.CreatedAt}
}

func handleAdminDashboard(ca *app.CatalogAdmin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		d, err := ca.Dashboard(r.Context())
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, dashboardResponse{
			TotalAnime: d.TotalAnime, ActiveAnime: d.ActiveAnime, InactiveAnime: d.InactiveAnime,
			TotalEpisodes: d.TotalEpisodes, InactiveEpisodes: d.InactiveEpisodes, TotalSources: d.TotalSources,
			SourcesByName: convert(d.SourcesByName, func(n domain.NamedCount) sourceCount { return sourceCount{n.Name, n.Count} }),
			RecentAnime:   convert(d.RecentAnime, toDashboardAnime),
			RecentEpisodes: convert(d.RecentEpisodes, func(e domain.Episode) dashboardEpisode {
				return dashboardEpisode{e.ID, e.AnimeID, e.Number, e.CreatedAt}
			}),
			WithoutSource: d.WithoutSource, WithoutSourceList: convert(d.WithoutSourceAnime, toDashboardAnime),
		})
	})
}
