package cli

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// gcSettings reads GOGC and the memory limit without changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

// A server collects at start-up only past startupHeap, then (serving) not
// before the heap reaches serveHeap: with this test's small live heap that
// is a GOGC above 100, set again after every collection; restore puts
// Go's defaults back.
func TestGCTuner(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	runtime.GC()
	g := quietGC()
	if p, l := gcSettings(); p != -1 || l != startupHeap {
		t.Fatalf("start-up: GOGC %d, limit %d; want off, %d", p, l, startupHeap)
	}
	g.building()
	if p, l := gcSettings(); p != -1 || l != buildHeap {
		t.Fatalf("building from files: GOGC %d, limit %d; want off, %d", p, l, buildHeap)
	}
	g.serve()
	p, l := gcSettings()
	if p <= 100 || p > 100*serveHeap/heapMinimum || l != math.MaxInt64 {
		t.Fatalf("serving: GOGC %d, limit %d; want 101..%d, no limit", p, l, 100*serveHeap/heapMinimum)
	}
	// Each collection sets it again.
	debug.SetGCPercent(100)
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if p, _ := gcSettings(); p > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("GOGC not set again after a collection")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A live heap of serveHeap/2 or more gets Go's default.
	ballast := make([]byte, serveHeap)
	for {
		runtime.GC()
		if p, _ := gcSettings(); p == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("GOGC not back to 100 with a large live heap")
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(ballast)
	g.building() // too late: serving decides
	if _, l := gcSettings(); l != math.MaxInt64 {
		t.Fatalf("building once serving: limit %d, want none", l)
	}
	g.restore()
	if p, l := gcSettings(); p != 100 || l != math.MaxInt64 {
		t.Fatalf("restored: GOGC %d, limit %d; want 100, no limit", p, l)
	}
	// Once restored, collections leave the settings alone.
	debug.SetGCPercent(100)
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if p, _ := gcSettings(); p != 100 {
		t.Fatalf("after restore: GOGC %d", p)
	}
}
