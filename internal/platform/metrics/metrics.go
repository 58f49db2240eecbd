// Package metrics holds the service's Prometheus collectors on a registry
// of its own (no globals: every server built in a test gets its own). The
// HTTP metrics keep the original service's names and labels. It imports no
// internal package; its methods match the small interfaces of app and
// httpapi.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is every collector of the service.
type Metrics struct {
	Registry *prometheus.Registry

	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	reqSize    *prometheus.SummaryVec
	respSize   *prometheus.SummaryVec
	inProgress prometheus.Gauge

	registrations prometheus.Counter
	logins        *prometheus.CounterVec
	refreshes     *prometheus.CounterVec
	reuse         prometheus.Counter
	library       *prometheus.CounterVec
	progress      prometheus.Counter
	rateLimited   *prometheus.CounterVec
	logLines      *prometheus.CounterVec
	catalog       *prometheus.CounterVec
	cacheLookups  *prometheus.CounterVec

	redisUp     prometheus.Gauge
	redisErrors *prometheus.CounterVec
	fallbacks   prometheus.Counter
	pools       *poolCollector
}

// Build describes the running binary.
type Build struct {
	Version, Commit string
}

// New registers every collector, with the Go runtime and process ones.
func New(b Build) *Metrics {
	r := prometheus.NewRegistry()
	f := promauto.With(r)
	counter := func(name, help string) prometheus.Counter {
		return f.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	counterVec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return f.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		Registry: r,
		requests: counterVec("http_requests_total", "HTTP requests by method, status class and route.", "method", "status", "handler"),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "HTTP request duration by method and route.",
			Buckets: []float64{.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 10}}, []string{"method", "handler"}),
		reqSize:    f.NewSummaryVec(prometheus.SummaryOpts{Name: "http_request_size_bytes", Help: "HTTP request body sizes by route."}, []string{"handler"}),
		respSize:   f.NewSummaryVec(prometheus.SummaryOpts{Name: "http_response_size_bytes", Help: "HTTP response body sizes by route."}, []string{"handler"}),
		inProgress: f.NewGauge(prometheus.GaugeOpts{Name: "http_requests_in_progress", Help: "HTTP requests being served."}),

		registrations: counter("anirohi_registrations_total", "Accounts registered."),
		logins:        counterVec("anirohi_logins_total", "Login attempts by result.", "result"),
		refreshes:     counterVec("anirohi_refreshes_total", "Refresh token exchanges by result.", "result"),
		reuse:         counter("anirohi_refresh_reuse_detected_total", "Rotated refresh tokens presented again (sessions revoked)."),
		library:       counterVec("anirohi_library_operations_total", "Library operations by kind.", "operation"),
		progress:      counter("anirohi_progress_updates_total", "Watch progress saves."),
		rateLimited:   counterVec("anirohi_rate_limited_requests_total", "Requests refused by a rate limit, by limit.", "scope"),
		logLines:      counterVec("anirohi_log_messages_total", "Log lines written, by level.", "level"),
		catalog:       counterVec("anirohi_catalog_import_rows_total", "Catalog rows sent by the parser, by kind and result.", "kind", "result"),
		cacheLookups:  counterVec("anirohi_cache_lookups_total", "Cached answers looked up in Redis, by kind and result.", "kind", "result"),

		// Registered by WatchRedis: a service without Redis exports no gauge.
		redisUp:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "anirohi_redis_up", Help: "1 when the last Redis call succeeded."}),
		redisErrors: counterVec("anirohi_redis_errors_total", "Failed Redis calls by use.", "operation"),
		fallbacks:   counter("anirohi_ratelimit_fallback_total", "Rate-limit checks answered in process because Redis failed."),
		pools:       &poolCollector{},
	}
	r.MustRegister(m.pools)
	f.NewGaugeVec(prometheus.GaugeOpts{Name: "anirohi_build_info", Help: "The running build; always 1."}, []string{"version", "commit", "go_version"}).
		WithLabelValues(b.Version, b.Commit, runtime.Version()).Set(1)
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known label values start at 0, so that rate() works from the first scrape.
	for vec, values := range map[*prometheus.CounterVec][]string{
		m.logLines:    {"DEBUG", "INFO", "WARNING", "ERROR"},
		m.logins:      {"success", "failure", "disabled"},
		m.refreshes:   {"success", "failure", "reuse"},
		m.library:     {"list", "put", "delete", "import"},
		m.rateLimited: {"global", "login", "login_failures", "login_device", "register", "refresh"},
	} {
		for _, v := range values {
			vec.WithLabelValues(v)
		}
	}
	return m
}

