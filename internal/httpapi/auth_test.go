package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

const pw = "correct-horse-1"

// The original service's auth tests, adapted to our error format and account rules.

func TestRegisterLoginMeFlow(t *testing.T) {
	api := newTestAPI(t)
	r := api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"Test@Example.com", pw}}).wantStatus(t, 201)
	var tr tokenResponse
	r.json(t, &tr)
	if tr.AccessToken == "" || tr.TokenType != "bearer" || tr.ExpiresIn != 900 {
		t.Errorf("token body = %+v, want a bearer token expiring in 900 s", tr)
	}
	if r.cookie(refreshCookie) == nil {
		t.Fatal("no refresh_token cookie")
	}
	if got := r.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	var me map[string]any
	api.do(req{path: "/api/v1/users/me", token: tr.AccessToken}).wantStatus(t, 200).json(t, &me)
	want := map[string]any{
		"email": "Test@Example.com", "id": float64(1), "is_active": true, "created_at": "2026-01-08T07:00:00Z",
		"roles":       []any{"user"},
		"permissions": []any{"library:delete", "library:read", "library:write", "user:read", "user:write"},
	}
	if diff := cmp.Diff(want, me); diff != "" {
		t.Errorf("/users/me mismatch (-want +got):\n%s", diff)
	}
}

func TestRegisterDuplicateEmailIsConflict(t *testing.T) {
	api := newTestAPI(t)
	api.register("bob@example.com", pw)
	api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{" BOB@example.com ", pw}}).
		wantError(t, 409, "CONFLICT", "Email already registered")
}

func TestRegisterValidation(t *testing.T) {
	api := newTestAPI(t)
	tests := []struct {
		name     string
		body     any
		wantFlds []string
	}{
		{"short password", credentials{"a@example.com", "1234567"}, []string{"password"}},
		{"long password", credentials{"a@example.com", strings.Repeat("x", 129)}, []string{"password"}},
		{"bad email", credentials{"not-an-email", pw}, []string{"email"}},
		{"special-use domain", credentials{"a@host.test", pw}, []string{"email"}},
		{"both", credentials{"", ""}, []string{"email", "password"}},
		{"long email", credentials{strings.Repeat("a", 250) + "@example.com", pw}, []string{"email"}},
		{"wrong types", `{"email": 1, "password": "x"}`, []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api.do(req{method: "POST", path: "/api/v1/auth/register", body: tt.body})
			if got := r.invalidFields(t); !cmp.Equal(got, tt.wantFlds) {
				t.Errorf("fields = %v, want %v", got, tt.wantFlds)
			}
		})
	}
	// 128 characters (not bytes) is the maximum: 128 multi-byte runes pass.
	api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"runes@example.com", strings.Repeat("é", 128)}}).wantStatus(t, 201)
}

func TestLogin(t *testing.T) {
	api := newTestAPI(t)
	api.register("carol@example.com", pw)
	r := api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"CAROL@example.com", pw}}).wantStatus(t, 200)
	var tr tokenResponse
	r.json(t, &tr)
	if tr.TokenType != "bearer" || r.cookie(refreshCookie) == nil {
		t.Errorf("login = %+v without a refresh cookie", tr)
	}
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"carol@example.com", "wrong-password"}}).
		wantError(t, 401, "AUTHENTICATION_ERROR", "Incorrect email or password")
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"nobody@example.com", pw}}).
		wantError(t, 401, "AUTHENTICATION_ERROR", "Incorrect email or password")
}

