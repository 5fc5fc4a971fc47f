package agent

import (
	"bytes"
	"encoding/gob"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mcp-agents/mcp-agents/agents"
)

// snapshotFixture exercises every part of a snapshot: overrides, a
// same-source duplicate, alias conflicts, rejected files, lenient
// frontmatter, a BOM, CRLF line ends and Extra values of every type yaml.v3
// produces.
func snapshotFixture() []Source {
	builtin := fstest.MapFS{
		"ops.containers.md": agentFile("ops.containers", "builtin containers", "aliases: [docker, oc]"),
		"web/frontend.md":   agentFile("web.frontend", "builtin frontend", "aliases: [ui, fe, docker]", "tags: [web, ui]"),
		"broken.md":         {Data: []byte("no frontmatter here\n")},
		"lenient.md": {Data: []byte("---\nname: loose\ndescription: Use when: things break\n" +
			"examples:\n- 'one: two'\n---\nloose body\n")},
		"bom.md":   {Data: []byte("\xef\xbb\xbf---\r\nname: bom\r\ndescription: with BOM\r\n---\r\n\r\nbody\r\n")},
		"empty.md": {Data: []byte("---\nname: empty\ndescription: no body\n---\n")},
		"extra.md": agentFile("extra", "  every extra type  ",
			"version: 2",
			"ratio: 1.5",
			"inf: .inf",
			"enabled: true",
			"off: false",
			"nothing: ~",
			"created: 2024-01-02",
			"at: 2001-12-14t21:59:43.10-05:00",
			"quoted_date: '2024-01-02'",
			"big: 18446744073709551615",
			"neg: -9223372036854775808",
			"list: [1, two, 3.0, null, [nested]]",
			"nested: {a: 1, b: [x, y], c: {d: e}}",
			"weird: {1: one, true: yes, 2.5: f, ~: n}",
			"bin: !!binary aGVsbG8=",
			"empty_list: []",
			"empty_map: {}",
			"tools: Read, Grep, Read",
			"capabilities: [\"a, b\", {k: v}]",
			"model: sonnet",
			"color: blue",
			"maturity: stable"),
	}
	user := fstest.MapFS{
		"a/dup.md":      agentFile("dup", "first by path", "aliases: [ui]"),
		"b/dup.md":      agentFile("Dup", "second by path"),
		"containers.md": agentFile("@Ops.Containers", "user containers", "aliases: [web.frontend, ctr, fe]"),
		"toolong.md":    {Data: bytes.Repeat([]byte("x"), MaxFileSize+1)},
	}
	empty := fstest.MapFS{}
	return []Source{
		{Label: "builtin", Root: "builtin", FS: builtin},
		{Label: "user", Root: filepath.FromSlash("/home/u/.claude/agents"), FS: user},
		{Label: "dir", Root: "empty", FS: empty},
		{Label: "env", Root: "nofs"},
	}
}

func builtinSources() []Source {
	return []Source{{Label: "builtin", Root: "builtin", FS: agents.FS}}
}

// agentCmp compares agents field by field; float NaNs count as equal, and
// byte slices are compared whole (cmp's element walk is slow on megabytes
// of Raw). gob does not keep an empty slice apart from nil, which no
// reader of a catalog does either (the server shows both as []).
// The texts are compared through Text, as a decoded agent has them.
var agentCmp = cmp.Options{cmpopts.EquateNaNs(), cmpopts.EquateEmpty(), cmp.Comparer(func(a, b []byte) bool {
	return bytes.Equal(a, b)
}), cmpopts.IgnoreFields(Agent{}, "Raw", "Body"), cmpopts.IgnoreUnexported(Agent{})}

// gobRoundTrip stores a value as the start-up cache does and reads it back.
func gobRoundTrip[T any](t testing.TB, v T) T {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatalf("encoding: %v", err)
	}
	var out T
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return out
}

// snapshotRoundTrip snapshots c as the start-up cache stores it and
// decodes it for sources, with the texts from their gob round trip.
func snapshotRoundTrip(t testing.TB, c *Catalog, warns []Warning, sources []Source) (*Catalog, []Warning) {
	t.Helper()
	s, texts := c.Snapshot(warns)
	s = gobRoundTrip(t, s)
	texts = gobRoundTrip(t, texts)
	d, dwarns, err := s.Catalog(sources, func() (Texts, error) { return texts, nil })
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	return d, dwarns
}

