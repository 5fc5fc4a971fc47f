package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/resourceuri"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Feed reports changes to the flags database; *live.Detector implements it.
type Feed interface {
	Listen(ctx context.Context, fn func(live.Update)) (stop func(), err error)
}

// inboxPrefix starts every inbox URI. The template is {+name}: mcp-go's
// {name} never matches "@", and an "@" handle is accepted as well as the
// bare name.
const (
	inboxPrefix   = resourceuri.InboxPrefix
	inboxTemplate = inboxPrefix + "{+name}"
	waitMax       = 50
)

func registerInbox(s *server.MCPServer, svc *Service) {
	s.AddResourceTemplate(mcp.NewResourceTemplate(inboxTemplate, "Agent inbox",
		mcp.WithTemplateDescription("An agent's pending flags, most urgent first: the same JSON as get_agent_flags. "+
			"name is the bare agent name (as in agent://{name}) or its @handle. Subscribe to hear "+
			"notifications/resources/updated whenever a flag for that agent (or for everyone) is created, locked, "+
			"unlocked, completed, or its lease runs out, in any process sharing the database."),
		mcp.WithTemplateMIMEType("application/json"),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		handle, err := inboxHandle(req.Params.URI)
		if err != nil {
			return nil, err
		}
		out, err := svc.GetAgentFlags(ctx, GetAgentFlagsInput{Agent: &handle})
		if err != nil {
			if d, ok := AsDomain(err); ok {
				return nil, errors.New(d.Message)
			}
			svc.Log.ErrorContext(ctx, "inbox resource failed", "uri", req.Params.URI, "err", err)
			return nil, fmt.Errorf("internal error reading %s", req.Params.URI)
		}
		body, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(body)}}, nil
	})
}

// inboxHandle returns the agent handle an inbox URI names.
func inboxHandle(uri string) (string, error) { return resourceuri.InboxHandle(uri) }

// inboxSubs tracks which session subscribed to which inbox URI (mcp-go's
// stdio session does not), and listens to the feed while any subscription
// exists.
type inboxSubs struct {
	mu   sync.Mutex
	subs map[string]map[string]string // session id → URI as subscribed → handle
	n    int
	stop func()
}

func (in *inboxSubs) hook(svc *Service, h *server.Hooks) {
	// A subscription to anything but an inbox is refused before mcp-go
	// acknowledges it: its own subscribe hooks cannot refuse.
	h.AddOnRequestInitialization(func(ctx context.Context, id any, message any) error {
		raw, ok := message.(json.RawMessage)
		if !ok || !maySubscribe(raw) {
			return nil
		}
		var req struct {
			Method string `json:"method"`
			Params struct {
				URI string `json:"uri"`
			} `json:"params"`
		}
		if json.Unmarshal(raw, &req) != nil || req.Method != string(mcp.MethodResourcesSubscribe) {
			return nil
		}
		handle, err := inboxHandle(req.Params.URI)
		if err != nil {
			return fmt.Errorf("resources/subscribe: %v; only agent inboxes (%s) can be subscribed to", err, inboxTemplate)
		}
		handle = svc.canonical(handle)
		if p, ok := auth.From(ctx); ok && p.Role == auth.RoleAgent && handle != svc.canonical(p.Agent) {
			return fmt.Errorf("resources/subscribe: %s refused: this token (%s) is %s's and may subscribe only to its own inbox, %s%s",
				req.Params.URI, p.TokenID, p.Agent, inboxPrefix, p.Agent)
		}
		return nil
	})
	h.AddAfterSubscribe(func(ctx context.Context, id any, req *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		if handle, err := inboxHandle(req.Params.URI); err == nil {
			in.add(ctx, svc, sessionID(ctx), req.Params.URI, svc.canonical(handle))
		}
	})
	// Unsubscribing names an inbox, not a spelling: every URI the session
	// subscribed to for that agent (flags://inbox/ops.containers and
	// flags://inbox/@OPS.containers, an alias) ends, so the empty answer
	// mcp-go gives is true whichever spelling the client unsubscribes. The
	// URI as subscribed ends too, whatever agent a reload has since made
	// its name mean.
	h.AddAfterUnsubscribe(func(ctx context.Context, id any, req *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		handle, err := inboxHandle(req.Params.URI)
		if err == nil {
			handle = svc.canonical(handle)
		}
		in.remove(sessionID(ctx), func(uri, h string) bool { return uri == req.Params.URI || err == nil && h == handle })
	})
	h.AddOnUnregisterSession(func(ctx context.Context, s server.ClientSession) {
		in.remove(s.SessionID(), func(string, string) bool { return true })
	})
}