// An unknown email verifies one hash, like a wrong password, and that hash
// has the algorithm, parameters, salt and digest sizes of a real one, so
// the work is the same.
func TestUnknownEmailCostsTheSameHashing(t *testing.T) {
	api := newTestAPI(t)
	api.register("dave@example.com", pw)
	login := func(email string) (verifies int64, hash string) {
		before := api.hasher.verifies.Load()
		api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{email, "wrong-password"}}).wantStatus(t, 401)
		return api.hasher.verifies.Load() - before, *api.hasher.last.Load()
	}
	unknown, dummy := login("nobody@example.com")
	wrong, real := login("dave@example.com")
	if unknown != 1 || wrong != 1 {
		t.Errorf("hash verifications: unknown email %d, wrong password %d; want 1 and 1", unknown, wrong)
	}
	if got, want := phcShape(t, dummy), phcShape(t, real); got != want {
		t.Errorf("unknown email verified a hash shaped %+v, a real one is %+v", got, want)
	}
	if _, again := login("nobody@example.com"); again != dummy {
		t.Error("the dummy hash changed between logins")
	}
}

// phcShape is a PHC string without its salt and digest, and their lengths.
func phcShape(t *testing.T, hash string) (shape struct {
	params             string
	saltLen, digestLen int
}) {
	t.Helper()
	parts := strings.Split(hash, "$")
	if len(parts) != 6 {
		t.Fatalf("%q is not a PHC string", hash)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	digest, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		t.Fatalf("%q: salt or digest not base64", hash)
	}
	shape.params, shape.saltLen, shape.digestLen = strings.Join(parts[:4], "$"), len(salt), len(digest)
	return shape
}

func TestRefreshRotates(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("erin@example.com", pw)
	r := api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 200)
	next := api.sessionFrom(r)
	if next.access == s.access || next.refresh == s.refresh {
		t.Error("refresh returned the same tokens")
	}
	api.do(req{path: "/api/v1/users/me", token: next.access}).wantStatus(t, 200)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: next.refresh}).wantStatus(t, 200)
}

func TestRefreshErrors(t *testing.T) {
	api := newTestAPI(t)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh"}).wantError(t, 401, "AUTHENTICATION_ERROR", "Refresh token not found")
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: "garbage"}).
		wantError(t, 401, "AUTHENTICATION_ERROR", "Invalid or expired refresh token")
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: strings.Repeat("A", 43)}).
		wantError(t, 401, "AUTHENTICATION_ERROR", "Invalid or expired refresh token")
	s := api.register("exp@example.com", pw)
	api.clock.Advance(30*24*time.Hour + time.Second)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).
		wantError(t, 401, "AUTHENTICATION_ERROR", "Invalid or expired refresh token")
}

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		name     string
		secure   bool
		sameSite http.SameSite
		wantLine string
	}{
		{"defaults", false, http.SameSiteLaxMode, "; Path=/api/v1/auth; Max-Age=2592000; HttpOnly; SameSite=Lax"},
		{"secure none", true, http.SameSiteNoneMode, "; Path=/api/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newTestAPI(t, withConfig(func(c *Config) { c.CookieSecure, c.CookieSameSite = tt.secure, tt.sameSite }))
			r := api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"f@example.com", pw}}).wantStatus(t, 201)
			set := r.Header().Get("Set-Cookie")
			if !strings.HasPrefix(set, "refresh_token=") || !strings.HasSuffix(set, tt.wantLine) {
				t.Errorf("Set-Cookie = %q, want refresh_token=…%s", set, tt.wantLine)
			}
			value := r.cookie(refreshCookie).Value
			cleared := api.do(req{method: "POST", path: "/api/v1/auth/logout", cookie: value}).wantStatus(t, 200).Header().Get("Set-Cookie")
			attrs := tt.wantLine[strings.Index(tt.wantLine, "; HttpOnly"):] // HttpOnly, Secure, SameSite
			wantClear := "refresh_token=; Path=/api/v1/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0" + attrs
			if cleared != wantClear {
				t.Errorf("clearing Set-Cookie = %q, want %q", cleared, wantClear)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("gina@example.com", pw)
	r := api.do(req{method: "POST", path: "/api/v1/auth/logout", cookie: s.refresh}).wantStatus(t, 200)
	var m message
	r.json(t, &m)
	if m.Message != "Logged out successfully" {
		t.Errorf("logout message = %q", m.Message)
	}
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 401)
	// The session is gone, so its access token is refused too.
	api.do(req{path: "/api/v1/users/me", token: s.access}).wantStatus(t, 401)
	// Logout without or with a bad cookie still succeeds.
	api.do(req{method: "POST", path: "/api/v1/auth/logout"}).wantStatus(t, 200)
	api.do(req{method: "POST", path: "/api/v1/auth/logout", cookie: "junk"}).wantStatus(t, 200)
}

