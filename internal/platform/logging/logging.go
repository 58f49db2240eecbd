// Package logging builds the service's JSON logger: one object per line with
// timestamp, level, logger, message and the request's trace_id. It imports
// no internal package.
package logging

import (
	"context"
	"io"
	"log/slog"
	"time"
)

type traceKey struct{}

// WithTraceID returns a context whose log lines carry id as trace_id.
func WithTraceID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, traceKey{}, id)
}

// TraceID returns the trace id stored by WithTraceID, or "".
func TraceID(ctx context.Context) string {
	id, _ := ctx.Value(traceKey{}).(string)
	return id
}

// New returns a JSON logger writing to w at the given level. Name the
// component with Named; the root logger is "anirohi".
func New(w io.Writer, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: rename})
	return slog.New(contextHandler{h})
}

// Named returns l for the component name ("anirohi.http", ...).
func Named(l *slog.Logger, name string) *slog.Logger { return l.With(slog.String("logger", name)) }

// Discard is a logger that writes nothing, for tests.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

const timeLayout = "2006-01-02T15:04:05.000000Z"

// rename gives the built-in keys the names of the original service's logs.
func rename(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		return slog.String("timestamp", a.Value.Time().UTC().Format(timeLayout))
	case slog.MessageKey:
		a.Key = "message"
	case slog.LevelKey:
		level := a.Value.Any().(slog.Level)
		name := level.String()
		if level == slog.LevelWarn {
			name = "WARNING"
		}
		return slog.String("level", name)
	}
	return a
}

// contextHandler adds the trace id of the record's context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := TraceID(ctx); id != "" {
		r.AddAttrs(slog.String("trace_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// Since is the duration from start in milliseconds with two decimals, for
// duration_ms fields.
func Since(start time.Time) float64 {
	return float64(time.Since(start).Microseconds()/10) / 100
}
