package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

// requirePermission lets the request through only when the authenticated
// caller holds perm (D5); it runs after authenticated.
func requirePermission(perm string, next http.Handler) http.Handler {
	denied := domain.E(domain.KindForbidden, "Permission required: "+perm)
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		if !principal(r).Access.Can(perm) {
			return denied
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

type userSummaryResponse struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	IsActive  bool      `json:"is_active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Roles     []string  `json:"roles"`
}

type adminUserResponse struct {
	userSummaryResponse
	Permissions []string `json:"permissions"`
}

func toAdminUser(st domain.AuthState) adminUserResponse {
	u := st.User
	return adminUserResponse{userSummaryResponse{u.ID, u.Email, u.Active, u.CreatedAt, u.UpdatedAt, st.Access.Roles}, st.Access.Permissions}
}

type pageResponse[T any] struct {
	Items      []T `json:"items"`
	Total      int `json:"total"`
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	TotalPages int `json:"total_pages"`
}

// pageNumber reads ?page= (>= 1, default 1) and ?per_page= (1..100,
// default 20).
func (p *params) pageNumber() (page, perPage int) {
	return p.integer("page", 1, 1, 1_000_000), p.integer("per_page", 20, 1, 100)
}

func newPage[T any](items []T, total, page, perPage int) pageResponse[T] {
	return pageResponse[T]{Items: items, Total: total, Page: page, PerPage: perPage, TotalPages: (total + perPage - 1) / perPage}
}

func handleAdminUsers(admin *app.Admin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		page, perPage := p.pageNumber()
		email := p.text("email", domain.MaxEmailLen)
		if err := p.err(); err != nil {
			return err
		}
		list, total, err := admin.Users(r.Context(), domain.UserQuery{EmailContains: email, Offset: (page - 1) * perPage, Limit: perPage})
		if err != nil {
			return err
		}
		items := make([]userSummaryResponse, len(list))
		for i, s := range list {
			items[i] = userSummaryResponse{s.User.ID, s.User.Email, s.User.Active, s.User.CreatedAt, s.User.UpdatedAt, s.Roles}
		}
		return encode(w, http.StatusOK, newPage(items, total, page, perPage))
	})
}

func handleAdminUser(admin *app.Admin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		st, err := admin.User(r.Context(), id)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toAdminUser(st))
	})
}

type setActiveRequest struct {
	IsActive bool `json:"is_active" required:"true"`
}

func handleAdminSetActive(admin *app.Admin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		in, err := decode[setActiveRequest](r)
		if err != nil {
			return err
		}
		st, err := admin.SetActive(r.Context(), principal(r), id, in.IsActive, traceID(r.Context()))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toAdminUser(st))
	})
}

// handleAdminRole grants (grant true) or revokes a role.
func handleAdminRole(admin *app.Admin, grant bool) http.Handler {
	change := admin.RevokeRole
	if grant {
		change = admin.GrantRole
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		st, err := change(r.Context(), principal(r), id, r.PathValue("code"), traceID(r.Context()))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toAdminUser(st))
	})
}

func handleAdminRevokeSessions(admin *app.Admin) http.Handler {
	type response struct {
		Message string `json:"message"`
		Revoked int    `json:"revoked"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := admin.RevokeSessions(r.Context(), principal(r), id, traceID(r.Context()))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{"Sessions revoked", n})
	})
}

func handleAdminRoles(admin *app.Admin) http.Handler {
	type role struct {
		Code        string   `json:"code"`
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Permissions []string `json:"permissions"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		roles, err := admin.Roles(r.Context())
		if err != nil {
			return err
		}
		out := make([]role, len(roles))
		for i, rl := range roles {
			out[i] = role{rl.Code, rl.Name, rl.Description, rl.Permissions}
		}
		return encode(w, http.StatusOK, out)
	})
}

type auditResponse struct {
	ID         int64          `json:"id"`
	ActorID    *int64         `json:"actor_id"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Changes    map[string]any `json:"changes"`
	TraceID    string         `json:"trace_id"`
	CreatedAt  time.Time      `json:"created_at"`
}

func handleAdminAuditLog(admin *app.Admin) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := params{r: r}
		page, perPage := p.pageNumber()
		q := domain.AuditQuery{Action: p.text("action", 64), TargetType: p.text("target_type", 64),
			TargetID: p.text("target_id", 64), Offset: (page - 1) * perPage, Limit: perPage}
		if v := p.value("actor_id"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				p.check([]domain.FieldError{{Field: "actor_id", Message: "must be a positive integer"}})
			}
			q.ActorID = n
		}
		if err := p.err(); err != nil {
			return err
		}
		list, total, err := admin.AuditLog(r.Context(), q)
		if err != nil {
			return err
		}
		items := make([]auditResponse, len(list))
		for i, a := range list {
			items[i] = auditResponse{ID: a.ID, Action: a.Action, TargetType: a.TargetType, TargetID: a.TargetID,
				Changes: a.Changes, TraceID: a.TraceID, CreatedAt: a.CreatedAt}
			if a.ActorID != 0 {
				items[i].ActorID = &list[i].ActorID
			}
		}
		return encode(w, http.StatusOK, newPage(items, total, page, perPage))
	})
}