func TestBearerErrors(t *testing.T) {
	api := newTestAPI(t)
	tests := []struct {
		name, header, message string
	}{
		{"missing", "", "Not authenticated"},
		{"empty bearer", "Bearer ", "Not authenticated"},
		{"other scheme", "Basic dXNlcjpwYXNz", "Invalid authentication credentials"},
		{"garbage token", "Bearer garbage", "Could not validate credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api.do(req{path: "/api/v1/users/me", header: map[string]string{"Authorization": tt.header}})
			r.wantError(t, 401, "AUTHENTICATION_ERROR", tt.message)
			if !strings.HasPrefix(r.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer", r.Header().Get("WWW-Authenticate"))
			}
		})
	}
	s := api.register("hal@example.com", pw)
	api.do(req{path: "/api/v1/users/me", header: map[string]string{"Authorization": "bEaReR " + s.access}}).wantStatus(t, 200)
	api.clock.Advance(15 * time.Minute)
	api.do(req{path: "/api/v1/users/me", token: s.access}).wantError(t, 401, "AUTHENTICATION_ERROR", "Could not validate credentials")
}

func TestRefreshReuse(t *testing.T) {
	t.Run("reuse after the grace window revokes the family", func(t *testing.T) {
		api := newTestAPI(t)
		s := api.register("ivy@example.com", pw)
		next := api.sessionFrom(api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 200))
		api.clock.Advance(11 * time.Second)
		api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).
			wantError(t, 401, "AUTHENTICATION_ERROR", "Invalid or expired refresh token")
		api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: next.refresh}).wantStatus(t, 401)
		api.do(req{path: "/api/v1/users/me", token: next.access}).wantStatus(t, 401)
	})
	t.Run("reuse inside the grace window keeps the family", func(t *testing.T) {
		api := newTestAPI(t)
		s := api.register("jay@example.com", pw)
		next := api.sessionFrom(api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 200))
		api.clock.Advance(9 * time.Second)
		api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 401)
		api.do(req{path: "/api/v1/users/me", token: next.access}).wantStatus(t, 200)
		api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: next.refresh}).wantStatus(t, 200)
	})
	t.Run("other sessions survive a reuse", func(t *testing.T) {
		api := newTestAPI(t)
		s := api.register("kim@example.com", pw)
		other := api.login("kim@example.com", pw)
		api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 200)
		api.clock.Advance(time.Minute)
		api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 401)
		api.do(req{path: "/api/v1/users/me", token: other.access}).wantStatus(t, 200)
	})
}

func TestConcurrentRefreshOneWins(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("lee@example.com", pw)
	const n = 20
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i] = api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).Code })
	}
	wg.Wait()
	slices.Sort(codes)
	if codes[n-1] != 401 || codes[n-2] != 401 || codes[0] != 200 || codes[1] != 401 {
		t.Errorf("statuses = %v, want one 200 and the rest 401", codes)
	}
	// Racing within the grace window is not reuse: the winner's family lives.
	api.do(req{path: "/api/v1/users/me", token: s.access}).wantStatus(t, 200)
}

func TestDisabledUser(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("max@example.com", pw)
	u, _ := api.store.UserByEmail(t.Context(), "max@example.com")
	if _, err := api.store.SetUserActive(t.Context(), u.ID, false, api.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"max@example.com", "wrong-password"}}).wantStatus(t, 401)
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"max@example.com", pw}}).
		wantError(t, 403, "AUTHORIZATION_ERROR", "User account is disabled")
	// Disabling revoked the user's sessions.
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).
		wantError(t, 401, "AUTHENTICATION_ERROR", "Invalid or expired refresh token")
	// The store was changed behind the cache's back: the token dies when
	// the cached state expires, within the 5-second bound.
	api.clock.Advance(3 * time.Second)
	api.do(req{path: "/api/v1/users/me", token: s.access}).wantStatus(t, 401)
}

