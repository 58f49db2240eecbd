package httpapi

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/anirohi/anirohi-api/internal/platform/logging"
	"github.com/anirohi/anirohi-api/internal/platform/tracing"
)

// startSpan starts the request's server span. An incoming W3C traceparent
// makes it a child of the caller's span; otherwise a well-formed X-Trace-ID
// (32 hex digits) becomes the new trace's id, so that a client's id, the
// logs, the error bodies and the spans agree.
func (s *Server) startSpan(ctx context.Context, r *http.Request) (context.Context, trace.Span) {
	ctx = tracing.Propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	if !trace.SpanContextFromContext(ctx).IsValid() {
		if id, err := trace.TraceIDFromHex(r.Header.Get("X-Trace-ID")); err == nil {
			ctx = tracing.WithTraceID(ctx, id)
		}
	}
	method := methodName(r.Method)
	return s.deps.Tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.request.method", method),
		attribute.String("url.scheme", scheme(r)),
		attribute.String("user_agent.original", logging.Clip(r.UserAgent(), maxLoggedText)),
	))
}

// endSpan names the span by its route (never the raw path, which holds
// ids) and ends it.
func endSpan(span trace.Span, method, route string, status int) {
	span.SetName(method + " " + route)
	span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
