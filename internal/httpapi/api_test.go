package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/openapitest"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
	"github.com/anirohi/anirohi-api/internal/platform/password"
	"github.com/anirohi/anirohi-api/internal/platform/ratelimit"
	"github.com/anirohi/anirohi-api/internal/platform/textnorm"
	"github.com/anirohi/anirohi-api/internal/platform/token"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
)

// testClock is a settable clock shared by the app under test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingHasher counts hash verifications and keeps the last hash
// verified, to compare the work of login paths without measuring time.
type countingHasher struct {
	app.Hasher
	verifies atomic.Int64
	last     atomic.Pointer[string]
}

func (h *countingHasher) Verify(ctx context.Context, hash, pw string) (bool, bool, error) {
	h.verifies.Add(1)
	h.last.Store(&hash)
	return h.Hasher.Verify(ctx, hash, pw)
}

// testAPI is the whole HTTP API wired to real use cases on a fresh SQLite
// database, with a fast hasher and a settable clock.
type testAPI struct {
	t      testing.TB
	srv    *Server
	store  domain.Store
	clock  *testClock
	hasher *countingHasher
	access *app.Access
	logs   *bytes.Buffer
}

// apiOption adjusts the settings of a test API.
type apiOption func(*apiSettings)

type apiSettings struct {
	cfg    Config
	auth   app.AuthConfig
	events app.AuthEvents
}

// withConfig adjusts the HTTP configuration.
func withConfig(f func(*Config)) apiOption { return func(s *apiSettings) { f(&s.cfg) } }

// withEvents sends the auth events to e (a *metrics.Metrics in tests).
func withEvents(e app.AuthEvents) apiOption { return func(s *apiSettings) { s.events = e } }

// withLimits turns rate limiting on with the given limits.
func withLimits(l Limits) apiOption {
	l.Enabled = true
	return withConfig(func(c *Config) { c.Limits = l })
}

func newTestAPI(t testing.TB, opts ...apiOption) *testAPI {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	m, _ := s.Migrator()
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	return newTestAPIOn(t, s, opts...)
}

func newTestAPIOn(t testing.TB, store domain.Store, opts ...apiOption) *testAPI {
	t.Helper()
	return newAPI(t, store, &testClock{now: time.Date(2026, 1, 8, 7, 0, 0, 0, time.UTC)}, opts...)
}

// newReplica is a second instance on a's database, sharing a's clock.
func newReplica(t testing.TB, a *testAPI) *testAPI {
	t.Helper()
	return newAPI(t, a.store, a.clock)
}

func newAPI(t testing.TB, store domain.Store, clock *testClock, opts ...apiOption) *testAPI {
	t.Helper()
	return newAPIWith(t, store, clock, nil, opts...)
}

