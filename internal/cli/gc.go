package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// serveHeap is the heap goal below which a serving process does not
// collect. After every collection GOGC is set so that the next one comes
// when the heap reaches serveHeap, or twice the live heap when that is more
// (GOGC=100, Go's default). So the collector never runs more often than by
// default, and a heap under serveHeap is under the bound start-up already
// has (startupHeap). A user's GOGC or GOMEMLIMIT turns all this off.
//
// Why: a serving process has a small live heap (2-3 MB with the built-in
// agents) and each call leaves garbage behind, most of it in encoding the
// answer: mcp-go encodes the result, then the whole response, then copies
// it once more to write it, about 390 KB for get_agent_flags' 50 flags. By
// default the collector ran every 2-3 MB, every fifth such call, and the
// calls it overlapped made get_agent_flags' tail at a million flags: p50
// 1.84 ms, p99 8.68 ms on a quiet machine (go run ./bench/scale). With
// serveHeap a run of that bench collects 73 times instead of 453. The
// cost is memory a busy server keeps: VmHWM after 1,000 get_agent_flags
// calls 47 MB instead of 44 MB; a corpus server after 10 or 1,000
// search_agents calls is unchanged (39 MB, bench/run.sh -only memory).
const serveHeap = 16 << 20

// heapMinimum is the runtime's smallest heap goal at GOGC=100; it scales
// with GOGC.
const heapMinimum = 4 << 20

// gcTuner holds the collector's settings in a server process.
type gcTuner struct {
	mu                   sync.Mutex
	tuned, serving, done bool
	prevLimit            int64
	prevPercent          int
	live                 []metrics.Sample
}

// quietGC holds the collector off during start-up (up to startupHeap)
// unless the user tuned it with GOGC or GOMEMLIMIT.
func quietGC() *gcTuner {
	g := &gcTuner{live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return g
	}
	g.tuned = true
	g.prevLimit = debug.SetMemoryLimit(startupHeap)
	g.prevPercent = debug.SetGCPercent(-1)
	return g
}

// building lowers start-up's bound for a start that builds the catalog
// from the files (buildHeap).
func (g *gcTuner) building() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tuned && !g.serving && !g.done {
		debug.SetMemoryLimit(buildHeap)
	}
}

// serve ends start-up's setting: from now on serveHeap decides.
func (g *gcTuner) serve() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.tuned || g.done || g.serving {
		return
	}
	g.serving = true
	debug.SetMemoryLimit(g.prevLimit)
	g.setPercent()
}

// setPercent sets GOGC for the live heap of the last collection, and
// again after the next one.
func (g *gcTuner) setPercent() {
	metrics.Read(g.live)
	live := max(g.live[0].Value.Uint64(), 1)
	// The goal is the larger of heapMinimum·GOGC/100 and
	// live·(1+GOGC/100): the smaller percent that brings either to
	// serveHeap.
	p := min(100*(serveHeap-int64(min(live, serveHeap)))/int64(live), 100*serveHeap/heapMinimum)
	debug.SetGCPercent(int(max(p, 100)))
	runtime.AddCleanup(new(gcMark), (*gcTuner).collected, g)
}

// gcMark is allocated only to become garbage: its cleanup runs after the
// collection that finds it unreachable. (It holds a pointer so that it is
// not a tiny allocation, whose cleanups may never run.)
type gcMark struct{ _ *gcMark }

func (g *gcTuner) collected() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.done {
		g.setPercent()
	}
}

// restore puts the settings quietGC found back.
func (g *gcTuner) restore() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.tuned || g.done {
		return
	}
	g.done = true
	debug.SetGCPercent(g.prevPercent)
	debug.SetMemoryLimit(g.prevLimit)
}
