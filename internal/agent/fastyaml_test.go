package agent

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fastFixtures are frontmatters around the edges of what fastRoot handles;
// fast says which path each must take, so coverage changes are deliberate.
var fastFixtures = []struct {
	name string
	fm   string
	fast bool
}{
	{"plain scalars", "name: a\ndescription: Builds things, with care (and tests).\nmodel: sonnet\n", true},
	{"quoted scalars", "name: 'it''s'\ndescription: \"say 'hi' now\"\ncolor: ''\nmodel: \"\"\n", true},
	{"null forms", "name: x\ndescription: d\nmodel:\ncolor: ~\nmaturity: null\nnote: NULL\nother: Null\n", true},
	{"words that resolve as strings", "name: no-op\ndescription: yes sir\nmodel: opus\ncolor: o\nfoo: nope\nbar: <x>\n", true},
	{"colon and hash inside plain text", "name: x\ndescription: see http://a.b/c#frag, a:b and C#\n", true},
	{"flow lists", "name: x\ndescription: d\ntags: [go, 'grpc', \"net/http\" , multi word]\ntools: []\naliases: [ ]\n", true},
	{"block lists, indented and not", "name: x\ndescription: d\ntools:\n  - Read\n  -   'Bash'\n\n  - \"Grep\"\ntags:\n- a\n- ~\nexamples:\n", true},
	{"literal block", "name: x\ndescription: |\n  line one\n\n    indented more\n  last\nnote: |-\n\n  after a blank\n", true},
	{"folded block", "name: x\ndescription: >\n  one\n  two\n\n\n  three\nnote: >-\n  a\n  b\n", true},
	{"comments and blank lines", "# top\n\nname: x\n   \ndescription: d\n# between\ntags:\n# before items\n", true},
	{"block scalar ending the input without a newline", "name: x\ndescription: |\n  a\n  b", true},
	{"CRLF", "name: x\r\ndescription: >-\r\n  a\r\n  b\r\ntags:\r\n  - t\r\n", true},
	{"unicode text", "name: x\ndescription: café — naïve 日本語 🚀\n", true},
	{"duplicate keys", "name: a\ndescription: d\nname: b\n", true},
	{"key charset", "name: x\ndescription: d\nx-y.z_1: v\n404: not found\n", true},

	{"empty", "", false},
	{"only comments", "# nothing\n", false},
	{"trailing comment", "name: x # c\ndescription: d\n", false},
	{"colon-space in plain value", "name: x\ndescription: Triggers on: a\n", false},
	{"value ending in colon", "name: x\ndescription: Examples:\n", false},
	{"multi-line plain", "name: x\ndescription: one\n  two\n", false},
	{"multi-line plain after blank", "name: x\ndescription: one\n\n  two\n", false},
	{"multi-line single quote", "name: x\ndescription: 'one\n  two'\n", false},
	{"multi-line double quote", "name: x\ndescription: \"one\n  two\"\n", false},
	{"escapes", "name: x\ndescription: \"tab\\there\"\n", false},
	{"text after closing quote", "name: x\ndescription: \"a\" b\n", false},
	{"unbalanced single quote", "name: x\ndescription: 'a' b'\n", false},
	{"integer", "name: 404\ndescription: d\n", false},
	{"float", "name: x\ndescription: .5\n", false},
	{"boolean", "name: x\ndescription: d\nproactive: true\n", false},
	{"timestamp", "name: x\ndescription: 2024-01-02\n", false},
	{"merge key value", "name: x\ndescription: <<\n", false},
	{"anchor and alias", "name: &n x\ndescription: *n\n", false},
	{"tag", "name: !!str x\ndescription: d\n", false},
	{"nested mapping", "name: x\ndescription: d\nmeta:\n  a: b\n", false},
	{"list of mappings", "name: x\ndescription: d\nexamples:\n  - user: hi\n", false},
	{"bare dash item", "name: x\ndescription: d\ntags:\n  -\n  - a\n", false},
	{"item continuation", "name: x\ndescription: d\ntags:\n  - a\n    b\n", false},
	{"uneven item indent", "name: x\ndescription: d\ntags:\n  - a\n   - b\n", false},
	{"less indented item", "name: x\ndescription: d\ntags:\n  - a\n- b\n", false},
	{"comment between items", "name: x\ndescription: d\ntags:\n  - a\n# c\n  - b\n", false},
	{"indented comment", "name: x\n  # c\ndescription: d\n", false},
	{"multi-line flow list", "name: x\ndescription: d\ntags: [a,\n  b]\n", false},
	{"flow list trailing comma", "name: x\ndescription: d\ntags: [a, b,]\n", false},
	{"flow list empty entry", "name: x\ndescription: d\ntags: [a,, b]\n", false},
	{"flow list nested", "name: x\ndescription: d\ntags: [a, [b]]\n", false},
	{"flow list pair", "name: x\ndescription: d\ntags: [a: b]\n", false},
	{"flow list quoted comma", "name: x\ndescription: d\ntags: [\"a, b\"]\n", false},
	{"flow mapping", "name: x\ndescription: d\nmeta: {a: b}\n", false},
	{"keep chomping", "name: x\ndescription: |+\n  a\n\n", false},
	{"indentation indicator", "name: x\ndescription: |2\n   a\n", false},
	{"block header comment", "name: x\ndescription: > # c\n  a\n", false},
	{"empty block scalar", "name: x\ndescription: |\nmodel: m\n", false},
	{"whitespace-only line in block", "name: x\ndescription: |\n  a\n   \n  b\n", false},
	{"more indented folded line", "name: x\ndescription: >\n  a\n    b\n  c\n", false},
	{"comment after block", "name: x\ndescription: |\n  a\n# c\n", false},
	{"block dedent to middle", "name: x\ndescription: |\n    a\n  b\n", false},
	{"tab", "name: x\ndescription:\td\n", false},
	{"lone CR", "name: x\rdescription: d\n", false},
	{"NEL", "name: x\ndescription: a\u0085b\n", false},
	{"line separator", "name: x\ndescription: a\u2028b\n", false},
	{"BOM inside", "name: x\ndescription: \ufeffd\n", false},
	{"document end marker", "name: x\n...\ndescription: d\n", false},
	{"directive", "%YAML 1.2\nname: x\ndescription: d\n", false},
	{"key with space", "name: x\ndescription: d\nallowed tools: Read\n", false},
	{"quoted key", "\"name\": x\ndescription: d\n", false},
	{"complex key", "? name\n: x\ndescription: d\n", false},
	{"key without space", "name:x\ndescription: d\n", false},
	{"indented mapping", "  name: x\n  description: d\n", false},
	{"top-level list", "- a\n- b\n", false},
	{"dash value", "name: x\ndescription: - d\n", false},
	{"indicator starts", "name: x\ndescription: d\na: @x\nb: `x`\nc: %x\n", false},
}

