package board

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/live"
)

// heartbeat keeps idle streams open through proxies and lets the server
// notice a client that went away.
const heartbeat = 20 * time.Second

// events streams a "change" event (server-sent events) after every
// detection cycle that found a commit or a lease running out. The page
// fetches itself again on each, so the event carries only how many changes
// it stands for; bursts are coalesced into one.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Feed == nil {
		http.Error(w, "live updates are off", http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	changed := make(chan struct{}, 1)
	var count atomic.Int64
	stop, err := h.cfg.Feed.Listen(r.Context(), func(u live.Update) {
		// Never block the detector: a change already waiting to be sent
		// covers this one too.
		count.Add(int64(len(u.Changes)))
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	if err != nil {
		h.cfg.Log.Error("board: cannot watch the database", "err", err)
		http.Error(w, "live updates are unavailable", http.StatusServiceUnavailable)
		return
	}
	defer stop()
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// retry: reconnect after 1 s rather than the browser's default 3 s.
	if _, err := fmt.Fprint(w, "retry: 1000\n: listening\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		var msg string
		select {
		case <-r.Context().Done():
			return
		case <-h.cfg.Done:
			return
		case <-changed:
			msg = fmt.Sprintf("event: change\ndata: {\"changes\":%d}\n\n", count.Swap(0))
		case <-tick.C:
			msg = ": ping\n\n"
		}
		if _, err := fmt.Fprint(w, msg); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
