package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Every write returns the flag as a read right after it would see it, so
// callers never need a second round trip. The write path builds that flag
// without re-reading the row; this pins it to what is stored.
func testWritesReturnWhatIsStored(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	root := mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = "" })
	steps := []struct {
		name string
		op   func(id int64) (store.Flag, error)
	}{
		{"create full", func(int64) (store.Flag, error) {
			in := validNew()
			in.FlagType, in.ImpactLevel = "breaking_change", "high"
			in.ChainOriginID = root.ID
			in.RelatedFiles = []string{" a.go ", "", "dir/<b>&c.go", "é\u2028.go", `q"uote\.go`}
			in.CodeLocation, in.ExampleUsage = " a.go:1 ", "x()"
			in.Context = json.RawMessage(` {"k": ["v", 1, null], "h": "<&>"} `)
			return s.CreateFlag(ctx, in)
		}},
		{"lock", func(id int64) (store.Flag, error) { return s.LockFlag(ctx, id, "@A", time.Minute) }},
		{"renew", func(id int64) (store.Flag, error) { return s.LockFlag(ctx, id, "@a", 2*time.Minute) }},
		{"sub-millisecond lease", func(id int64) (store.Flag, error) { return s.LockFlag(ctx, id, "@a", time.Microsecond) }},
		{"takeover after expiry", func(id int64) (store.Flag, error) {
			clk.Advance(3 * time.Minute)
			return s.LockFlag(ctx, id, "@b", time.Hour)
		}},
		{"unlock", func(id int64) (store.Flag, error) { return s.UnlockFlag(ctx, id, "@b", false) }},
		{"lock again", func(id int64) (store.Flag, error) { return s.LockFlag(ctx, id, "@c", time.Hour) }},
		{"force unlock", func(id int64) (store.Flag, error) { return s.UnlockFlag(ctx, id, "@d", true) }},
		{"lock before complete", func(id int64) (store.Flag, error) { return s.LockFlag(ctx, id, "@e", time.Hour) }},
		{"complete by holder", func(id int64) (store.Flag, error) { return s.CompleteFlag(ctx, id, "@e", " done ") }},
		{"create minimal broadcast", func(int64) (store.Flag, error) {
			in := validNew()
			in.TargetAgent, in.ImpactLevel = "", "low"
			return s.CreateFlag(ctx, in)
		}},
		{"complete without notes after expired lease", func(id int64) (store.Flag, error) {
			if _, err := s.LockFlag(ctx, id, "@f", time.Second); err != nil {
				return store.Flag{}, err
			}
			clk.Advance(time.Second)
			return s.CompleteFlag(ctx, id, "@g", "")
		}},
	}
	var id int64
	for _, st := range steps {
		got, err := st.op(id)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		id = got.ID
		d, err := s.GetFlag(ctx, id)
		if err != nil {
			t.Fatalf("%s: GetFlag: %v", st.name, err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(d.Flag)
		if string(a) != string(b) {
			t.Errorf("%s:\nreturned %s\nstored   %s", st.name, a, b)
		}
	}
}
