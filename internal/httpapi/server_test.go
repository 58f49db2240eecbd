package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/openapitest"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
)

func testConfig() Config {
	return Config{
		AppName:        "Anirohi API",
		Version:        "1.0.0",
		AllowedOrigins: []string{"http://localhost:3000"},
		MaxBodyBytes:   1024,
	}
}

// newBareServer is the test API plus routes that panic and echo a decoded
// body, with cfg's HTTP settings.
func newBareServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s := newTestAPI(t, withConfig(func(c *Config) {
		c.AllowedOrigins, c.CookieSecure, c.MaxBodyBytes = cfg.AllowedOrigins, cfg.CookieSecure, cfg.MaxBodyBytes
	})).srv
	s.mux.Handle("GET /test/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	s.mux.Handle("POST /test/echo", apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[echoRequest](r)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, in)
	}))
	return s
}

type echoRequest struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func (e *echoRequest) Valid() []domain.FieldError {
	if e.Count < 0 {
		return []domain.FieldError{{Field: "count", Message: "must be at least 0"}}
	}
	return nil
}

func do(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	openapitest.Check(t, r, body, w.Code, w.Header(), w.Body.Bytes())
	return w
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", w.Body.String(), err)
	}
	if body.Error.TraceID == "" || body.Error.TraceID != w.Header().Get("X-Trace-ID") {
		t.Errorf("error trace_id = %q, X-Trace-ID = %q, want equal and non-empty", body.Error.TraceID, w.Header().Get("X-Trace-ID"))
	}
	if body.Detail != body.Error.Message {
		t.Errorf("detail = %q, want the message %q", body.Detail, body.Error.Message)
	}
	return body
}

func TestHeadersOnEveryResponse(t *testing.T) {
	s := newBareServer(t, testConfig())
	preflight := httptest.NewRequest("OPTIONS", "/health", nil)
	preflight.Header.Set("Origin", "http://localhost:3000")
	preflight.Header.Set("Access-Control-Request-Method", "GET")
	tests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"200", httptest.NewRequest("GET", "/health", nil), 200},
		{"404", httptest.NewRequest("GET", "/nope", nil), 404},
		{"405", httptest.NewRequest("DELETE", "/health", nil), 405},
		{"500", httptest.NewRequest("GET", "/test/panic", nil), 500},
		{"preflight", preflight, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, s, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			for _, kv := range securityHeaderList(false) {
				if got := w.Header().Get(kv[0]); got != kv[1] {
					t.Errorf("%s = %q, want %q", kv[0], got, kv[1])
				}
			}
			if w.Header().Get("Strict-Transport-Security") != "" {
				t.Error("HSTS set without COOKIE_SECURE")
			}
			if len(w.Header().Get("X-Trace-ID")) != 32 {
				t.Errorf("X-Trace-ID = %q, want a generated 32-digit id", w.Header().Get("X-Trace-ID"))
			}
		})
	}
}

func TestHSTSOnlyWithSecureCookies(t *testing.T) {
	cfg := testConfig()
	cfg.CookieSecure = true
	w := do(t, newBareServer(t, cfg), httptest.NewRequest("GET", "/health", nil))
	if got, want := w.Header().Get("Strict-Transport-Security"), "max-age=31536000; includeSubDomains"; got != want {
		t.Errorf("Strict-Transport-Security = %q, want %q", got, want)
	}
}

func TestErrorEnvelopes(t *testing.T) {
	s := newBareServer(t, testConfig())
	tests := []struct {
		name      string
		req       *http.Request
		status    int
		code, msg string
		allow     string
	}{
		{"unknown route", httptest.NewRequest("GET", "/api/v1/nothing", nil), 404, "NOT_FOUND", "Not Found", ""},
		{"wrong method", httptest.NewRequest("POST", "/ready", nil), 405, "METHOD_NOT_ALLOWED", "Method Not Allowed", "GET, HEAD"},
		{"panic", httptest.NewRequest("GET", "/test/panic", nil), 500, "INTERNAL_ERROR", "An unexpected error occurred", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, s, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			body := decodeError(t, w)
			if body.Error.Code != tt.code || body.Error.Message != tt.msg {
				t.Errorf("error = %s %q, want %s %q", body.Error.Code, body.Error.Message, tt.code, tt.msg)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if strings.Contains(w.Body.String(), "boom") || strings.Contains(w.Body.String(), "goroutine") {
				t.Errorf("body leaks internals: %s", w.Body.String())
			}
		})
	}
}

