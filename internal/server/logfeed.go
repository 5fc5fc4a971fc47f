package server

import (
	"context"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/live"
)

// Lease takeovers (by any process sharing the database) are found by the
// change feed, which polls only while someone listens. A client that asked
// for info-level log messages is such a listener: it holds the feed for as
// long as its session wants them, so it hears takeovers even when nothing
// else (a subscription, a wait, --notify) keeps the feed running.
type logListeners struct {
	mu   sync.Mutex
	stop map[string]func()
}

func (ll *logListeners) hook(svc *Service, h *server.Hooks) {
	h.AddAfterSetLevel(func(ctx context.Context, _ any, req *mcp.SetLevelRequest, _ *mcp.EmptyResult) {
		s := server.ClientSessionFromContext(ctx)
		if s == nil || svc.Feed == nil {
			return
		}
		ll.set(svc, s.SessionID(), mcp.LoggingLevelInfo.ShouldSendTo(req.Params.Level))
	})
	h.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		ll.set(svc, s.SessionID(), false)
	})
}

// set starts or stops session id's hold on the feed.
func (ll *logListeners) set(svc *Service, id string, listen bool) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if stop, ok := ll.stop[id]; ok && !listen {
		stop()
		delete(ll.stop, id)
	}
	if _, ok := ll.stop[id]; ok || !listen {
		return
	}
	stop, err := svc.Feed.Listen(context.Background(), func(live.Update) {})
	if err != nil {
		svc.Log.Warn("cannot watch the flags database for lease takeovers", "err", err)
		return
	}
	if ll.stop == nil {
		ll.stop = map[string]func(){}
	}
	ll.stop[id] = stop
}
