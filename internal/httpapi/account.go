package httpapi

import (
	"net/http"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password" required:"true"`
	NewPassword     string `json:"new_password" required:"true"`
}

func handleChangePassword(auth *app.Auth) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[changePasswordRequest](r)
		if err != nil {
			return err
		}
		if err := auth.ChangePassword(r.Context(), principal(r), in.CurrentPassword, in.NewPassword); err != nil {
			return err
		}
		return encode(w, http.StatusOK, message{"Password changed"})
	})
}

func handleDeleteAccount(auth *app.Auth, cookies cookieJar) http.Handler {
	type request struct {
		Password string `json:"password" required:"true"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[request](r)
		if err != nil {
			return err
		}
		if err := auth.DeleteAccount(r.Context(), principal(r), in.Password); err != nil {
			return err
		}
		cookies.clear(w)
		return encode(w, http.StatusOK, message{"Account deleted"})
	})
}

type exportResponse struct {
	User     meResponse            `json:"user"`
	Library  []libraryItemResponse `json:"library"`
	Progress []progressResponse    `json:"progress"`
	History  []historyResponse     `json:"history"`
	Sessions []sessionResponse     `json:"sessions"`
}

// exportCollector gathers the export into one exportResponse.
type exportCollector struct {
	out     exportResponse
	session func(domain.Session) sessionResponse
}

func (c *exportCollector) User(u domain.User, a domain.Access) error {
	c.out.User = meResponse{Email: u.Email, ID: u.ID, IsActive: u.Active, CreatedAt: u.CreatedAt, Roles: a.Roles, Permissions: a.Permissions}
	c.out.Library, c.out.Progress, c.out.History, c.out.Sessions = []libraryItemResponse{}, []progressResponse{}, []historyResponse{}, []sessionResponse{}
	return nil
}

func (c *exportCollector) LibraryItem(it domain.LibraryItem) error {
	c.out.Library = append(c.out.Library, toLibraryItem(it))
	return nil
}

func (c *exportCollector) Progress(p domain.Progress) error {
	c.out.Progress = append(c.out.Progress, toProgress(p))
	return nil
}

func (c *exportCollector) History(h domain.HistoryEntry) error {
	c.out.History = append(c.out.History, toHistory(h))
	return nil
}

func (c *exportCollector) Session(s domain.Session) error {
	c.out.Sessions = append(c.out.Sessions, c.session(s))
	return nil
}

func handleExport(auth *app.Auth) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := principal(r)
		c := &exportCollector{session: sessionOf(p.SessionID)}
		if err := auth.Export(r.Context(), p, c); err != nil {
			return err
		}
		w.Header().Set("Content-Disposition", `attachment; filename="anirohi-export.json"`)
		return encode(w, http.StatusOK, c.out)
	})
}
