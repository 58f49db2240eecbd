package httpapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/redis/go-redis/extra/redisotel/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/platform/cache"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
	"github.com/anirohi/anirohi-api/internal/platform/metrics"
	"github.com/anirohi/anirohi-api/internal/platform/ratelimit"
	"github.com/anirohi/anirohi-api/internal/platform/redistest"
	"github.com/anirohi/anirohi-api/internal/platform/tracing"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/sqlite"
)

// tracedAPI is the API with every span recorded in memory: HTTP, SQL (on
// the given engine) and Redis (limits and list cache).
func tracedAPI(t *testing.T, engine string) (*testAPI, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.New(tracing.Config{ServiceName: "test", Sampler: sdktrace.AlwaysSample()}, sdktrace.NewSimpleSpanProcessor(exp))
	t.Cleanup(func() { tr.Shutdown(context.Background()) })
	var store domain.Store
	if engine == "postgres" {
		store = pgtest.OpenTraced(t, otelpgx.NewTracer(otelpgx.WithTracerProvider(tr.Provider)))
	} else {
		s, err := sqlite.OpenConfig(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "t.db"), TracerProvider: tr.Provider})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		m, _ := s.Migrator()
		m.Up(t.Context())
		store = s
	}
	rdb := redistest.Client(t)
	if err := redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(tr.Provider)); err != nil {
		t.Fatal(err)
	}
	prefix := "trace-" + time.Now().Format("150405.000000") + ":"
	deps := func(d *Deps) {
		d.Tracer = tr.Provider.Tracer("test")
		d.Limiter = ratelimit.NewRedis(rdb, prefix+"rl:")
		d.Cache = cache.NewRedis(rdb, prefix+"lc:", time.Minute)
	}
	base := newTestAPIOn(t, store)
	return newAPIWith(t, store, base.clock, []func(*Deps){deps}, withLimits(limitsOf(1000))), exp
}

