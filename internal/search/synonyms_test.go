package search

import (
	"fmt"
	"slices"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"strings"
	"testing"
)

func phraseTexts(ps []phrase) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.text)
	}
	return out
}

func TestParseSynonyms(t *testing.T) {
	tab, err := parseSynonyms(`
# comment
kubernetes, k8s, kube
iac => infrastructure as code, terraform
ci/cd, continuous delivery
`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want []string
	}{
		{"k8s", []string{"kubernetes", "kube"}},
		{"kubernetes", []string{"k8s", "kube"}},
		{"iac", []string{"infrastructure as code", "terraform"}},
		{"terraform", nil}, // one-way
		{"ci cd", []string{"continuous delivery"}},
		{"continuous delivery", []string{"ci/cd"}},
	}
	for _, tt := range tests {
		got := phraseTexts(tab.lookup(strings.Fields(tt.key)))
		if !slices.Equal(got, tt.want) {
			t.Errorf("lookup(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if tab.maxWords != 2 {
		t.Errorf("maxWords = %d, want 2", tab.maxWords)
	}
	for _, p := range tab.lookup([]string{"iac"}) {
		if !p.related {
			t.Errorf("iac => %q not marked related", p.text)
		}
	}
}

func TestParseSynonymsErrors(t *testing.T) {
	for _, in := range []string{
		"lonely",
		"a, , b",
		"a, b => c",
		"=> c",
	} {
		if _, err := parseSynonyms(in); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("parseSynonyms(%q) error = %v, want one naming line 1", in, err)
		}
	}
}

// TestSynonymTable checks the shipped table covers the abbreviations the
// ranking contract names.
func TestSynonymTable(t *testing.T) {
	for _, abbr := range []string{"k8s", "pg", "js", "ts", "py", "tf", "iac", "a11y", "ci/cd", "db", "ml", "llm", "ui", "ux", "api", "auth", "perf", "sec"} {
		if len(synonymTab().lookup(words(abbr))) == 0 {
			t.Errorf("synonyms.txt has no expansion for %q", abbr)
		}
	}
	got := phraseTexts(synonymTab().lookup([]string{"k8s"}))
	if !slices.Contains(got, "kubernetes") {
		t.Errorf("k8s expands to %q, want kubernetes among them", got)
	}
}

func FuzzParseSynonyms(f *testing.F) {
	f.Add("kubernetes, k8s\niac => terraform, infrastructure as code\n# c\n")
	f.Add("a => b => c")
	f.Add(", ,\n=>")
	f.Fuzz(func(t *testing.T, text string) {
		tab, err := parseSynonyms(text)
		if err != nil {
			return
		}
		for key, ps := range tab.expand {
			if len(strings.Fields(key)) > tab.maxWords {
				t.Fatalf("key %q longer than maxWords %d", key, tab.maxWords)
			}
			for _, p := range ps {
				if len(p.words) == 0 || strings.Join(p.words, " ") == key {
					t.Fatalf("key %q expands to empty or itself: %+v", key, p)
				}
			}
		}
	})
}

// TestProblemLexicon checks that problems.txt parses, that every entry is
// one-way (the lexicon maps problems to domains, not names to names), and
// that its expansions show as related in reasons.
func TestProblemLexicon(t *testing.T) {
	tab, err := parseSynonymsInto("problems.txt", problemsText, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, ps := range tab.expand {
		for _, p := range ps {
			if !p.related {
				t.Errorf("problems.txt: %q → %q is not one-way", key, p.text)
			}
		}
	}
	// A word is a key once in each file: a second line for it is merged
	// into the first at parse time, so it only hides what the word already
	// expands to.
	for _, f := range []struct{ name, text string }{{"synonyms.txt", synonymsText}, {"problems.txt", problemsText}} {
		seen := map[string]string{}
		for n, line := range strings.Split(f.text, "\n") {
			key, _, ok := strings.Cut(line, "=>")
			if key = strings.ToLower(strings.TrimSpace(key)); !ok || strings.HasPrefix(key, "#") {
				continue
			}
			at := fmt.Sprintf("%s:%d", f.name, n+1)
			if first, dup := seen[key]; dup {
				t.Errorf("%s: %q is already a key at %s", at, key, first)
			}
			seen[key] = at
		}
	}
	ix := NewIndex(append(fixture(), &agent.Agent{
		Name:        "cloud.finops",
		Description: "Cloud cost optimization and FinOps",
	}))
	res, _ := ix.Search("our cloud bill doubled", 3)
	if len(res) == 0 {
		t.Fatal("no results")
	}
	found := false
	for _, r := range res[0].Reasons {
		if strings.HasPrefix(r, "related: cloud bill → ") || strings.HasPrefix(r, "related: bill → ") {
			found = true
		}
	}
	if !found {
		t.Errorf("top result's reasons %q lack a related: expansion", res[0].Reasons)
	}
}

// TestProblemLexiconIntentFields checks that a problem word's domain terms
// count only where an agent states what it is for, and a multi-word domain
// term only whole: a body that mentions performance in passing, or a
// description with "data" but not "data breach", is not reached through the
// lexicon.
func TestProblemLexiconIntentFields(t *testing.T) {
	ix := NewIndex([]*agent.Agent{
		{Name: "perf.tuner", Description: "Finds bottlenecks", Capabilities: []string{"Performance profiling"}},
		{Name: "docs.writer", Description: "Writes guides", Body: "Mind performance and latency when writing examples."},
		{Name: "incident.responder", Description: "Handles a data breach from first alert to postmortem"},
		{Name: "data.modeler", Description: "Designs data models"},
	})
	for _, tc := range []struct {
		query, want, reason string
		notMatched          string
	}{
		{"the checkout feels sluggish", "@perf.tuner", "related: sluggish → performance", "@docs.writer"},
		{"our passwords leaked", "@incident.responder", "related: leaked → data breach", "@data.modeler"},
	} {
		res, _ := ix.Search(tc.query, 10)
		if len(res) == 0 || res[0].Name != tc.want {
			t.Errorf("%q: got %v, want %s first", tc.query, names(res), tc.want)
			continue
		}
		if !slices.Contains(res[0].Reasons, tc.reason) {
			t.Errorf("%q: reasons %q lack %q", tc.query, res[0].Reasons, tc.reason)
		}
		if slices.Contains(names(res), tc.notMatched) {
			t.Errorf("%q: %s matched through the lexicon: %v", tc.query, tc.notMatched, res)
		}
	}
}

// TestProblemContext checks that, in a query stating a problem the lexicon
// knows, the other plain words count as its context: an agent named after
// them does not outrank the one that handles the problem, while a query
// without a problem word still ranks by those words alone.
func TestProblemContext(t *testing.T) {
	ix := NewIndex(append(fixture(),
		&agent.Agent{Name: "copy.writer", Description: "Writes web pages"},
		&agent.Agent{Name: "perf.tuner", Description: "Profiles web applications", Tags: []string{"performance"}, Capabilities: []string{"Performance profiling"}},
	))
	for _, tc := range []struct{ query, want string }{
		{"our web pages are sluggish", "@perf.tuner"},
		{"our web pages", "@copy.writer"},
	} {
		if res, _ := ix.Search(tc.query, 2); len(res) == 0 || res[0].Name != tc.want {
			t.Errorf("%q: got %v, want %s first", tc.query, res, tc.want)
		}
	}
	g := ix.parse("our web pages are sluggish").groups
	for _, g := range g {
		want := float32(defaultParams.context)
		if g.word == "sluggish" {
			want = 1
		}
		if g.scale != want {
			t.Errorf("group %q: scale %v, want %v", g.word, g.scale, want)
		}
	}
}

// TestPhraseIDF checks that an expansion needing all of several terms
// counts with the idf of the phrase, from the agents that have every term
// (in the expansion's fields), not with each term's own.
func TestPhraseIDF(t *testing.T) {
	ix := NewIndex([]*agent.Agent{
		{Name: "a", Description: "security reviews"},
		{Name: "b", Description: "security scanning"},
		{Name: "c", Description: "security hardening", Body: "After an incident, harden."},
		{Name: "d", Description: "incident timelines"},
		{Name: "e", Description: "security incident handling"},
		{Name: "f", Description: "frontend"},
	})
	var e *expansion
	pl := ix.parse("breach")
	for gi := range pl.groups {
		for ei := range pl.groups[gi].exps {
			if x := &pl.groups[gi].exps[ei]; x.to == "security incident" {
				e = x
			}
		}
	}
	if e == nil {
		t.Fatalf("breach: no security incident expansion in %+v", pl.groups)
	}
	// Only e has both words where an agent states its intent; c has
	// "incident" in its body only.
	if want := float32(ix.idfOf(1)); e.phraseIDF != want {
		t.Errorf("phrase idf %v, want %v (one agent)", e.phraseIDF, want)
	}
	if sec, _ := ix.terms.get(stem("security")); e.phraseIDF <= ix.idf[sec] {
		t.Errorf("phrase idf %v not above the idf of security, %v", e.phraseIDF, ix.idf[sec])
	}
}

// BenchmarkParseSynonyms is the parse every server start does (WarmUp).
func BenchmarkParseSynonyms(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		t := mustParseSynonyms("synonyms.txt", synonymsText, nil)
		mustParseSynonyms("problems.txt", problemsText, t)
	}
}