// checkRoundTrip snapshots what Load built from sources, passes the
// snapshot through gob and checks that the rebuilt catalog answers every
// query the same way.
func checkRoundTrip(t *testing.T, sources []Source) *Catalog {
	t.Helper()
	c, warns := mustLoad(t, sources)
	d, dwarns := snapshotRoundTrip(t, c, warns, sources)
	compareCatalogs(t, c, warns, d, dwarns)
	return d
}

func compareCatalogs(t *testing.T, c *Catalog, warns []Warning, d *Catalog, dwarns []Warning) {
	t.Helper()
	if diff := cmp.Diff(c.All(), d.All(), agentCmp); diff != "" {
		t.Errorf("All() (-loaded +decoded):\n%s", diff)
	}
	for i, a := range d.All() {
		raw, body, err := a.Text()
		if want := c.All()[i]; err != nil || raw != want.Raw || body != want.Body {
			t.Errorf("%s: Text() = %d bytes, body %d bytes, %v; want %d and %d bytes", a.Name, len(raw), len(body), err, len(want.Raw), len(want.Body))
		}
	}
	if diff := cmp.Diff(warns, dwarns); diff != "" {
		t.Errorf("warnings (-loaded +decoded):\n%s", diff)
	}
	if c.Len() != d.Len() {
		t.Errorf("Len() = %d, want %d", d.Len(), c.Len())
	}
	if diff := cmp.Diff(c.CountBySource(), d.CountBySource()); diff != "" {
		t.Errorf("CountBySource() (-loaded +decoded):\n%s", diff)
	}

	var keys []string
	for _, a := range c.All() {
		keys = append(keys, a.Name, a.Handle(), strings.ToUpper(a.Name))
		keys = append(keys, a.Aliases...)
	}
	keys = append(keys, slices.Collect(maps.Keys(c.byAlias))...)
	keys = append(keys, "", "@", "no.such.agent", "bad name!")
	for _, k := range keys {
		want, wok := c.Get(k)
		got, gok := d.Get(k)
		if wok != gok || (wok && want.Name != got.Name) {
			t.Errorf("Get(%q) = %v, %v; want %v, %v", k, nameOf(got), gok, nameOf(want), wok)
		}
	}
	checkCandidates(t, c)
	checkCandidates(t, d)
	if diff := cmp.Diff(aliasNames(c), aliasNames(d)); diff != "" {
		t.Errorf("alias index (-loaded +decoded):\n%s", diff)
	}
	for _, q := range suggestQueries(c) {
		if want, got := c.Suggest(q, 5), d.Suggest(q, 5); !slices.Equal(want, got) {
			t.Errorf("Suggest(%q) = %v, want %v", q, got, want)
		}
	}
}

// checkCandidates compares Suggest's candidate list with one built the
// obvious way: every name and alias, sorted, each with its agent.
func checkCandidates(t *testing.T, c *Catalog) {
	t.Helper()
	want := map[string]string{}
	for _, a := range c.All() {
		want[a.Name] = a.Name
	}
	for al, a := range c.byAlias {
		want[al] = a.Name
	}
	keys := slices.Sorted(maps.Keys(want))
	if !slices.Equal(c.candidates, keys) {
		t.Fatalf("candidates = %q, want %q", c.candidates, keys)
	}
	for i, k := range keys {
		if c.target[i].Name != want[k] {
			t.Errorf("candidate %q leads to %s, want %s", k, c.target[i].Name, want[k])
		}
	}
}

func nameOf(a *Agent) string {
	if a == nil {
		return "<nil>"
	}
	return a.Name
}

func aliasNames(c *Catalog) map[string]string {
	out := make(map[string]string, len(c.byAlias))
	for al, a := range c.byAlias {
		out[al] = a.Name
	}
	return out
}

// suggestQueries derives typos from a few agent names.
func suggestQueries(c *Catalog) []string {
	qs := []string{"containers", "contaners", "pyhton", "frontend", "x", "@Ops.Contaners"}
	for i, a := range c.All() {
		if i%7 != 0 || len(a.Name) < 3 {
			continue
		}
		n := a.Name
		qs = append(qs, n[1:], n[:len(n)-1]+"z", n[:1]+n[2:1+len(n)/2])
	}
	return qs
}