// newAPIWith also adjusts the dependencies (a shared limiter or cache).
func newAPIWith(t testing.TB, store domain.Store, clock *testClock, depOpts []func(*Deps), opts ...apiOption) *testAPI {
	t.Helper()
	cfg := Config{
		AppName:        "Anirohi API",
		Version:        "1.0.0",
		AllowedOrigins: []string{"http://localhost:3000"},
		CookieSameSite: http.SameSiteLaxMode,
		RefreshTTL:     30 * 24 * time.Hour,
		MaxBodyBytes:   1 << 20,
	}
	set := apiSettings{cfg: cfg, auth: app.AuthConfig{RefreshTTL: 30 * 24 * time.Hour, ReuseGrace: 10 * time.Second}}
	for _, o := range opts {
		o(&set)
	}
	cfg = set.cfg
	hasher := &countingHasher{Hasher: password.NewHasher(password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, 4, time.Second)}
	tokens, err := token.NewIssuer("HS256", "test-key-0123456789abcdef0123456789", "", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	access := app.NewAccess(store, clock)
	auth := app.NewAuth(store, access, hasher, tokens, clock, set.auth, set.events)
	logs := &bytes.Buffer{}
	deps := Deps{Logger: logging.New(&syncWriter{w: logs}, -4, nil), Auth: auth,
		Library: app.NewLibrary(store, clock), Watch: app.NewWatch(store, clock), Admin: app.NewAdmin(store, access, clock),
		Limiter: ratelimit.NewMemory(1000, clock.Now), Devices: token.NewDevices("test-key-0123456789abcdef0123456789", "")}
	for _, o := range depOpts {
		o(&deps)
	}
	deps.Catalog = app.NewCatalog(store, clock, textnorm.Norm{}, nil, func(ctx context.Context) {
		if deps.Cache != nil {
			deps.Cache.Invalidate(ctx, CatalogGroup)
		}
	})
	deps.CatalogAdmin = app.NewCatalogAdmin(store, deps.Catalog)
	srv, err := NewServer(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return &testAPI{t: t, srv: srv, store: store, clock: clock, hasher: hasher, access: access, logs: logs}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// response is a finished exchange.
type response struct {
	*httptest.ResponseRecorder
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
		t.Fatalf("body %q is not the expected JSON: %v", r.Body.String(), err)
	}
}

func (r response) cookie(name string) *http.Cookie {
	for _, c := range r.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// req is one request to the API; the zero value is a GET without auth.
type req struct {
	method, path string
	body         any // marshalled to JSON unless a string
	token        string
	cookie       string // refresh token
	header       map[string]string
}

func (a *testAPI) do(rq req) response {
	a.t.Helper()
	return a.doFrom("192.0.2.1:1234", rq)
}

// doFrom is do from a given socket peer address.
func (a *testAPI) doFrom(peer string, rq req) response {
	a.t.Helper()
	var body io.Reader
	var data []byte
	switch b := rq.body.(type) {
	case nil:
	case string:
		data = []byte(b)
		body = bytes.NewReader(data)
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			a.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	if rq.method == "" {
		rq.method = http.MethodGet
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	r.RemoteAddr = peer
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if rq.token != "" {
		r.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.cookie != "" {
		r.AddCookie(&http.Cookie{Name: refreshCookie, Value: rq.cookie})
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	a.srv.ServeHTTP(w, r)
	openapitest.Check(a.t, r, data, w.Code, w.Header(), w.Body.Bytes())
	return response{w}
}

// wantStatus fails the test unless the response has the status.
func (r response) wantStatus(t testing.TB, status int) response {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status = %d, want %d; body %s", r.Code, status, r.Body.String())
	}
	return r
}

// invalidFields checks that r is a 400 VALIDATION_ERROR and returns the
// fields its details name, in order.
func (r response) invalidFields(t testing.TB) []string {
	t.Helper()
	r.wantStatus(t, 400)
	var body errorBody
	r.json(t, &body)
	if body.Error.Code != "VALIDATION_ERROR" {
		t.Errorf("code = %s, want VALIDATION_ERROR", body.Error.Code)
	}
	var fields []string
	for _, d := range body.Error.Details {
		fields = append(fields, d.Field)
	}
	return fields
}

// wantError checks the envelope of an error response.
func (r response) wantError(t testing.TB, status int, code, message string) {
	t.Helper()
	r.wantStatus(t, status)
	var body errorBody
	r.json(t, &body)
	if body.Error.Code != code || body.Error.Message != message || body.Detail != message {
		t.Errorf("error = %s %q (detail %q), want %s %q", body.Error.Code, body.Error.Message, body.Detail, code, message)
	}
	if body.Error.TraceID == "" || body.Error.TraceID != r.Header().Get("X-Trace-ID") {
		t.Errorf("trace_id %q does not match X-Trace-ID %q", body.Error.TraceID, r.Header().Get("X-Trace-ID"))
	}
}

// session is a logged-in client: its access token and refresh cookie.
type session struct {
	access, refresh string
}

func (a *testAPI) register(email, pw string) session {
	a.t.Helper()
	return a.sessionFrom(a.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{email, pw}}).wantStatus(a.t, 201))
}

// registerAdmin registers email and makes it an administrator.
func (a *testAPI) registerAdmin(email string) session {
	a.t.Helper()
	return a.registerWithRole(email, domain.RoleAdmin)
}

// registerWithRole registers email and grants it the role too.
func (a *testAPI) registerWithRole(email, role string) session {
	a.t.Helper()
	s := a.register(email, pw)
	u, _ := a.store.UserByEmail(a.t.Context(), email)
	if _, err := a.store.GrantRole(a.t.Context(), u.ID, role, a.clock.Now(), nil); err != nil {
		a.t.Fatal(err)
	}
	a.access.Invalidate(u.ID)
	return s
}

// registerEmail registers email and returns it.
func (a *testAPI) registerEmail(email string) string {
	a.t.Helper()
	a.register(email, pw)
	return email
}

func (a *testAPI) userID(email string) int64 {
	a.t.Helper()
	u, err := a.store.UserByEmail(a.t.Context(), email)
	if err != nil {
		a.t.Fatal(err)
	}
	return u.ID
}

func (a *testAPI) login(email, pw string) session {
	a.t.Helper()
	return a.sessionFrom(a.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{email, pw}}).wantStatus(a.t, 200))
}

func (a *testAPI) sessionFrom(r response) session {
	a.t.Helper()
	var tr tokenResponse
	r.json(a.t, &tr)
	c := r.cookie(refreshCookie)
	if tr.AccessToken == "" || c == nil || c.Value == "" {
		a.t.Fatalf("no tokens in %s", r.Body.String())
	}
	return session{access: tr.AccessToken, refresh: c.Value}
}

// BenchmarkMe is an authenticated request end to end through the handler
// (the auth state cached), with logs discarded.
func BenchmarkMe(b *testing.B) {
	api := newTestAPI(b)
	s := api.register("bench@example.com", pw)
	benchRequest(b, api, func() *http.Request {
		r := httptest.NewRequest("GET", "/api/v1/users/me", nil)
		r.Header.Set("Authorization", "Bearer "+s.access)
		return r
	})
}

// onEachEngine runs f against SQLite, and against PostgreSQL when
// TEST_POSTGRES_URL is set (required under CI).
func onEachEngine(t *testing.T, f func(t *testing.T, api *testAPI)) {
	t.Run("sqlite", func(t *testing.T) { f(t, newTestAPI(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, newTestAPIOn(t, pgtest.Open(t))) })
}

// benchEngines runs f on SQLite, and on PostgreSQL when TEST_POSTGRES_URL
// is set.
func benchEngines(b *testing.B, f func(b *testing.B, api *testAPI)) {
	b.Run("sqlite", func(b *testing.B) { f(b, newTestAPI(b)) })
	b.Run("postgres", func(b *testing.B) { f(b, newTestAPIOn(b, pgtest.Open(b))) })
}

// benchRequest serves r over and over, with logs discarded.
func benchRequest(b *testing.B, api *testAPI, newReq func() *http.Request) {
	api.srv.log = logging.Discard()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		api.srv.ServeHTTP(w, newReq())
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body)
		}
	}
}

