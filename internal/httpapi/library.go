package httpapi

import (
	"net/http"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

type libraryItemResponse struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Provider   string    `json:"provider"`
	TitleID    string    `json:"title_id"`
	Status     string    `json:"status"`
	IsFavorite bool      `json:"is_favorite"`
	Score      *int      `json:"score"`
	Notes      *string   `json:"notes"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toLibraryItem(it domain.LibraryItem) libraryItemResponse {
	return libraryItemResponse{ID: it.ID, UserID: it.UserID, Provider: it.Provider, TitleID: it.TitleID, Status: it.Status,
		IsFavorite: it.IsFavorite, Score: it.Score, Notes: it.Notes, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func handleListLibrary(lib *app.Library, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		q := domain.LibraryQuery{Provider: p.provider(), Status: p.value("status"), FavoritesOnly: p.boolean("favorites"), Page: p.page(1000, 1000)}
		if q.Status != "" && !domain.ValidStatus(q.Status) {
			p.check([]domain.FieldError{{Field: "status", Message: "must be one of watching, planned, completed, dropped"}})
		}
		if err := p.err(); err != nil {
			return err
		}
		return lists.serve(w, r, "library", q, func() (listResponse, error) {
			items, next, err := lib.List(r.Context(), principal(r), q)
			return renderList(convert(items, toLibraryItem), next), err
		})
	})
}

// libraryPatchRequest: status and is_favorite null or absent keep the
// stored value; score and notes absent keep it, null clears it.
type libraryPatchRequest struct {
	Status     *string          `json:"status"`
	IsFavorite *bool            `json:"is_favorite"`
	Score      optional[int]    `json:"score"`
	Notes      optional[string] `json:"notes"`
}

func (in *libraryPatchRequest) patch() domain.LibraryPatch {
	return domain.LibraryPatch{Status: in.Status, IsFavorite: in.IsFavorite,
		SetScore: in.Score.Set, Score: in.Score.ptr(), SetNotes: in.Notes.Set, Notes: in.Notes.ptr()}
}

func (in *libraryPatchRequest) Valid() []domain.FieldError { return in.patch().Check() }

func handlePutLibraryItem(lib *app.Library, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		title, provider := p.id("title_id"), p.provider()
		if err := p.err(); err != nil {
			return err
		}
		in, err := decode[libraryPatchRequest](r)
		if err != nil {
			return err
		}
		it, err := lib.Put(r.Context(), principal(r), provider, title, in.patch())
		if err != nil {
			return err
		}
		lists.invalidate(r, "library")
		return encode(w, http.StatusOK, toLibraryItem(it))
	})
}

func handleDeleteLibraryItem(lib *app.Library, lists lists) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		title, provider := p.id("title_id"), p.provider()
		if err := p.err(); err != nil {
			return err
		}
		if err := lib.Delete(r.Context(), principal(r), provider, title); err != nil {
			return err
		}
		lists.invalidate(r, "library")
		return encode(w, http.StatusOK, message{"Library item removed"})
	})
}
