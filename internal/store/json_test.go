package store

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// The JSON shape of flags is a contract with the MCP tools and the CLI:
// field names, nulls (not omitted) for absent values, [] for no files.
func TestFlagDetailJSONGolden(t *testing.T) {
	ctx := context.Background()
	s, clk := openClock(t)
	root := mustCreate(t, s, func(f *NewFlag) { f.TargetAgent = "" })
	clk.Advance(time.Second)
	child := mustCreate(t, s, func(f *NewFlag) {
		f.FlagType = "breaking_change"
		f.ImpactLevel = "high"
		f.ChainOriginID = root.ID
		f.RelatedFiles = []string{"models/user.py", "api/users.py"}
		f.CodeLocation = "models/user.py:42"
		f.ExampleUsage = "user.preferences.get('theme')"
		f.Context = json.RawMessage(`{"column":"preferences","type":"jsonb"}`)
	})
	clk.Advance(time.Second)
	if _, err := s.LockFlag(ctx, child.ID, "@ops.containers", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := s.CompleteFlag(ctx, root.ID, "@ops.containers", "Handled in the compose file."); err != nil {
		t.Fatal(err)
	}
	d, err := s.GetFlag(ctx, child.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "flag_detail.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("JSON differs from %s (run go test -update if intended):\n%s", golden, got)
	}
}