func TestSessionsListRevokeLogoutAll(t *testing.T) {
	api := newTestAPI(t)
	a := api.register("nia@example.com", pw)
	api.clock.Advance(time.Minute)
	b := api.login("nia@example.com", pw)
	var list []sessionResponse
	api.do(req{path: "/api/v1/auth/sessions", token: b.access, header: map[string]string{"User-Agent": "tab-b"}}).wantStatus(t, 200).json(t, &list)
	if len(list) != 2 || !list[0].Current || list[1].Current || list[0].CreatedAt.Before(list[1].CreatedAt) {
		t.Fatalf("sessions = %+v, want two, newest (current) first", list)
	}
	api.register("oz@example.com", pw) // session 3 belongs to someone else
	for _, id := range []string{"3", "999"} {
		api.do(req{method: "DELETE", path: "/api/v1/auth/sessions/" + id, token: b.access}).wantError(t, 404, "NOT_FOUND", "Session not found")
	}
	api.do(req{method: "DELETE", path: "/api/v1/auth/sessions/x", token: b.access}).wantStatus(t, 400)
	r := api.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/auth/sessions/%d", list[1].ID), token: b.access}).wantStatus(t, 200)
	var m message
	r.json(t, &m)
	if m.Message != "Session revoked" {
		t.Errorf("message = %q", m.Message)
	}
	api.do(req{path: "/api/v1/users/me", token: a.access}).wantStatus(t, 401)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: a.refresh}).wantStatus(t, 401)
	api.do(req{path: "/api/v1/users/me", token: b.access}).wantStatus(t, 200)

	c := api.login("nia@example.com", pw)
	r = api.do(req{method: "POST", path: "/api/v1/auth/logout-all", token: c.access}).wantStatus(t, 200)
	r.json(t, &m)
	if m.Message != "Logged out from all sessions" || r.cookie(refreshCookie) == nil || r.cookie(refreshCookie).MaxAge >= 0 {
		t.Errorf("logout-all = %q, cookie %+v; want the message and a cleared cookie", m.Message, r.cookie(refreshCookie))
	}
	for _, s := range []session{b, c} {
		api.do(req{path: "/api/v1/users/me", token: s.access}).wantStatus(t, 401)
		api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 401)
	}
}

func TestCookieEndpointsCheckOrigin(t *testing.T) {
	api := newTestAPI(t)
	s := api.register("pat@example.com", pw)
	evil := map[string]string{"Origin": "https://evil.example"}
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh, header: evil}).
		wantError(t, 403, "AUTHORIZATION_ERROR", "Origin not allowed")
	api.do(req{method: "POST", path: "/api/v1/auth/logout", cookie: s.refresh, header: evil}).wantStatus(t, 403)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh,
		header: map[string]string{"Origin": "http://localhost:3000"}}).wantStatus(t, 200)
}

func TestBcryptUserIsRehashedOnLogin(t *testing.T) {
	api := newTestAPI(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("legacy-pw"), bcrypt.MinCost)
	now := api.clock.Now()
	u, err := api.store.CreateUser(t.Context(), domain.User{Email: "old@example.com", PasswordHash: string(hash), Active: true, CreatedAt: now, UpdatedAt: now}, domain.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	// Six characters: the original's minimum, below ours, still logs in.
	api.login("old@example.com", "legacy-pw")
	got, _ := api.store.UserByID(t.Context(), u.ID)
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
		t.Errorf("hash after login = %q, want argon2id", got.PasswordHash)
	}
	api.login("old@example.com", "legacy-pw")
}