func TestSnapshotRoundTripFixture(t *testing.T) {
	d := checkRoundTrip(t, snapshotFixture())

	// Spot checks that the fixture covers what it claims to.
	_, warns := mustLoad(t, snapshotFixture())
	for _, sub := range []string{"overrides", "same", "alias \"ui\"", "alias \"fe\"", "alias \"web.frontend\"", "frontmatter", "too large"} {
		if len(warningsContaining(warns, sub)) == 0 {
			t.Errorf("no warning containing %q in %v", sub, warns)
		}
	}
	e, ok := d.Get("extra")
	if !ok {
		t.Fatal("extra agent missing")
	}
	want := map[string]any{
		"version": 2, "ratio": 1.5, "inf": math.Inf(1), "enabled": true, "off": false, "nothing": nil,
		"created":     time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		"at":          time.Date(2001, 12, 14, 21, 59, 43, 100000000, time.FixedZone("", -5*3600)),
		"quoted_date": "2024-01-02", "big": uint64(math.MaxUint64), "neg": int64(math.MinInt64),
		"list":       []any{1, "two", 3.0, nil, []any{"nested"}},
		"nested":     map[string]any{"a": 1, "b": []any{"x", "y"}, "c": map[string]any{"d": "e"}},
		"weird":      map[any]any{1: "one", true: "yes", 2.5: "f", nil: "n"},
		"bin":        "hello",
		"empty_list": []any{},
		"empty_map":  map[string]any{},
	}
	if math.MaxInt == math.MaxInt64 {
		minInt64 := int64(math.MinInt64) // a variable, so that 32-bit builds compile
		want["neg"] = int(minInt64)      // yaml.v3 gives int where it fits
	}
	if diff := cmp.Diff(want, e.Extra, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("decoded Extra (-want +got):\n%s", diff)
	}
	if l, _ := d.Get("loose"); l == nil || !l.Lenient {
		t.Errorf("lenient agent not kept lenient: %+v", l)
	}
	if a, _ := d.Get("ctr"); a == nil || a.Source != "user" {
		t.Errorf("alias ctr: %+v", a)
	}
	if got := d.CountBySource(); len(got) != 4 || got[3] != (SourceCount{Label: "env", Root: "nofs"}) {
		t.Errorf("CountBySource() = %+v", got)
	}
}

func TestSnapshotRoundTripBuiltin(t *testing.T) {
	checkRoundTrip(t, builtinSources())
	dir := filepath.Join("..", "..", "agents")
	checkRoundTrip(t, []Source{{Label: "builtin", Root: "builtin", FS: os.DirFS(dir)}})
}

func TestSnapshotRoundTripCorpus(t *testing.T) {
	sources := append(builtinSources(), corpusSources(t)...)
	checkRoundTrip(t, sources)
}

// A snapshot that would make the lookups misbehave is refused.
func TestSnapshotCatalogRefusesDamage(t *testing.T) {
	for name, tc := range map[string]struct {
		damage func(*Snapshot)
		want   string
	}{
		"nil agent":     {func(s *Snapshot) { s.Agents[1] = nil }, "agent 1 has no name"},
		"unnamed agent": {func(s *Snapshot) { s.Agents[0] = &Agent{} }, "agent 0 has no name"},
		"duplicate":     {func(s *Snapshot) { s.Agents[1] = s.Agents[0] }, "appears twice"},
		"source index":  {func(s *Snapshot) { s.SourceOf[2] = 9 }, "source 9, there are 4"},
		"negative":      {func(s *Snapshot) { s.SourceOf[0] = -1 }, "source -1"},
		"short index":   {func(s *Snapshot) { s.SourceOf = s.SourceOf[1:] }, "source indexes"},
		"body lengths":  {func(s *Snapshot) { s.BodyLen = nil }, "body lengths"},
		"negative body": {func(s *Snapshot) { s.BodyLen[0] = -1 }, "negative body length"},
		"a text":        {func(s *Snapshot) { s.Agents[0].Raw = "x" }, "a text"},
		"a body":        {func(s *Snapshot) { s.Agents[0].Body = "x" }, "a text"},
		"fewer sources": {func(s *Snapshot) { s.Sources = s.Sources[1:] }, "3 sources, given 4"},
		"other source":  {func(s *Snapshot) { s.Sources[1].Root = "/elsewhere" }, `source 1 is user "/elsewhere"`},
	} {
		t.Run(name, func(t *testing.T) {
			c, warns := mustLoad(t, snapshotFixture())
			s, _ := c.Snapshot(warns)
			s = gobRoundTrip(t, s)
			tc.damage(&s)
			if _, _, err := s.Catalog(snapshotFixture(), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
