// Package tracing sets up OpenTelemetry: a tracer provider exporting over
// OTLP/HTTP (protobuf), the sampler of the standard OTEL_TRACES_SAMPLER
// variables, W3C trace-context propagation, and root spans that can adopt a
// trace id the client chose. Disabled, everything is a no-op. It imports no
// internal package.
package tracing

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Config is what tracing needs from the configuration.
type Config struct {
	Enabled        bool
	ServiceName    string
	ServiceVersion string
	Endpoint       string      // OTLP/HTTP collector URL, e.g. http://collector:4318 (see TracesURL)
	Headers        http.Header // sent with every export (OTEL_EXPORTER_OTLP_HEADERS), e.g. an API key
	Sampler        sdktrace.Sampler
	// OnSpan, when set, sees every finished sampled span, even with
	// exporting disabled (DEBUG logs SQL statements this way).
	OnSpan func(sdktrace.ReadOnlySpan)
}

// Tracing is a configured tracer provider.
type Tracing struct {
	Provider trace.TracerProvider
	shutdown func(context.Context) error
}

// Enabled reports whether spans are recorded at all.
func (t *Tracing) Enabled() bool { return t != nil && t.shutdown != nil }

// Propagator reads and writes W3C traceparent/tracestate and baggage.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Setup builds the provider of cfg: a no-op when disabled (unless OnSpan
// wants spans), else batching to an OTLP exporter.
func Setup(ctx context.Context, cfg Config) (*Tracing, error) {
	if !cfg.Enabled {
		if cfg.OnSpan == nil {
			return &Tracing{Provider: noop.NewTracerProvider()}, nil
		}
		cfg.Sampler = sdktrace.AlwaysSample()
		return New(cfg), nil
	}
	endpoint, err := TracesURL(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	exp, err := newHTTPExporter(ctx, endpoint, cfg.Headers)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	return New(cfg, sdktrace.NewBatchSpanProcessor(exp)), nil
}

// TracesURL is where the spans of an OTEL_EXPORTER_OTLP_ENDPOINT go. As the
// OpenTelemetry specification says of that variable, it is a base URL and
// the signal's path v1/traces is appended (http://collector:4318 →
// http://collector:4318/v1/traces); a URL already ending in /v1/traces is
// used as it is.
func TracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", errors.New("the OTLP endpoint is not an http:// or https:// URL") // not echoed: it may hold credentials
	}
	if !strings.HasSuffix(u.Path, "/v1/traces") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	}
	return u.String(), nil
}

// ParseHeaders reads OTEL_EXPORTER_OTLP_HEADERS: comma-separated key=value
// pairs, values percent-encoded. The error never repeats a value.
func ParseHeaders(s string) (http.Header, error) {
	h := http.Header{}
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if !ok || k == "" || err != nil || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(val, "\r\n") {
			return nil, fmt.Errorf("must be comma-separated key=value pairs (values percent-encoded)")
		}
		h.Add(k, val)
	}
	return h, nil
}

// New builds an enabled provider around span processors (tests pass one
// over an in-memory exporter).
func New(cfg Config, processors ...sdktrace.SpanProcessor) *Tracing {
	sampler := cfg.Sampler
	if sampler == nil {
		sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithSampler(sampler),
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", cfg.ServiceName),
			attribute.String("service.version", cfg.ServiceVersion),
		)),
	}
	for _, sp := range processors {
		opts = append(opts, sdktrace.WithSpanProcessor(sp))
	}
	if cfg.OnSpan != nil {
		opts = append(opts, sdktrace.WithSpanProcessor(hook{cfg.OnSpan}))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracing{Provider: tp, shutdown: tp.Shutdown}
}

// hook is a span processor that calls a function for every finished span.
type hook struct{ onEnd func(sdktrace.ReadOnlySpan) }

func (h hook) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (h hook) OnEnd(s sdktrace.ReadOnlySpan)                   { h.onEnd(s) }
func (h hook) Shutdown(context.Context) error                  { return nil }
func (h hook) ForceFlush(context.Context) error                { return nil }

// Shutdown flushes the spans still buffered and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// ParseSampler reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as the
// OpenTelemetry specification defines them.
func ParseSampler(name, arg string) (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got %q", arg)
		}
		return r, nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		if name == "traceidratio" {
			return sdktrace.TraceIDRatioBased(r), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER %q is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio", name)
}

type presetKey struct{}

// WithTraceID makes the next root span started from ctx use id: a client's
// X-Trace-ID becomes the trace id when it has the right shape.
func WithTraceID(ctx context.Context, id trace.TraceID) context.Context {
	return context.WithValue(ctx, presetKey{}, id)
}

// idGenerator is the SDK's random generator, except for a preset trace id.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	if id, ok := ctx.Value(presetKey{}).(trace.TraceID); ok && id.IsValid() {
		tid = id
	} else {
		crand.Read(tid[:])
	}
	return tid, newSpanID()
}

func (idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	crand.Read(sid[:])
	return sid
}

// ShutdownTimeout bounds the flush at exit.
const ShutdownTimeout = 5 * time.Second
