package server

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mcp-agents/mcp-agents/internal/flagtext"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Claude Code's channels (a research preview there): a stdio server that
// declares this experimental capability may push notifications/claude/channel
// messages, which reach the model in the running session.
const (
	channelCapability = "claude/channel"
	channelMethod     = "notifications/claude/channel"
	channelQueue      = 1000
)

// StartChannel pushes a short channel message for every new flag that
// concerns one of svc.Notify's agents (addressed to it, or to everyone),
// from any process sharing the database, until ctx ends or stop is called.
// It does nothing without svc.Notify or svc.Feed.
func (svc *Service) StartChannel(ctx context.Context) (stop func(), err error) {
	if len(svc.Notify) == 0 || svc.Feed == nil {
		return func() {}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	ids := make(chan int64, channelQueue)
	stopFeed, err := svc.Feed.Listen(ctx, func(u live.Update) {
		for _, ch := range u.Changes {
			if ch.Kind != store.EventCreated || (ch.Target != nil && !svc.notifies(*ch.Target)) {
				continue
			}
			select {
			case ids <- ch.FlagID:
			default:
				svc.Log.Warn("channel: too many new flags at once; not pushing flag", "flag_id", ch.FlagID)
			}
		}
	})
	if err != nil {
		cancel()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-ids:
				svc.pushFlag(ctx, id)
			}
		}
	}()
	return func() {
		stopFeed()
		cancel()
		<-done
	}, nil
}

// notifies reports whether a flag for target concerns one of svc.Notify's
// agents. Both sides are resolved against the catalog as it is now (it
// reloads), as every handle argument is: --notify @ops.k8s watches
// @ops.kubernetes, under which create_flag stores a target given by the
// alias. Compared as given, an alias in --notify matched no flag at all.
func (svc *Service) notifies(target string) bool {
	target = svc.canonical(target)
	for _, h := range svc.Notify {
		if h == target || svc.canonical(h) == target {
			return true
		}
	}
	return false
}

func (svc *Service) pushFlag(ctx context.Context, id int64) {
	d, err := svc.Flags.GetFlag(ctx, id)
	if err != nil {
		svc.Log.Warn("channel: cannot read a new flag", "flag_id", id, "err", err)
		return
	}
	content, meta := channelMessage(d.Flag)
	svc.srv.SendNotificationToAllClients(channelMethod, map[string]any{"content": content, "meta": meta})
}

// channelMessage says what a new flag is and how to act on it, in a few
// lines. The flag's text comes from another agent: it is cleaned of
// control and formatting characters, cut to one line and given as a JSON
// string (flagtext.Quote), so it can neither close the channel tag the
// client wraps the message in nor forge a tag, heading or fence.
func channelMessage(f store.Flag) (string, map[string]string) {
	target := "everyone"
	if f.TargetAgent != nil {
		target = *f.TargetAgent
	}
	// The first line with text once cleaned: a line of nothing but an
	// escape sequence or zero-width characters is no line to quote.
	first := flagtext.FirstLine(flagtext.Clean(f.ChangeDescription))
	recipient := target
	if f.TargetAgent == nil {
		recipient = "your agent"
	}
	content := fmt.Sprintf("New flag #%d for %s: %s, impact %s, from %s (principal: %s).\nIts change, in the sender's words: %s\n"+
		"To act: read it with get_flag (flag_id %d), take it with lock_flag, finish with complete_flag; "+
		"get_agent_flags lists %s's inbox.",
		f.ID, target, f.FlagType, f.ImpactLevel, flagtext.Line(f.SourceAgent, 80), principal(f),
		flagtext.Quote(flagtext.Line(first, 200)), f.ID, recipient)
	meta := map[string]string{
		"flag_id":   strconv.FormatInt(f.ID, 10),
		"flag_type": f.FlagType,
		"impact":    f.ImpactLevel,
		"source":    f.SourceAgent,
		"principal": principal(f),
		"target":    target,
	}
	return content, meta
}
