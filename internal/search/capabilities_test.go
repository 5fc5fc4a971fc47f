package search

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestDeriveCapabilitiesFixture(t *testing.T) {
	body, err := os.ReadFile("testdata/body_capabilities.md")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		// Sub-headings of "Core Capabilities"; the fenced line is ignored.
		"Volume Provisioning",
		"Replication & Failover",
		// Bold leads of "Core Competencies", deduplicated.
		"Capacity Planning",
		"Cost Reporting",
		// Items under a bold-line "Focus Areas" heading, cut to a phrase.
		"Backup verification",
		"A very long item that keeps going well past the point where a capability name",
		"Disk health",
	}
	if got := DeriveCapabilities(string(body)); !slices.Equal(got, want) {
		t.Errorf("DeriveCapabilities =\n%q\nwant\n%q", got, want)
	}
}

func TestDeriveCapabilitiesShapes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"none", "Just prose.\n\n## Usage\n\n- run it\n", nil},
		{"focus areas list", "## Focus Areas\n\n- Cold email sequences\n- Follow-up cadences\n\n## Approach\n\n- be nice\n", []string{"Cold email sequences", "Follow-up cadences"}},
		{"responsibilities with bold items", "## Core Responsibilities\n\n- **Routing**: send work\n- **Review**: check it\n", []string{"Routing", "Review"}},
		{"expertise heading level 3", "### Kubernetes Expertise\n- Helm charts\n- Operators\n### Next\n- other\n", []string{"Helm charts", "Operators"}},
		{"preamble labels", "You are an engineer.\n\nWhen invoked:\n1. look\n\nPayments checklist:\n- a\n\nPayment processing:\n- cards\n\nFraud detection:\n- rules\n\n## Communication Protocol\n\nStatus update:\n- x\n", []string{"Payment processing", "Fraud detection"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DeriveCapabilities(tt.body); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeriveCapabilitiesCap(t *testing.T) {
	body := "## Capabilities\n"
	for i := range 40 {
		body += "### Area " + string(rune('A'+i%26)) + string(rune('a'+i/26)) + "\n"
	}
	if got := DeriveCapabilities(body); len(got) != maxCapabilities {
		t.Errorf("got %d capabilities, want the cap %d", len(got), maxCapabilities)
	}
}

func FuzzDeriveCapabilities(f *testing.F) {
	for _, s := range []string{
		"## Capabilities\n### A\n### B\n",
		"**Core Competencies**\n1. **X**: y\n",
		"Topic:\n- a\n## H\n",
		"```\n## Capabilities\n```\n- x",
		"# \n#\n**\n****\n- **\n1. \n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		caps := DeriveCapabilities(body)
		if len(caps) > maxCapabilities {
			t.Fatalf("%d capabilities, cap is %d", len(caps), maxCapabilities)
		}
		seen := map[string]bool{}
		for _, c := range caps {
			k := strings.ToLower(c)
			if c == "" || seen[k] {
				t.Fatalf("empty or duplicate capability %q in %q", c, caps)
			}
			seen[k] = true
		}
	})
}