func TestFastRootFixtures(t *testing.T) {
	for _, tt := range fastFixtures {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkFastRoot(t, tt.name, []byte(tt.fm)); got != tt.fast {
				t.Errorf("fast path taken = %v, want %v", got, tt.fast)
			}
			checkParseMatchesReference(t, tt.name, []byte("---\n"+tt.fm+"---\nbody\n"))
		})
	}
}

// TestFastRootRandomDocs assembles many frontmatters from lines that mix
// accepted shapes with their near misses, and checks every one the fast
// path accepts against yaml.v3.
func TestFastRootRandomDocs(t *testing.T) {
	keys := []string{"name: ", "description: ", "tags: ", "tools: ", "examples: ", "note: ", "x: "}
	// Each line is drawn from the accepted shapes or, one time in five,
	// from their near misses.
	values := [2][]string{{
		"", "a", "a b", "~", "null", "no", "yes", "a:b", "a#b", "'a'", "'a''b'", "''", "\"a\"", "\"\"",
		"|", "|-", ">", ">-", "[a, b]", "[]", "['a', \"b\"]", "[a b, c]", "<ex>", "a  b  ", "é",
	}, {
		"true", "0", "-1", "a: b", "a #b", "x:", "'a' b", "\"a\\\"b\"", "\"a", "'a", "|+", "|1", "[a,", "[a: b]",
		"{a: b}", "&x a", "*x", "!t a", "<<", "- a", "2024-01-01", ".5", "a\tb",
	}}
	conts := [2][]string{{
		"", "", "# c", "  - a", "- a", "  - 'b'", "  text", "    text", "  line two",
	}, {
		" ", "   ", "  # c", "    - c", "  -", "text", "  a: b", "\t- a", "  - [a]", "  - a: b", "   more indented",
		"...", "---x", "b'", "  b\"",
	}}
	pick := func(r *rand.Rand, lists [2][]string) string {
		l := lists[0]
		if r.IntN(5) == 0 {
			l = lists[1]
		}
		return l[r.IntN(len(l))]
	}
	r := rand.New(rand.NewPCG(1, 2))
	fast := 0
	const docs = 30000
	for n := range docs {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteString(keys[r.IntN(len(keys))])
			b.WriteString(pick(r, values))
			b.WriteByte('\n')
			for range r.IntN(3) {
				b.WriteString(pick(r, conts))
				b.WriteByte('\n')
			}
		}
		if checkFastRoot(t, "random doc "+strconv.Itoa(n), []byte(b.String())) {
			fast++
		}
	}
	if fast < docs/20 {
		t.Errorf("only %d of %d generated documents took the fast path; the generator no longer exercises it", fast, docs)
	}
	t.Logf("%d of %d generated documents took the fast path", fast, docs)
}

