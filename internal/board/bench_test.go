package board

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/bench/history"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// BenchmarkBoardPages renders every board page, filters included, on a
// year of history: a million flags, 13,000 pending (100,000 with -short).
// Building it takes minutes; MCP_AGENTS_HISTORY_DB names a database built
// by `go run ./bench/scale -db PATH` to use instead. The clock stands at
// the end of the history, so the 24-hour window holds completions. Each
// page reports p99-ms beside ns/op; the target is 100 ms.
func BenchmarkBoardPages(b *testing.B) {
	path := os.Getenv("MCP_AGENTS_HISTORY_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "agents.db")
		st, err := store.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
		cfg := history.Default
		if testing.Short() {
			cfg.Flags, cfg.Pending = 100_000, 1_300
		}
		if _, err := history.Build(context.Background(), path, cfg); err != nil {
			b.Fatal(err)
		}
	}
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st, err := store.Open(context.Background(), path, store.WithClock(func() time.Time { return end }))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// A flag in a chain (history chains every 50th flag from the 150th),
	// for the detail page.
	var detail string
	for id := int64(151); id < 1000 && detail == ""; id++ {
		d, err := st.GetFlag(context.Background(), id)
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Chain) > 1 {
			detail = strconv.FormatInt(id, 10)
		}
	}
	if detail == "" {
		b.Fatal("no chained flag in the history")
	}
	h := New(Config{Store: st, Now: func() time.Time { return end }})
	agent := history.Agent(7)
	pages := []struct{ name, path string }{
		{"board", "/board/"},
		{"agent", "/board/?agent=" + agent},
		{"type", "/board/?type=security"},
		{"impact", "/board/?impact=low"},
		{"status-pending", "/board/?status=pending"},
		{"status-completed", "/board/?status=completed"},
		{"agent+type+impact", "/board/?agent=" + agent + "&type=change&impact=medium"},
		{"rare-filter", "/board/?agent=" + agent + "&type=data_loss"},
		{"list-page", "/board/?impact=medium&list=pending&page=20"},
		{"list-completed", "/board/?list=completed&page=3"},
		{"events-older", "/board/?list=events&before=900000"},
		{"events-older-filtered", "/board/?list=events&before=900000&type=security"},
		{"flag", "/board/flags/" + detail},
		{"api-summary", "/board/api/summary"},
		{"api-flag", "/board/api/flags/" + detail},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var d []time.Duration
			for b.Loop() {
				t0 := time.Now()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", p.path, nil))
				d = append(d, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", p.path, rec.Code, rec.Body.String())
				}
			}
			slices.Sort(d)
			b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
