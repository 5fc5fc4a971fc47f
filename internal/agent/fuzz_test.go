package agent

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds := []string{
		"---\nname: a\ndescription: b\n---\nbody",
		"---\nname: x\ndescription: Triggers on: 'a', 'b'\ntools: Read, Grep\n---\n",
		"---\nname: y\ndescription: >-\n  folded\n  text\nexamples:\n- '<e>\nContext: c\n</e>'\n- k: v\n---\n",
		"---\nname: &n z\ndescription: *n\naliases: [q, r]\n---\n",
		"---\nname: 'unterminated\ndescription: \"x\n---\n",
		"---\n- a\n- b\n---\n",
		"no frontmatter",
		"---\n---\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			if a != nil {
				t.Fatalf("Parse returned both an agent and error %v", err)
			}
			return
		}
		if !validName(a.Name) {
			t.Fatalf("accepted invalid name %q", a.Name)
		}
		if n, err := Normalize(a.Name); err != nil || n != a.Name {
			t.Fatalf("name %q is not normalised: %q, %v", a.Name, n, err)
		}
		if strings.TrimSpace(a.Description) == "" {
			t.Fatalf("accepted empty description")
		}
		for _, al := range a.Aliases {
			if !validName(al) {
				t.Fatalf("accepted invalid alias %q", al)
			}
		}
	})
}
