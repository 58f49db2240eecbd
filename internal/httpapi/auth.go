package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

const refreshCookie = "refresh_token"

type credentials struct {
	Email    string `json:"email" required:"true"`
	Password string `json:"password" required:"true"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

func handleRegister(auth *app.Auth, cookies cookieJar, guard passwordGuard) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[credentials](r)
		if err != nil {
			return err
		}
		t, err := auth.Register(r.Context(), in.Email, in.Password, client(r))
		if err != nil {
			return err
		}
		email, _ := domain.NormalizeEmail(in.Email) // valid: the account exists
		return cookies.sendTokens(w, http.StatusCreated, t, guard.deviceCookie(domain.EmailKey(email), bucket{}))
	})
}

// loginFunc checks an email and password and starts a session.
type loginFunc func(ctx context.Context, email, password string, c app.Client) (app.Tokens, error)

// handleLogin applies the failed-password policy (passwordGuard) to the
// normalised address, so that no spelling of it gets a budget of its own.
func handleLogin(login loginFunc, cookies cookieJar, guard passwordGuard) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[credentials](r)
		if err != nil {
			return err
		}
		email, err := domain.NormalizeEmail(in.Email)
		if err != nil {
			return err
		}
		account := domain.EmailKey(email)
		b := guard.bucketFor(r, account)
		if err := guard.check(w, r, b); err != nil {
			return err
		}
		t, err := login(r.Context(), email, in.Password, client(r))
		if errors.Is(err, app.ErrBadCredentials) {
			guard.failed(r.Context(), b)
		}
		if err != nil {
			return err
		}
		return cookies.sendTokens(w, http.StatusOK, t, guard.deviceCookie(account, b))
	})
}

func handleRefresh(auth *app.Auth, cookies cookieJar) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		t, err := auth.Refresh(r.Context(), cookieValue(r, refreshCookie), client(r))
		if err != nil {
			return err
		}
		return cookies.sendTokens(w, http.StatusOK, t)
	})
}

func handleLogout(auth *app.Auth, cookies cookieJar) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := auth.Logout(r.Context(), cookieValue(r, refreshCookie)); err != nil {
			return err
		}
		cookies.clear(w)
		return encode(w, http.StatusOK, message{"Logged out successfully"})
	})
}

func handleLogoutAll(auth *app.Auth, cookies cookieJar) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := auth.LogoutAll(r.Context(), principal(r)); err != nil {
			return err
		}
		cookies.clear(w)
		return encode(w, http.StatusOK, message{"Logged out from all sessions"})
	})
}

type sessionResponse struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

func handleSessions(auth *app.Auth) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		p := principal(r)
		list, err := auth.Sessions(r.Context(), p)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, convert(list, sessionOf(p.SessionID)))
	})
}

// sessionOf converts sessions, marking the caller's own.
func sessionOf(current int64) func(domain.Session) sessionResponse {
	return func(s domain.Session) sessionResponse {
		return sessionResponse{ID: s.ID, CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt,
			UserAgent: s.UserAgent, IP: s.IP, Current: s.ID == current}
	}
}

func handleRevokeSession(auth *app.Auth) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := auth.RevokeSession(r.Context(), principal(r), id); err != nil {
			return err
		}
		return encode(w, http.StatusOK, message{"Session revoked"})
	})
}

type meResponse struct {
	Email       string    `json:"email"`
	ID          int64     `json:"id"`
	IsActive    bool      `json:"is_active"`
	CreatedAt   time.Time `json:"created_at"`
	Roles       []string  `json:"roles"`
	Permissions []string  `json:"permissions"`
}

func handleMe(auth *app.Auth) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		st, err := auth.Me(r.Context(), principal(r))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, toMe(st.User, st.Access))
	})
}

func toMe(u domain.User, a domain.Access) meResponse {
	return meResponse{Email: u.Email, ID: u.ID, IsActive: u.Active, CreatedAt: u.CreatedAt, Roles: a.Roles, Permissions: a.Permissions}
}

// pathID parses a positive integer path parameter; anything else is 400.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.Invalid(domain.FieldError{Field: name, Message: "must be a positive integer"})
	}
	return id, nil
}

func client(r *http.Request) app.Client {
	return app.Client{IP: info(r.Context()).clientIP, UserAgent: r.UserAgent()}
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// cookieJar writes the refresh cookie with the attributes of D4; clearing
// it repeats them.
type cookieJar struct {
	secure   bool
	sameSite http.SameSite
	maxAge   time.Duration
}

func (c cookieJar) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: refreshCookie, Value: value, Path: "/api/v1/auth", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: c.sameSite}
}

// sendTokens answers a token pair: the refresh cookie, then any other
// cookies, then the body.
func (c cookieJar) sendTokens(w http.ResponseWriter, status int, t app.Tokens, more ...*http.Cookie) error {
	http.SetCookie(w, c.cookie(t.Refresh, int(c.maxAge.Seconds())))
	for _, ck := range more {
		http.SetCookie(w, ck)
	}
	return encode(w, status, tokenResponse{AccessToken: t.Access, TokenType: "bearer", ExpiresIn: int64(t.ExpiresIn.Seconds())})
}

func (c cookieJar) clear(w http.ResponseWriter) {
	ck := c.cookie("", -1) // Max-Age=0 on the wire
	ck.Expires = time.Unix(0, 0)
	http.SetCookie(w, ck)
}

type principalKey struct{}

// principal returns the caller set by authenticated.
func principal(r *http.Request) domain.Principal {
	p, _ := r.Context().Value(principalKey{}).(domain.Principal)
	return p
}

// authenticated requires a valid bearer token; the principal goes into the
// request context for the handler to pass on. The global rate limit counts
// the user, or the IP when authentication fails.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		ri := info(r.Context())
		tok, err := bearerToken(r.Header.Get("Authorization"))
		if err == nil {
			var p domain.Principal
			p, err = s.deps.Auth.Authenticate(r.Context(), tok)
			if err == nil {
				ri.userID = p.UserID
				if err := s.take(w, r, "global", "user:"+strconv.FormatInt(p.UserID, 10), s.cfg.Limits.Global); err != nil {
					return err
				}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
				return nil
			}
		}
		if lerr := s.take(w, r, "global", addressKey(r), s.cfg.Limits.Global); lerr != nil {
			return lerr
		}
		if domain.KindOf(err) == domain.KindUnauthenticated {
			w.Header().Set("WWW-Authenticate", `Bearer realm="anirohi"`)
		}
		return err
	})
}

var errBadScheme = domain.E(domain.KindUnauthenticated, "Invalid authentication credentials")

func bearerToken(h string) (string, error) {
	if strings.TrimSpace(h) == "" {
		return "", app.ErrNotAuthenticated
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", errBadScheme
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", app.ErrNotAuthenticated
	}
	return tok, nil
}

// sameOrigin refuses cookie-authenticated requests from origins that are
// not allowed (D4): a browser always sends Origin on cross-site POSTs.
func (s *Server) sameOrigin(next http.Handler) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o) {
			return errOrigin
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

var errOrigin = domain.E(domain.KindForbidden, "Origin not allowed")