// One request's trace holds its HTTP span and, as its children, the SQL
// statements and Redis commands it caused; the trace id is X-Trace-ID.
func TestOneTraceHoldsHTTPSQLAndRedisSpans(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			api, exp := tracedAPI(t, engine)
			s := api.register("trace@example.com", pw)
			exp.Reset()
			r := api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{}`}).wantStatus(t, 200)
			traceID := r.Header().Get("X-Trace-ID")
			var server sdktrace.ReadOnlySpan
			kinds := map[string]int{}
			var names []string
			for _, sp := range exp.GetSpans().Snapshots() {
				names = append(names, sp.Name())
				if sp.SpanContext().TraceID().String() != traceID {
					continue // connection set-up outside any request
				}
				switch system := attr(sp, "db.system", "db.system.name"); {
				case sp.Name() == "PUT /api/v1/me/library/{title_id}":
					server = sp
				case system == "redis":
					kinds["redis"]++
				case system != "" && attr(sp, "db.statement", "db.query.text") != "":
					kinds["sql"]++
				}
				if sp.Name() != "PUT /api/v1/me/library/{title_id}" && !sp.Parent().IsValid() {
					t.Errorf("span %q of the request has no parent", sp.Name())
				}
			}
			if server == nil || kinds["sql"] == 0 || kinds["redis"] == 0 {
				t.Fatalf("spans of trace %s by kind %v, want the server span, sql and redis; all spans %v", traceID, kinds, names)
			}
		})
	}
}

// attr returns the value of the first of keys the span has.
func attr(sp sdktrace.ReadOnlySpan, keys ...string) string {
	for _, a := range sp.Attributes() {
		for _, k := range keys {
			if string(a.Key) == k {
				return a.Value.Emit()
			}
		}
	}
	return ""
}

func TestTraceContextIsHonoured(t *testing.T) {
	api, exp := tracedAPI(t, "sqlite")
	const parent = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := api.do(req{path: "/health", header: map[string]string{"traceparent": "00-" + parent + "-00f067aa0ba902b7-01"}})
	if got := r.Header().Get("X-Trace-ID"); got != parent {
		t.Errorf("with traceparent: X-Trace-ID = %q, want the caller's trace %s", got, parent)
	}
	const chosen = "0af7651916cd43dd8448eb211c80319c"
	r = api.do(req{path: "/nope", header: map[string]string{"X-Trace-ID": chosen}})
	var body errorBody
	r.json(t, &body)
	if r.Header().Get("X-Trace-ID") != chosen || body.Error.TraceID != chosen {
		t.Errorf("client X-Trace-ID: header %q, body %q, want %s", r.Header().Get("X-Trace-ID"), body.Error.TraceID, chosen)
	}
	found := false
	for _, sp := range exp.GetSpans().Snapshots() {
		found = found || sp.SpanContext().TraceID().String() == chosen
	}
	if !found {
		t.Error("no span carries the client's trace id")
	}
	// The log lines of a request carry its trace and span ids.
	var line struct {
		TraceID string `json:"trace_id"`
		SpanID  string `json:"span_id"`
	}
	logs := strings.Split(strings.TrimSpace(api.logs.String()), "\n")
	json.Unmarshal([]byte(logs[len(logs)-1]), &line)
	if line.TraceID != chosen || len(line.SpanID) != 16 {
		t.Errorf("access log line ids = %+v, want trace %s and a span id", line, chosen)
	}
}

// A span carries no more of a request than the access log does: the
// method from the fixed set, the user agent cut to 256 bytes.
func TestSpanOfAnInventedRequest(t *testing.T) {
	api, exp := tracedAPI(t, "sqlite")
	agent := strings.Repeat("A", 20_000)
	api.do(req{method: "ZZMETHOD1", path: "/nope", header: map[string]string{"User-Agent": agent}}).wantStatus(t, 404)
	spans := exp.GetSpans().Snapshots()
	if len(spans) == 0 {
		t.Fatal("no span")
	}
	sp := spans[len(spans)-1]
	if got, want := sp.Name(), "other none"; got != want {
		t.Errorf("span name = %.40q, want %q", got, want)
	}
	if got := attr(sp, "http.request.method"); got != "other" {
		t.Errorf("http.request.method = %.40q, want other", got)
	}
	if got, want := attr(sp, "user_agent.original"), agent[:256]+"…"; got != want {
		t.Errorf("user_agent.original is %d bytes, want the first 256 and …", len(got))
	}
}

// The business counters after a scripted flow.
func TestBusinessMetrics(t *testing.T) {
	m := metrics.New(metrics.Build{Version: "test", Commit: "abc"})
	base := newTestAPI(t)
	api := newAPIWith(t, base.store, base.clock, []func(*Deps){func(d *Deps) { d.Metrics, d.MetricsHandler = m, m.Handler("") }},
		withLimits(limitsOf(1000)), withEvents(m))
	s := api.register("biz@example.com", pw)
	api.do(req{method: "POST", path: "/api/v1/auth/login", body: credentials{"biz@example.com", "wrong-password"}}).wantStatus(t, 401)
	api.login("biz@example.com", pw)
	api.do(req{method: "POST", path: "/api/v1/auth/refresh", cookie: s.refresh}).wantStatus(t, 200)
	api.do(req{method: "PUT", path: "/api/v1/me/library/x", token: s.access, body: `{}`}).wantStatus(t, 200)
	api.do(req{path: "/api/v1/me/library", token: s.access}).wantStatus(t, 200)
	api.do(req{method: "PUT", path: "/api/v1/me/progress/e", token: s.access, body: progressBody("x", 1, 2)}).wantStatus(t, 200)
	for range 6 {
		api.do(req{method: "POST", path: "/api/v1/auth/register", body: credentials{"spam@example.com", "x"}})
	}
	w := httptest.NewRecorder()
	api.srv.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	out := w.Body.String()
	for _, want := range []string{
		"anirohi_registrations_total 1", `anirohi_logins_total{result="failure"} 1`, `anirohi_logins_total{result="success"} 1`,
		`anirohi_refreshes_total{result="success"} 1`, `anirohi_library_operations_total{operation="put"} 1`,
		`anirohi_library_operations_total{operation="list"} 1`, "anirohi_progress_updates_total 1",
		`anirohi_rate_limited_requests_total{scope="register"} 2`,
		`http_requests_total{handler="/api/v1/me/progress/{episode_id}",method="PUT",status="2xx"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(out, `handler="/api/v1/me/library/x"`) {
		t.Error("a raw path became a handler label")
	}
}

// BenchmarkObservability is the per-request cost of metrics and tracing on
// an authenticated request that touches no database (GET /users/me).
func BenchmarkObservability(b *testing.B) {
	ratio := func(r float64) func(*Deps) {
		return func(d *Deps) {
			tr := tracing.New(tracing.Config{ServiceName: "bench", Sampler: sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r))},
				sdktrace.NewBatchSpanProcessor(tracetest.NewNoopExporter()))
			b.Cleanup(func() { tr.Shutdown(context.Background()) })
			d.Tracer = tr.Provider.Tracer("bench")
		}
	}
	withMetrics := func(d *Deps) { m := metrics.New(metrics.Build{}); d.Metrics = m }
	for _, c := range []struct {
		name string
		deps []func(*Deps)
	}{
		{"bare", nil},
		{"metrics", []func(*Deps){withMetrics}},
		{"metrics+tracing10%", []func(*Deps){withMetrics, ratio(0.1)}},
		{"metrics+tracing100%", []func(*Deps){withMetrics, ratio(1)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			base := newTestAPI(b)
			api := newAPIWith(b, base.store, base.clock, c.deps)
			s := api.register("bench@example.com", pw)
			api.srv.log = logging.Discard()
			r := httptest.NewRequest("GET", "/api/v1/users/me", nil)
			r.Header.Set("Authorization", "Bearer "+s.access)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				api.srv.ServeHTTP(w, r)
			}
		})
	}
}
