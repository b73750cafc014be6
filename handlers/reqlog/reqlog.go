// Package reqlog puts the request ID on every log line written while a
// request is served: the request-ID middleware stores the ID in the
// request's context (WithRequestID), and Wrap's slog handler adds it as
// "request_id" to each record logged with that context (Logger.InfoContext
// and friends, LogAttrs).
package reqlog

import (
	"context"
	"log/slog"
)

// Key is the attribute name of the request ID in log records.
const Key = "request_id"

type ctxKey struct{}

// WithRequestID returns ctx carrying the request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID is the request ID ctx carries, "" outside a request.
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// handler adds the context's request ID to every record before next
// handles it.
type handler struct{ next slog.Handler }

// Wrap returns h adding the request ID of the context each record is
// logged with. Wrapping twice adds it once.
func Wrap(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{next: h}
}

// WrapLogger is Wrap for a logger.
func WrapLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(handler); ok {
		return l
	}
	return slog.New(Wrap(l.Handler()))
}

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String(Key, id))
	}
	return h.next.Handle(ctx, r)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler { return handler{next: h.next.WithAttrs(as)} }

func (h handler) WithGroup(name string) slog.Handler { return handler{next: h.next.WithGroup(name)} }
