package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// clientLogger is the logger name clients see in notifications/message.
const clientLogger = "mcp-agents"

// sessions tracks the connected sessions, to send them log messages.
type sessions struct {
	mu  sync.Mutex
	ids map[string]server.ClientSession
}

func (ss *sessions) hook(h *server.Hooks) {
	h.AddOnRegisterSession(func(ctx context.Context, s server.ClientSession) {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if ss.ids == nil {
			ss.ids = map[string]server.ClientSession{}
		}
		ss.ids[s.SessionID()] = s
	})
	h.AddOnUnregisterSession(func(ctx context.Context, s server.ClientSession) {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		delete(ss.ids, s.SessionID())
	})
}

func (ss *sessions) list() []server.ClientSession {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]server.ClientSession, 0, len(ss.ids))
	for _, s := range ss.ids {
		out = append(out, s)
	}
	return out
}

// ClientLog returns a handler that writes to next (stderr stays the full
// log) and also sends each record to every connected client that asked,
// with logging/setLevel, for its level or a lower one (mcp-go's default is
// error), as notifications/message.
func (svc *Service) ClientLog(next slog.Handler) slog.Handler {
	return &clientHandler{next: next, svc: svc}
}

type clientHandler struct {
	next  slog.Handler
	svc   *Service
	attrs []slog.Attr
	group string
}

// operatorOnly are the attributes that stay in the server's own log: the
// database's path or URL (host, user, database name) is the operator's
// to know, not every session's, which gets error records by default.
var operatorOnly = map[string]bool{"db": true}

func mcpLevel(l slog.Level) mcp.LoggingLevel {
	switch {
	case l >= slog.LevelError:
		return mcp.LoggingLevelError
	case l >= slog.LevelWarn:
		return mcp.LoggingLevelWarning
	case l >= slog.LevelInfo:
		return mcp.LoggingLevelInfo
	}
	return mcp.LoggingLevelDebug
}

// wanted reports whether some client asked for records at level l.
func (h *clientHandler) wanted(l slog.Level) bool {
	lvl := mcpLevel(l)
	for _, s := range h.svc.sessions.list() {
		if ls, ok := s.(server.SessionWithLogging); ok && s.Initialized() && lvl.ShouldSendTo(ls.GetLogLevel()) {
			return true
		}
	}
	return false
}

func (h *clientHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l) || h.wanted(l)
}

func (h *clientHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.next.Enabled(ctx, r.Level) {
		err = h.next.Handle(ctx, r)
	}
	if h.svc.srv == nil || !h.wanted(r.Level) {
		return err
	}
	data := map[string]any{"message": r.Message}
	add := func(a slog.Attr) bool {
		if operatorOnly[a.Key] {
			return true
		}
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		v := a.Value.Resolve()
		switch x := v.Any().(type) {
		case error:
			data[key] = x.Error()
		case time.Duration:
			data[key] = x.String()
		default:
			data[key] = x
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	n := mcp.NewLoggingMessageNotification(mcpLevel(r.Level), clientLogger, data)
	for _, s := range h.svc.sessions.list() {
		// The session's own level decides; a full channel drops the message.
		_ = h.svc.srv.SendLogMessageToSpecificClient(s.SessionID(), n)
	}
	return err
}

func (h *clientHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *clientHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