// maySubscribe is false when raw cannot be a resources/subscribe request,
// so that the hook, which sees every request, decodes only the few that
// may be (tool arguments can be large). A JSON string can spell the letters
// of "subscribe" other than literally only with \u escapes.
func maySubscribe(raw []byte) bool {
	return bytes.Contains(raw, []byte("subscribe")) || bytes.Contains(raw, []byte(`\u`))
}

func sessionID(ctx context.Context) string {
	if s := server.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}

func (in *inboxSubs) add(ctx context.Context, svc *Service, session, uri, handle string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.subs == nil {
		in.subs = map[string]map[string]string{}
	}
	if in.subs[session] == nil {
		in.subs[session] = map[string]string{}
	}
	if _, dup := in.subs[session][uri]; !dup {
		in.subs[session][uri] = handle
		in.n++
	}
	if in.stop != nil || svc.Feed == nil {
		return
	}
	stop, err := svc.Feed.Listen(ctx, func(u live.Update) { in.notify(svc, u) })
	if err != nil {
		svc.Log.ErrorContext(ctx, "inbox subscriptions: cannot watch the flags database", "err", err)
		return
	}
	in.stop = stop
}

// remove drops the session's subscriptions that match accepts, given the
// URI as subscribed and the canonical handle of its inbox.
func (in *inboxSubs) remove(session string, match func(uri, handle string) bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for u, h := range in.subs[session] {
		if match(u, h) {
			delete(in.subs[session], u)
			in.n--
		}
	}
	if len(in.subs[session]) == 0 {
		delete(in.subs, session)
	}
	if in.n == 0 && in.stop != nil {
		in.stop()
		in.stop = nil
	}
}

// notify sends one resources/updated per subscribed URI whose inbox the
// update concerns, with the URI exactly as the session subscribed it.
func (in *inboxSubs) notify(svc *Service, u live.Update) {
	type target struct{ session, uri string }
	var send []target
	in.mu.Lock()
	for session, uris := range in.subs {
		for uri, handle := range uris {
			if u.Concerns(handle) {
				send = append(send, target{session, uri})
			}
		}
	}
	in.mu.Unlock()
	for _, t := range send {
		err := svc.srv.SendNotificationToSpecificClient(t.session, string(mcp.MethodNotificationResourceUpdated), map[string]any{"uri": t.uri})
		if err != nil {
			svc.Log.Debug("resources/updated not sent", "uri", t.uri, "err", err)
		}
	}
}

// wakeSettle is how long a woken wait lets other goroutines run before it
// answers (see waitForFlags).
const wakeSettle = 5 * time.Millisecond

// waitForFlags runs query until it finds flags, the inbox of handle stays
// unchanged for wait, or ctx ends (notifications/cancelled). It listens
// before the first query, so a flag committed in between still wakes it.
func (svc *Service) waitForFlags(ctx context.Context, handle string, wait time.Duration, query func() ([]store.Flag, error)) ([]store.Flag, error) {
	if wait <= 0 || svc.Feed == nil {
		return query()
	}
	if svc.MaxWaits > 0 {
		if svc.waiting.Add(1) > int64(svc.MaxWaits) {
			svc.waiting.Add(-1)
			return query()
		}
		defer svc.waiting.Add(-1)
	}
	wake := make(chan struct{}, 1)
	stop, err := svc.Feed.Listen(ctx, func(u live.Update) {
		if u.Concerns(handle) {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		// The answer is still right, only not awaited.
		svc.Log.WarnContext(ctx, "get_agent_flags: cannot watch the flags database; not waiting", "err", err)
		return query()
	}
	defer stop()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		flags, err := query()
		if err != nil || len(flags) > 0 {
			return flags, err
		}
		select {
		case <-wake:
			// Let the inbox's own notification of this change reach the
			// client first. Over HTTP mcp-go hands a notification sent
			// while this call runs to this call's stream, and drops it
			// when the call has ended by the time that stream's writer
			// runs, which it did for about half the pushes that woke a
			// wait (the waker runs first on its processor). Subscriptions
			// are told before waits are woken (Detector.Listen), so this
			// pause is only for the writer to be scheduled.
			time.Sleep(wakeSettle)
		case <-deadline.C:
			return flags, nil
		case <-svc.waitsEnded:
			return flags, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
