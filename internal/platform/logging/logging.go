// Package logging builds the service's JSON logger: one object per line with
// timestamp, level, logger, message and the request's trace_id. It imports
// no internal package.
package logging

import (
	"context"
	"io"
	"log/slog"
	"unicode/utf8"
)

type traceKey struct{}

type traceIDs struct{ trace, span string }

// WithTrace returns a context whose log lines carry trace_id and, when not
// empty, span_id.
func WithTrace(ctx context.Context, traceID, spanID string) context.Context {
	return context.WithValue(ctx, traceKey{}, traceIDs{traceID, spanID})
}

// TraceID returns the trace id stored by WithTrace, or "".
func TraceID(ctx context.Context) string {
	ids, _ := ctx.Value(traceKey{}).(traceIDs)
	return ids.trace
}

// New returns a JSON logger writing to w at the given level; count, when
// not nil, hears the level of every line written (for a metric). Name the
// component with Named; the root logger is "anirohi".
func New(w io.Writer, level slog.Level, count func(level string)) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: rename})
	return slog.New(contextHandler{h, count})
}

// Named returns l for the component name ("anirohi.http", ...).
func Named(l *slog.Logger, name string) *slog.Logger { return l.With(slog.String("logger", name)) }

// Discard is a logger that writes nothing, for tests.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Clip bounds text a client chose (a user agent, a path) before it goes
// into a log line or a span: beyond n bytes it is cut on a character
// boundary and ends with "…", so a reader sees that it was cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

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
		return slog.String("level", levelName(a.Value.Any().(slog.Level)))
	}
	return a
}

// levelName is the original service's name of a level.
func levelName(l slog.Level) string {
	if l == slog.LevelWarn {
		return "WARNING"
	}
	return l.String()
}

// contextHandler adds the trace ids of the record's context and counts
// the lines.
type contextHandler struct {
	slog.Handler
	count func(level string)
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ids, ok := ctx.Value(traceKey{}).(traceIDs); ok {
		r.AddAttrs(slog.String("trace_id", ids.trace))
		if ids.span != "" {
			r.AddAttrs(slog.String("span_id", ids.span))
		}
	}
	if h.count != nil {
		h.count(levelName(r.Level))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as), h.count}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name), h.count}
}
