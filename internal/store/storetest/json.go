package storetest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

//go:embed testdata/flag_detail.golden.json
var flagDetailGolden []byte

// UpdateEnv, set to 1, rewrites the suite's golden files from the engine
// under test instead of comparing with them.
const UpdateEnv = "MCP_AGENTS_UPDATE_GOLDEN"

// The JSON shape of flags is a contract with the MCP tools and the CLI:
// field names, nulls (not omitted) for absent values, [] for no files.
func testFlagDetailJSONGolden(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	root := mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = "" })
	clk.Advance(time.Second)
	child := mustCreate(t, s, func(f *store.NewFlag) {
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
	if os.Getenv(UpdateEnv) == "1" {
		_, self, _, _ := runtime.Caller(0)
		if err := os.WriteFile(filepath.Join(filepath.Dir(self), "testdata", "flag_detail.golden.json"), got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, flagDetailGolden) {
		t.Errorf("JSON differs from storetest/testdata/flag_detail.golden.json (%s=1 rewrites it, if intended):\n%s", UpdateEnv, got)
	}
}