// Handler serves the exposition format. With a token, a request must carry
// "Authorization: Bearer <token>" (compared in constant time).
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// RequestStarted counts a request in progress until the returned func runs.
func (m *Metrics) RequestStarted() func() {
	m.inProgress.Inc()
	return m.inProgress.Dec
}

// ObserveRequest records one finished request. handler is the route
// template, never the raw path; status is grouped into its class.
func (m *Metrics) ObserveRequest(method, handler string, status int, reqBytes, respBytes int64, d time.Duration) {
	m.requests.WithLabelValues(method, strconv.Itoa(status/100)+"xx", handler).Inc()
	m.duration.WithLabelValues(method, handler).Observe(d.Seconds())
	if reqBytes >= 0 {
		m.reqSize.WithLabelValues(handler).Observe(float64(reqBytes))
	}
	m.respSize.WithLabelValues(handler).Observe(float64(respBytes))
}

// Registered implements app.AuthEvents.
func (m *Metrics) Registered() { m.registrations.Inc() }

// Login implements app.AuthEvents.
func (m *Metrics) Login(result string) { m.logins.WithLabelValues(result).Inc() }

// Refresh implements app.AuthEvents; a reuse also counts as detected.
func (m *Metrics) Refresh(result string) {
	m.refreshes.WithLabelValues(result).Inc()
	if result == "reuse" {
		m.reuse.Inc()
	}
}

// LibraryOperation counts a library list, put, delete or import.
func (m *Metrics) LibraryOperation(op string) { m.library.WithLabelValues(op).Inc() }

// ProgressUpdated counts a progress save.
func (m *Metrics) ProgressUpdated() { m.progress.Inc() }

// RateLimited counts a request refused by the limit of scope.
func (m *Metrics) RateLimited(scope string) { m.rateLimited.WithLabelValues(scope).Inc() }

// CatalogImported counts n catalog rows of a kind (anime, episodes,
// sources) that an import wrote, left unchanged or refused.
func (m *Metrics) CatalogImported(kind, result string, n int) {
	m.catalog.WithLabelValues(kind, result).Add(float64(n))
}

// CacheLookup counts a lookup of a cached answer of kind (library,
// progress, history, catalog) as a hit or a miss.
func (m *Metrics) CacheLookup(kind string, hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.cacheLookups.WithLabelValues(kind, result).Inc()
}

// LogLine counts a log line of level (the JSON name: INFO, WARNING, …).
func (m *Metrics) LogLine(level string) { m.logLines.WithLabelValues(level).Inc() }

// WatchRedis registers the Redis gauge (only a service with Redis has one).
func (m *Metrics) WatchRedis() {
	m.Registry.MustRegister(m.redisUp)
	m.redisErrors.WithLabelValues("ping")
}

// RedisResult records the outcome of a Redis call made for operation.
func (m *Metrics) RedisResult(operation string, err error) {
	if err != nil {
		m.redisUp.Set(0)
		m.redisErrors.WithLabelValues(operation).Inc()
		return
	}
	m.redisUp.Set(1)
}

// RateLimitFallback counts a check answered in process.
func (m *Metrics) RateLimitFallback() { m.fallbacks.Inc() }
