// Package httpapi is the HTTP surface of the service: routes, handlers,
// middleware, JSON and the one mapping from domain errors to responses. It
// imports app, domain and platform, never a store.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/platform/cache"
	"github.com/anirohi/anirohi-api/internal/platform/ratelimit"
	"github.com/anirohi/anirohi-api/internal/platform/token"
)

// Config is what the HTTP layer needs to know from the configuration.
type Config struct {
	AppName        string
	Version        string
	AllowedOrigins []string
	CookieSecure   bool          // also switches HSTS on
	CookieSameSite http.SameSite // of the refresh cookie
	RefreshTTL     time.Duration // refresh cookie Max-Age
	MaxBodyBytes   int64         // request bodies above this are 413
	RequestTimeout time.Duration // deadline of a request's work; 0 for none
	ImportTimeout  time.Duration // the same for /api/v1/internal/ (the parser's imports)
	TrustedProxies []netip.Prefix
	Limits         Limits
	// InternalTokens are the parser's accepted X-Internal-Token values (the
	// current one, and the previous one during a rotation); without any,
	// the internal API does not exist (404).
	InternalTokens []string
	// Docs is the OpenAPI document (YAML); when set, /docs, /redoc and
	// /openapi.json serve it (DEBUG only).
	Docs []byte
}

// Check is one readiness probe: Name appears in /ready's checks.
type Check struct {
	Name string
	Run  func(ctx context.Context) error // nil means "disabled"
	// Degrades marks a dependency the instance serves without (Redis: an
	// in-process fallback takes over): its failure reads "degraded" and
	// keeps /ready at 200, so a blip there does not take every replica
	// out of the load balancer at once.
	Degrades bool
}

// Deps are the collaborators of the HTTP layer.
type Deps struct {
	Logger  *slog.Logger
	Ready   []Check
	Auth    *app.Auth
	Library *app.Library
	Watch   *app.Watch
	Admin   *app.Admin
	Catalog *app.Catalog
	// CatalogAdmin is the editors' catalog; nil leaves its routes out.
	CatalogAdmin *app.CatalogAdmin
	Limiter      ratelimit.Limiter // required when Limits.Enabled
	Devices      *token.Devices    // signs the device cookies of the failed-login policy
	Cache        *cache.Redis      // list responses; nil when there is no Redis
	Metrics      Metrics           // nil counts nothing
	// MetricsHandler serves GET /metrics; nil leaves the route out.
	MetricsHandler http.Handler
	// Tracer starts a server span per request; nil when tracing is off.
	Tracer trace.Tracer
}

// Metrics hears what the HTTP layer does (for Prometheus).
type Metrics interface {
	RequestStarted() (done func())
	ObserveRequest(method, handler string, status int, reqBytes, respBytes int64, d time.Duration)
	RateLimited(scope string)
	LibraryOperation(op string)
	ProgressUpdated()
	CacheLookup(kind string, hit bool)
}

type noMetrics struct{}

func (noMetrics) RequestStarted() func()                                          { return func() {} }
func (noMetrics) ObserveRequest(string, string, int, int64, int64, time.Duration) {}
func (noMetrics) RateLimited(string)                                              {}
func (noMetrics) LibraryOperation(string)                                         {}
func (noMetrics) ProgressUpdated()                                                {}
func (noMetrics) CacheLookup(string, bool)                                        {}

// Server is the service's http.Handler.
type Server struct {
	cfg        Config
	log        *slog.Logger
	mux        *http.ServeMux
	handler    http.Handler
	secHeaders [][2]string
	deps       Deps
	internal   internalTokens
}

// NewServer builds the handler with every route and middleware. It fails
// only on an unreadable Docs document.
func NewServer(cfg Config, deps Deps) (*Server, error) {
	if deps.Metrics == nil {
		deps.Metrics = noMetrics{}
	}
	s := &Server{
		cfg:        cfg,
		log:        deps.Logger,
		mux:        http.NewServeMux(),
		secHeaders: securityHeaderList(cfg.CookieSecure),
		deps:       deps,
		internal:   newInternalTokens(cfg.InternalTokens...),
	}
	if err := s.routes(); err != nil {
		return nil, err
	}
	// Outermost first: observe sees every response, security and CORS
	// headers are set before anything can write, panics become 500s inside.
	var h http.Handler = http.HandlerFunc(s.dispatch)
	h = s.recoverPanics(h)
	h = s.limitBody(h)
	h = s.cors(h)
	h = s.securityHeaders(h)
	h = s.observe(h)
	s.handler = h
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// dispatch routes the request, answering what the mux cannot route with
// the standard envelope: 404, 405 with Allow, and the reference's 307 from
// "path/" to "path". A 404 or 405 spends the global limit of the address.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		info(r.Context()).route = routeName(pattern)
		s.mux.ServeHTTP(w, r)
		return
	}
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimRight(p, "/")
		if _, pat := s.mux.Handler(r2); pat != "" {
			u := *r2.URL
			u.RawPath = ""
			http.Redirect(w, r, u.RequestURI(), http.StatusTemporaryRedirect)
			return
		}
	}
	// No route: still an anonymous request, with the global budget of its
	// address, or a client could probe (and fill the log) unhindered.
	if err := s.take(w, r, "global", addressKey(r), s.cfg.Limits.Global); err != nil {
		writeError(w, r, err)
		return
	}
	// Let the mux decide between 404 and 405; keep only its Allow header.
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeError(w, r, errMethod)
		return
	}
	writeError(w, r, errNoRoute)
}

// routeName drops the method from a mux pattern: "GET /x/{id}" → "/x/{id}".
func routeName(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return pattern[i+1:]
	}
	return pattern
}

// headerProbe records what the mux's own error handler would answer.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

// apiFunc is a handler that returns its error instead of writing it.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

func (f apiFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		writeError(w, r, err)
	}
}
