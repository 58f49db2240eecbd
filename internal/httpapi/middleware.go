package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/anirohi/anirohi-api/internal/platform/logging"
)

// requestInfo is the per-request state that the outer middleware reads
// after the inner handlers have filled it in.
type requestInfo struct {
	traceID       string
	route         string // pattern without the method, "none" when unrouted
	userID        int64
	clientIP      string // as it came, for logs and sessions
	clientNet     string // what rate limits count: see clientNet
	rateRemaining int    // of the tightest rate limit met, -1 before any
	log           *slog.Logger
}

type infoKey struct{}

func info(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{log: logging.Discard()}
}

func traceID(ctx context.Context) string             { return info(ctx).traceID }
func requestLogger(ctx context.Context) *slog.Logger { return info(ctx).log }

// observe is the outermost middleware: it settles the trace id (the
// OpenTelemetry one when tracing is on), puts the request state in the
// context, and records the access log line, the metrics and the span.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{route: "none", clientIP: clientIP(r, s.cfg.TrustedProxies), rateRemaining: -1, log: s.log}
		ri.clientNet = clientNet(ri.clientIP, s.cfg.Limits.IPv6Prefix)
		ctx := r.Context()
		var span trace.Span
		var spanID string
		if s.deps.Tracer != nil {
			ctx, span = s.startSpan(ctx, r)
			ri.traceID, spanID = span.SpanContext().TraceID().String(), span.SpanContext().SpanID().String()
		} else {
			ri.traceID = acceptTraceID(r.Header.Get("X-Trace-ID"))
		}
		ctx = logging.WithTrace(context.WithValue(ctx, infoKey{}, ri), ri.traceID, spanID)
		if d := s.deadline(r); d > 0 { // a hung dependency answers 503 in bounded time
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		w.Header().Set("X-Trace-ID", ri.traceID)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		done := s.deps.Metrics.RequestStarted()
		defer func() {
			// A handler that cuts the connection panics with
			// http.ErrAbortHandler (recoverPanics lets only that through):
			// the request is still counted and logged before net/http
			// closes the connection.
			v := recover()
			done()
			s.record(ctx, r, ri, rec, start, span, v != nil)
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// record ends the request's span and writes its metrics and access log
// line; an aborted one is marked so.
func (s *Server) record(ctx context.Context, r *http.Request, ri *requestInfo, rec *recorder, start time.Time, span trace.Span, aborted bool) {
	elapsed := time.Since(start)
	method := methodName(r.Method)
	s.deps.Metrics.ObserveRequest(method, ri.route, rec.status, r.ContentLength, rec.bytes, elapsed)
	if span != nil {
		endSpan(span, method, ri.route, rec.status)
	}
	user := slog.Any("user_id", nil)
	if ri.userID != 0 {
		user = slog.Int64("user_id", ri.userID)
	}
	level := slog.LevelInfo
	if probes[ri.route] {
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("route", ri.route),
		slog.Int("status", rec.status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds()/10)/100),
		slog.Int64("bytes", rec.bytes),
		slog.String("client_ip", ri.clientIP),
		user,
	}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

// maxLoggedText caps client-chosen text in a log line or a span attribute
// (the user agent; paths are never logged, only route templates).
const maxLoggedText = 256

// methodName is the request's method as metrics, logs and spans name it:
// one of the standard methods, else "other". A client may send any token
// as its method (net/http accepts one up to the header size limit), and
// each new one would be a new series in every request metric.
func methodName(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// acceptTraceID keeps a client's X-Trace-ID only when it is 1..128 of
// [A-Za-z0-9._-] (D9); otherwise it makes a new one.
func acceptTraceID(id string) string {
	if len(id) == 0 || len(id) > 128 {
		return newTraceID()
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return newTraceID()
		}
	}
	return id
}

// newTraceID returns 32 hex digits, the shape of an OpenTelemetry trace id.
func newTraceID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func peerIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// securityHeaders sets the original service's security headers on every response
// before anything else can write it.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range s.secHeaders {
			h[kv[0]] = []string{kv[1]}
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func securityHeaderList(hsts bool) [][2]string {
	list := [][2]string{
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"X-Xss-Protection", "1; mode=block"},
		{"Referrer-Policy", "strict-origin-when-cross-origin"},
		{"Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none';"},
	}
	if hsts {
		list = append(list, [2]string{"Strict-Transport-Security", "max-age=31536000; includeSubDomains"})
	}
	return list
}

// limitBody caps every request body at the configured size; decode turns
// the overflow into a 413, also for chunked bodies.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.cfg.MaxBodyBytes
		if len(s.internal) > 0 && strings.HasPrefix(r.URL.Path, "/api/v1/internal/") {
			limit = maxImportBody // read only once the token is checked
		}
		if r.ContentLength > limit {
			writeError(w, r, errBodyTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a logged 500 in the standard envelope;
// the stack stays in the server's log.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			requestLogger(r.Context()).ErrorContext(r.Context(), "panic serving request",
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if rec, ok := w.(*recorder); ok && rec.wroteHeader {
				panic(http.ErrAbortHandler) // too late for an error body: cut the connection
			}
			respondError(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// deadline is how long a request's work may take: the parser's imports
// (a bulk import writes up to 20,000 episodes) have ImportTimeout, the
// others RequestTimeout.
func (s *Server) deadline(r *http.Request) time.Duration {
	if s.cfg.ImportTimeout > 0 && strings.HasPrefix(r.URL.Path, "/api/v1/internal/") {
		return s.cfg.ImportTimeout
	}
	return s.cfg.RequestTimeout
}
