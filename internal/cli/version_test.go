package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	built := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/mcp-agents/mcp-agents", Version: v}}
	}
	cases := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"release build: the ldflag wins", "1.4.0", built("v1.3.0"), "1.4.0"},
		{"go install module@version", "dev", built("v1.3.0"), "v1.3.0"},
		{"go install, pseudo-version", "dev", built("v0.0.0-20261201031500-abcdef123456"), "v0.0.0-20261201031500-abcdef123456"},
		{"checkout build", "dev", built("(devel)"), "dev"},
		{"no version recorded", "", built(""), "dev"},
		{"no build info", "dev", nil, "dev"},
	}
	for _, c := range cases {
		if got := versionOf(c.stamped, c.info); got != c.want {
			t.Errorf("%s: versionOf(%q, %v) = %q, want %q", c.name, c.stamped, c.info, got, c.want)
		}
	}
}