// BenchmarkLibraryList is GET /api/v1/me/library with 50 items, end to end
// through the handler.
func BenchmarkLibraryList(b *testing.B) {
	benchEngines(b, func(b *testing.B, api *testAPI) {
		s := api.register("bench@example.com", pw)
		for i := range 50 {
			api.do(req{method: "PUT", path: fmt.Sprintf("/api/v1/me/library/title-%d", i), token: s.access, body: `{"status":"planned"}`}).wantStatus(b, 200)
		}
		benchRequest(b, api, func() *http.Request {
			r := httptest.NewRequest("GET", "/api/v1/me/library", nil)
			r.Header.Set("Authorization", "Bearer "+s.access)
			return r
		})
	})
}

// BenchmarkProgressSave is PUT /api/v1/me/progress/{episode} (progress and
// history in one transaction), end to end through the handler.
func BenchmarkProgressSave(b *testing.B) {
	benchEngines(b, func(b *testing.B, api *testAPI) {
		s := api.register("bench@example.com", pw)
		pos := 0
		benchRequest(b, api, func() *http.Request {
			pos++
			body := fmt.Sprintf(`{"title_id":"t","position_seconds":%d,"duration_seconds":1440}`, pos%1400)
			r := httptest.NewRequest("PUT", "/api/v1/me/progress/t-ep-1", strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+s.access)
			r.Header.Set("Content-Type", "application/json")
			return r
		})
	})
}