// busyHasher is a hasher whose slots never free up.
type busyHasher struct{ app.Hasher }

func (busyHasher) Verify(context.Context, string, string) (bool, bool, error) {
	return false, false, fmt.Errorf("saturated: %w", context.DeadlineExceeded)
}

func TestSaturatedHasherIs503(t *testing.T) {
	api := newTestAPI(t)
	api.register("q@example.com", pw)
	api.hasher.Hasher = busyHasher{api.hasher.Hasher}
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"q@example.com", pw}}).
		wantError(t, 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
}

func TestConcurrentRegistrationOneWins(t *testing.T) {
	api := newTestAPI(t)
	const n = 20
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i] = api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"race@example.com", pw}}).Code
		})
	}
	wg.Wait()
	slices.Sort(codes)
	if codes[0] != 201 || codes[1] != 409 || codes[n-1] != 409 {
		t.Errorf("statuses = %v, want one 201 and the rest 409", codes)
	}
}

// Issue 15 item 1: a required field that is missing, null or of the wrong
// type is a 400 naming it, decided before any credential check.
func TestIncompleteAuthBodies(t *testing.T) {
	api := newTestAPI(t, withLimits(limitsOf(1000)))
	s := api.register("owner@example.com", pw)
	tests := []struct {
		method, path string
		token, body  string
		wantFields   []string
	}{
		{"POST", "/api/v1/auth/login", "", `{"email":"owner@example.com"}`, []string{"password"}},
		{"POST", "/api/v1/auth/login", "", `{"email":"owner@example.com","password":null}`, []string{"password"}},
		{"POST", "/api/v1/auth/login", "", `{"password":"` + pw + `"}`, []string{"email"}},
		{"POST", "/api/v1/auth/login", "", `{"email":7,"password":false}`, []string{"email"}},
		{"POST", "/api/v1/auth/login", "", `{}`, []string{"email", "password"}},
		{"POST", "/api/v1/auth/register", "", `{"email":"new@example.com"}`, []string{"password"}},
		{"POST", "/api/v1/auth/register", "", `{"email":null,"password":"` + pw + `"}`, []string{"email"}},
		{"POST", "/api/v1/auth/register", "", `{"email":["new@example.com"],"password":"` + pw + `"}`, []string{"email"}},
		{"PATCH", "/api/v1/users/me", s.access, `{"new_password":"battery-staple-2"}`, []string{"current_password"}},
		{"PATCH", "/api/v1/users/me", s.access, `{"current_password":"` + pw + `","new_password":null}`, []string{"new_password"}},
		{"PATCH", "/api/v1/users/me", s.access, `{"current_password":1,"new_password":"battery-staple-2"}`, []string{"current_password"}},
		{"DELETE", "/api/v1/users/me", s.access, `{}`, []string{"password"}},
		{"DELETE", "/api/v1/users/me", s.access, `{"password":null}`, []string{"password"}},
		{"DELETE", "/api/v1/users/me", s.access, `{"password":12345678}`, []string{"password"}},
	}
	for _, tt := range tests {
		r := api.do(req{method: tt.method, path: tt.path, token: tt.token, body: tt.body})
		if got := r.invalidFields(t); !cmp.Equal(got, tt.wantFields) {
			t.Errorf("%s %s %s: fields %v, want %v", tt.method, tt.path, tt.body, got, tt.wantFields)
		}
	}
	// None of that was a failed login: the account's failure budget is whole.
	for i := range 12 {
		api.doFrom(fmt.Sprintf("203.0.113.%d:1", i), req{method: "POST", path: "/api/v1/auth/login", body: `{"email":"owner@example.com"}`}).wantStatus(t, 400)
	}
	if got := api.hasher.verifies.Load(); got != 0 {
		t.Errorf("%d password verifications for incomplete bodies, want 0", got)
	}
	api.doFrom("203.0.113.99:1", req{method: "POST", path: "/api/v1/auth/login", body: credentials{"owner@example.com", pw}}).wantStatus(t, 200)
}