func TestPanicIsLoggedWithStack(t *testing.T) {
	api := newTestAPI(t)
	s, logs := api.srv, api.logs
	s.mux.Handle("GET /test/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w := do(t, s, httptest.NewRequest("GET", "/test/panic", nil))
	if w.Code != 500 {
		t.Fatalf("status = %d, want 500", w.Code)
	}
	if !strings.Contains(logs.String(), `"panic":"boom"`) || !strings.Contains(logs.String(), "server_test.go") {
		t.Errorf("log lacks the panic and its stack:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"trace_id":"`+w.Header().Get("X-Trace-ID")+`"`) {
		t.Errorf("panic log lacks the trace id")
	}
}

// inFlight counts the requests in progress.
type inFlight struct {
	noMetrics
	n atomic.Int64
}

func (m *inFlight) RequestStarted() func() {
	m.n.Add(1)
	return func() { m.n.Add(-1) }
}

// A handler that cuts the connection mid-answer (http.ErrAbortHandler)
// still ends its request: counted out of the in-flight gauge and logged,
// marked aborted.
func TestAbortedRequestIsRecorded(t *testing.T) {
	m := &inFlight{}
	api := newAPIWith(t, newTestAPI(t).store, &testClock{}, []func(*Deps){func(d *Deps) { d.Metrics = m }})
	api.srv.mux.Handle("GET /test/abort", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"partial":`))
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("panic = %v, want http.ErrAbortHandler to reach net/http", v)
			}
		}()
		api.srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/test/abort", nil))
	}()
	if n := m.n.Load(); n != 0 {
		t.Errorf("in flight after the abort = %d, want 0", n)
	}
	if logs := api.logs.String(); !strings.Contains(logs, `"route":"/test/abort"`) || !strings.Contains(logs, `"aborted":true`) {
		t.Errorf("no access line marked aborted:\n%s", logs)
	}
}

func TestTrailingSlashRedirects(t *testing.T) {
	s := newBareServer(t, testConfig())
	w := do(t, s, httptest.NewRequest("GET", "/health/?x=1", nil))
	if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != "/health?x=1" {
		t.Errorf("GET /health/ = %d Location %q, want 307 to /health?x=1", w.Code, w.Header().Get("Location"))
	}
	if w := do(t, s, httptest.NewRequest("GET", "/nope/", nil)); w.Code != 404 {
		t.Errorf("GET /nope/ = %d, want 404", w.Code)
	}
}

func TestTraceID(t *testing.T) {
	s := newBareServer(t, testConfig())
	tests := []struct {
		sent string
		kept bool
	}{
		{"abc-123_x.y", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"has space", false},
		{"semi;colon", false},
		{"", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/health", nil)
		if tt.sent != "" {
			r.Header.Set("X-Trace-ID", tt.sent)
		}
		got := do(t, s, r).Header().Get("X-Trace-ID")
		if kept := got == tt.sent; kept != tt.kept {
			t.Errorf("X-Trace-ID %q answered with %q, kept = %v, want %v", tt.sent, got, kept, tt.kept)
		}
		if got == "" {
			t.Errorf("X-Trace-ID %q: no trace id in the response", tt.sent)
		}
	}
}

func TestCORS(t *testing.T) {
	s := newBareServer(t, testConfig())
	t.Run("allowed origin", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/health", nil)
		r.Header.Set("Origin", "http://localhost:3000")
		w := do(t, s, r)
		want := map[string]string{
			"Access-Control-Allow-Origin":      "http://localhost:3000",
			"Access-Control-Allow-Credentials": "true",
			"Vary":                             "Origin",
		}
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "X-Trace-ID") {
			t.Errorf("X-Trace-ID is not exposed: %q", w.Header().Get("Access-Control-Expose-Headers"))
		}
	})
	t.Run("denied origin gets no CORS headers", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/health", nil)
		r.Header.Set("Origin", "http://evil.example")
		w := do(t, s, r)
		if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("status %d, allow-origin %q; want 200 without CORS headers", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
		}
	})
	preflight := func(origin, method, headers string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "/api/v1/me/library", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		return do(t, s, r)
	}
	t.Run("preflight allowed, X-Trace-ID may be sent", func(t *testing.T) {
		w := preflight("http://localhost:3000", "PUT", "content-type, authorization, x-trace-id")
		if w.Code != 200 || w.Body.String() != "OK" {
			t.Fatalf("preflight = %d %q, want 200 OK", w.Code, w.Body.String())
		}
		if got := w.Header().Get("Access-Control-Allow-Methods"); got != "GET, POST, PUT, PATCH, DELETE" {
			t.Errorf("Allow-Methods = %q", got)
		}
		if got := w.Header().Get("Access-Control-Max-Age"); got != "600" {
			t.Errorf("Max-Age = %q, want 600", got)
		}
	})
	t.Run("preflight refusals", func(t *testing.T) {
		tests := []struct{ origin, method, headers, want string }{
			{"http://evil.example", "GET", "", "Disallowed CORS origin"},
			{"http://localhost:3000", "TRACE", "", "Disallowed CORS method"},
			{"http://localhost:3000", "GET", "X-Evil", "Disallowed CORS headers"},
			{"http://evil.example", "TRACE", "X-Evil", "Disallowed CORS origin, method, headers"},
		}
		for _, tt := range tests {
			w := preflight(tt.origin, tt.method, tt.headers)
			if w.Code != 400 || w.Body.String() != tt.want {
				t.Errorf("preflight(%s %s %s) = %d %q, want 400 %q", tt.origin, tt.method, tt.headers, w.Code, w.Body.String(), tt.want)
			}
		}
	})
}

func TestDecoder(t *testing.T) {
	s := newBareServer(t, testConfig()) // MaxBodyBytes 1024
	tests := []struct {
		name        string
		contentType string
		body        io.Reader
		chunked     bool
		status      int
		code        string
		details     []fieldError
	}{
		{"valid", "application/json", strings.NewReader(`{"name":"a","count":2,"extra":true}`), false, 200, "", nil},
		{"no content type is JSON", "", strings.NewReader(`{"name":"a"}`), false, 200, "", nil},
		{"vendor json", "application/vnd.api+json; charset=utf-8", strings.NewReader(`{}`), false, 200, "", nil},
		{"malformed", "application/json", strings.NewReader(`{"name":`), false, 400, "VALIDATION_ERROR", []fieldError{{"body", "is not valid JSON"}}},
		{"array", "application/json", strings.NewReader(`[1]`), false, 400, "VALIDATION_ERROR", []fieldError{{"body", "must be a JSON object"}}},
		{"empty", "application/json", strings.NewReader(``), false, 400, "VALIDATION_ERROR", []fieldError{{"body", "must be a JSON object"}}},
		{"trailing data", "application/json", strings.NewReader(`{} {}`), false, 400, "VALIDATION_ERROR", []fieldError{{"body", "is not valid JSON"}}},
		{"wrong type", "application/json", strings.NewReader(`{"count":"x"}`), false, 400, "VALIDATION_ERROR", []fieldError{{"count", "must be an integer"}}},
		{"invalid value", "application/json", strings.NewReader(`{"count":-1}`), false, 400, "VALIDATION_ERROR", []fieldError{{"count", "must be at least 0"}}},
		{"JSON white space around", "application/json", strings.NewReader("\r\n\t {\"name\":\"a\"} \n"), false, 200, "", nil},
		{"other white space", "application/json", strings.NewReader("\v{\"name\":\"a\"}"), false, 400, "VALIDATION_ERROR", []fieldError{{"body", "must be a JSON object"}}},
		{"name in another case", "application/json", strings.NewReader(`{"Name":"a"}`), false, 400, "VALIDATION_ERROR", []fieldError{{"Name", "is not a field (names are case-sensitive)"}}},
		{"field twice", "application/json", strings.NewReader(`{"name":"a","count":1,"name":"b"}`), false, 400, "VALIDATION_ERROR", []fieldError{{"name", "is given more than once"}}},
		{"unknown key twice", "application/json", strings.NewReader(`{"x":1,"x":2}`), false, 200, "", nil},
		{"wrong media type", "text/plain", strings.NewReader(`{}`), false, 415, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"too large", "application/json", strings.NewReader(`{"name":"` + strings.Repeat("x", 2000) + `"}`), false, 413, "PAYLOAD_TOO_LARGE", nil},
		{"too large chunked", "application/json", strings.NewReader(`{"name":"` + strings.Repeat("x", 2000) + `"}`), true, 413, "PAYLOAD_TOO_LARGE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.chunked {
				body = io.MultiReader(tt.body) // hides the length
			}
			r := httptest.NewRequest("POST", "/test/echo", body)
			if tt.chunked {
				r.ContentLength = -1
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := do(t, s, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body.String())
			}
			if tt.code == "" {
				return
			}
			eb := decodeError(t, w)
			if eb.Error.Code != tt.code {
				t.Errorf("code = %s, want %s", eb.Error.Code, tt.code)
			}
			if diff := cmp.Diff(tt.details, eb.Error.Details); diff != "" {
				t.Errorf("details mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A declared Content-Length over MAX_BODY_BYTES is refused on every route,
// the probes too, before any handler runs; the document says so.
func TestProbesRefuseLargeBodies(t *testing.T) {
	s := newBareServer(t, testConfig()) // MaxBodyBytes 1024
	for _, path := range []string{"/health", "/ready"} {
		r := httptest.NewRequest("GET", path, strings.NewReader(strings.Repeat("x", 1025)))
		w := do(t, s, r)
		if w.Code != 413 || decodeError(t, w).Error.Code != "PAYLOAD_TOO_LARGE" {
			t.Errorf("GET %s with 1025 bytes = %d %s, want 413 PAYLOAD_TOO_LARGE", path, w.Code, w.Body.String())
		}
	}
}

func TestReady(t *testing.T) {
	failing := func(context.Context) error { return errors.New("connection refused") }
	passing := func(context.Context) error { return nil }
	tests := []struct {
		name   string
		checks []Check
		status int
		body   string
	}{
		{"all ok", []Check{{"database", passing, false}, {"redis", nil, true}}, 200,
			`{"status":"ready","checks":{"database":"ok","redis":"disabled"}}`},
		{"database down", []Check{{"database", failing, false}, {"redis", passing, true}}, 503,
			`{"status":"unavailable","checks":{"database":"error","redis":"ok"}}`},
		// The instance serves without Redis: a Redis outage must not take
		// every replica out of the load balancer.
		{"redis down", []Check{{"database", passing, false}, {"redis", failing, true}}, 200,
			`{"status":"degraded","checks":{"database":"ok","redis":"degraded"}}`},
		{"both down", []Check{{"database", failing, false}, {"redis", failing, true}}, 503,
			`{"status":"unavailable","checks":{"database":"error","redis":"degraded"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewServer(testConfig(), Deps{Logger: logging.Discard(), Ready: tt.checks})
			if err != nil {
				t.Fatal(err)
			}
			w := do(t, s, httptest.NewRequest("GET", "/ready", nil))
			if w.Code != tt.status || strings.TrimSpace(w.Body.String()) != tt.body {
				t.Errorf("/ready = %d %s, want %d %s", w.Code, w.Body.String(), tt.status, tt.body)
			}
		})
	}
}

// Probes and scrapes come every few seconds: their access lines are DEBUG,
// every other request's INFO.
func TestProbeAccessLinesAreDebug(t *testing.T) {
	api := newTestAPI(t)
	for _, path := range []string{"/health", "/ready", "/", "/nowhere"} {
		api.do(req{path: path})
	}
	levels := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(api.logs.String()), "\n") {
		var rec struct{ Level, Message, Route string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Message == "request" {
			levels[rec.Route] = rec.Level
		}
	}
	want := map[string]string{"/health": "DEBUG", "/ready": "DEBUG", "/{$}": "INFO", "none": "INFO"}
	if diff := cmp.Diff(want, levels); diff != "" {
		t.Errorf("access line levels by route (-want +got):\n%s", diff)
	}
}

// A request its client abandoned is recorded as 499, not as the 503 of a
// failing dependency, and logs no warning.
func TestAbandonedRequestIsNoServerError(t *testing.T) {
	api := newTestAPI(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := httptest.NewRequest("GET", "/api/v1/anime", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	api.srv.ServeHTTP(w, r)
	logs := api.logs.String()
	if w.Code != statusClientClosed || strings.Contains(logs, "dependency unavailable") || !strings.Contains(logs, `"status":499`) {
		t.Errorf("abandoned request: status %d, logs %s", w.Code, logs)
	}
}

// The parser's imports have their own deadline; every other route the
// request timeout.
func TestImportsHaveTheirOwnDeadline(t *testing.T) {
	s := &Server{cfg: Config{RequestTimeout: 15 * time.Second, ImportTimeout: 50 * time.Second}}
	for path, want := range map[string]time.Duration{
		"/api/v1/internal/import/catalog": 50 * time.Second,
		"/api/v1/anime":                   15 * time.Second,
		"/api/v1/admin/anime":             15 * time.Second,
	} {
		if got := s.deadline(httptest.NewRequest("POST", path, nil)); got != want {
			t.Errorf("deadline(%s) = %v, want %v", path, got, want)
		}
	}
}