// agentFileSets are the real agent files the differential tests read: the
// reference corpus and seeds beside the repository, and the built-ins.
func agentFileSets(tb testing.TB) map[string]fs.FS {
	tb.Helper()
	sets := map[string]fs.FS{}
	for label, dir := range map[string]string{
		"corpus":  filepath.Join("..", "..", "..", "shared", "corpus"),
		"seeds":   filepath.Join("..", "..", "..", "shared", "seeds"),
		"builtin": filepath.Join("..", "..", "agents"),
	} {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			sets[label] = os.DirFS(dir)
		}
	}
	if len(sets) == 0 {
		tb.Skip("no agent files found")
	}
	return sets
}

func TestFastRootMatchesYAMLOnAgentFiles(t *testing.T) {
	for label, fsys := range agentFileSets(t) {
		paths, _ := listMarkdown(Source{FS: fsys})
		fast := 0
		for _, p := range paths {
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				t.Fatal(err)
			}
			name := label + "/" + p
			checkParseMatchesReference(t, name, data)
			if fm, ok := frontmatterOf(data); ok && checkFastRoot(t, name, fm) {
				fast++
			}
			checkExtraValues(t, name, data)
		}
		t.Logf("%s: %d of %d files take the fast path", label, fast, len(paths))
	}
}

// checkExtraValues compares extraValue with Node.Decode on every value of
// the file's strict YAML frontmatter.
func checkExtraValues(tb testing.TB, name string, data []byte) {
	tb.Helper()
	fm, ok := frontmatterOf(data)
	if !ok {
		return
	}
	root, err := strictRoot(fm)
	if err != nil {
		return
	}
	for _, e := range entriesOf(root) {
		var want any
		if err := e.val.y.Decode(&want); err != nil {
			want = e.val.value
		}
		if diff := cmp.Diff(want, extraValue(&e.val)); diff != "" {
			tb.Fatalf("%s: extraValue differs from Decode for %q (-Decode +extraValue):\n%s", name, e.key, diff)
		}
	}
}

func TestExtraValueMatchesDecode(t *testing.T) {
	docs := []string{
		"a: x\nb: ~\nc:\nd: 'q'\ne: 5\nf: true\ng: [a, ~, 'b']\nh: []\ni: [1, a]\nj:\n  k: v\nl: !!null x\nm: !!str 5\nn: &a [x]\no: *a\np: <<\nq: !!binary aGk=\nr: [!!null y]\n",
	}
	for _, d := range docs {
		checkExtraValues(t, "fixture", []byte("---\n"+d+"---\n"))
	}
	for _, tt := range fastFixtures {
		checkExtraValues(t, tt.name, []byte("---\n"+tt.fm+"---\n"))
	}
}

func FuzzFastRoot(f *testing.F) {
	for _, tt := range fastFixtures {
		f.Add([]byte(tt.fm))
	}
	f.Fuzz(func(t *testing.T, fm []byte) {
		if !utf8.Valid(fm) {
			return // Parse rejects it before any frontmatter parsing
		}
		checkFastRoot(t, "fuzz", fm)
	})
}

func TestSplitFrontmatterEdges(t *testing.T) {
	inputs := []string{
		"", "---", "---\n", "---\n---", "---\n---\n", "\n \t\n---\nname: a\n---\nb", " --- \nx\n ---  \n\nbody",
		"---\nx\n---", "x\n---\n---\n", "---\n\u00a0---\u00a0\n", "\u2028---\n---\n", "---\r\nx\r\n---\r\nbody",
		"---\nname: a\ndescription: b\n---\n\r\n\nbody\n---\nmore", "---yaml\nname: a\n---\n",
	}
	for _, in := range inputs {
		checkParseMatchesReference(t, in, []byte(in))
	}
}
