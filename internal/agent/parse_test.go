package agent

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Agent
	}{
		{
			name: "dotted name, model and quoted color",
			in:   "---\nname: web.frontend\ndescription: Builds user interfaces with care.\nmodel: sonnet\ncolor: \"green\"\n---\n\n# web.frontend\n\nYou build UIs.\n",
			want: &Agent{
				Name: "web.frontend", Description: "Builds user interfaces with care.",
				Model: "sonnet", Color: "green", Body: "# web.frontend\n\nYou build UIs.\n",
			},
		},
		{
			name: "examples as multi-line quoted strings, maturity",
			in:   "---\nname: Queue-Specialist\ndescription: Message queue expert.\nexamples:\n- '<example>\nContext: a user asks\n  user: \"Why is it slow?\"\n  assistant: \"I''ll look.\"\n</example>'\n- plain example\ncolor: purple\nmaturity: stable\n---\nBody text\n",
			want: &Agent{
				Name: "queue-specialist", Description: "Message queue expert.", Color: "purple", Maturity: "stable",
				Examples: []string{
					"<example> Context: a user asks user: \"Why is it slow?\" assistant: \"I'll look.\" </example>",
					"plain example",
				},
				Body: "Body text\n",
			},
		},
		{
			name: "tools as comma-separated string",
			in:   "---\nname: reviewer\ndescription: Reviews code.\ntools: Read, Grep,Glob , Read\n---\n",
			want: &Agent{Name: "reviewer", Description: "Reviews code.", Tools: []string{"Read", "Grep", "Glob"}},
		},
		{
			name: "tools as YAML list, aliases as string",
			in:   "---\nname: reviewer\ndescription: Reviews code.\ntools:\n  - Read\n  - Bash\naliases: Rev, @CodeReview\n---\n",
			want: &Agent{
				Name: "reviewer", Description: "Reviews code.", Tools: []string{"Read", "Bash"},
				Aliases: []string{"rev", "codereview"},
			},
		},
		{
			name: "block scalar description, tags, capabilities, non-string examples, extra keys",
			in:   "---\nname: backend.go\ndescription: >-\n  Go services\n  and tooling\ntype: backend\ntags: [go, grpc]\ncapabilities:\n  - \"concurrency (goroutines, channels)\"\nexamples:\n  - 42\n  - context: slow build\n    user: help\naliases:\n  - golang\n---\nbody\n",
			want: &Agent{
				Name: "backend.go", Description: "Go services and tooling",
				Tags:         []string{"go", "grpc"},
				Capabilities: []string{"concurrency (goroutines, channels)"},
				Examples:     []string{"42", "context: slow build\nuser: help"},
				Aliases:      []string{"golang"},
				Extra:        map[string]any{"type": "backend"},
				Body:         "body\n",
			},
		},
		{
			name: "lenient: unquoted description containing colon-space",
			in:   "---\nname: privacy\ndescription: Use for privacy work. Triggers on: 'GDPR', 'consent'.\ntools: Read, Grep\nmodel: 'haiku'\n---\nBody\n",
			want: &Agent{
				Name: "privacy", Description: "Use for privacy work. Triggers on: 'GDPR', 'consent'.",
				Tools: []string{"Read", "Grep"}, Model: "haiku", Lenient: true, Body: "Body\n",
			},
		},
		{
			name: "lenient: lists, folded block and continuation lines",
			in:   "---\nname: Multi\ndescription: >\n  first: line\n  second line\ntags:\n- a\n  - \"b\"\ncapabilities: one: two\n  continued\nnote: x: y\n---\n",
			want: &Agent{
				Name: "multi", Description: "first: line second line", Tags: []string{"a", "b"},
				Capabilities: []string{"one: two continued"}, Extra: map[string]any{"note": "x: y"}, Lenient: true,
			},
		},
		{
			name: "lenient: quoted list item spanning lines, quote closed mid-line",
			in:   "---\nname: q\ndescription: \"Quoted\" then: more\nexamples:\n- '<example>\nContext: not a key\n  user: it''s fine\n</example>'\n- second\nmodel: opus\n---\n",
			want: &Agent{
				Name: "q", Description: "\"Quoted\" then: more", Model: "opus", Lenient: true,
				Examples: []string{"<example> Context: not a key user: it's fine </example>", "second"},
			},
		},
		{
			name: "byte order mark, CRLF and leading blank lines",
			in:   "\xef\xbb\xbf\r\n---\r\nname: crlf\r\ndescription: Windows file\r\n---\r\n\r\nBody\r\n",
			want: &Agent{Name: "crlf", Description: "Windows file", Body: "Body\r\n"},
		},
		{
			name: "numeric name",
			in:   "---\nname: 404\ndescription: Not found.\n---\n",
			want: &Agent{Name: "404", Description: "Not found."},
		},
		{
			name: "horizontal rule in body is body",
			in:   "---\nname: hr\ndescription: d\n---\nabove\n---\nbelow\n",
			want: &Agent{Name: "hr", Description: "d", Body: "above\n---\nbelow\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Agent{})); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		is      error
		wantMsg string
	}{
		{"empty file", "", ErrNoFrontmatter, "must begin with"},
		{"no frontmatter", "# Title\n\nname: x\n", ErrNoFrontmatter, "must begin with"},
		{"unclosed frontmatter", "---\nname: x\ndescription: y\n", ErrNoFrontmatter, "never closed"},
		{"missing name", "---\ndescription: y\n---\n", ErrMissingField, `missing required field "name"`},
		{"empty name", "---\nname: \"\"\ndescription: y\n---\n", ErrMissingField, `"name"`},
		{"missing description", "---\nname: x\n---\nbody\n", ErrMissingField, `missing required field "description"`},
		{"blank description", "---\nname: x\ndescription: '   '\n---\n", ErrMissingField, `"description"`},
		{"description is a list", "---\nname: x\ndescription:\n  - a\n---\n", ErrFieldType, `field "description" must be a single value`},
		{"tools is a mapping", "---\nname: x\ndescription: y\ntools:\n  a: b\n---\n", ErrFieldType, `field "tools"`},
		{"invalid YAML lenient cannot rescue", "---\n{{{ not: [yaml\n---\n", ErrInvalidYAML, `missing required field "name"`},
		{"invalid YAML, lenient finds bad name", "---\nname: [broken\ndescription: a: b\n---\n", ErrInvalidYAML, `field "name"`},
		{"name given twice", "---\nname: dup.first\nname: dup.second\ndescription: y\n---\n", ErrInvalidYAML, `the key "name" is given twice; keep one`},
		{"nested key given twice", "---\nname: x\ndescription: y\nmeta:\n  x: 1\n  x: 2\n---\n", ErrInvalidYAML, `the key "meta.x" is given twice`},
		{"key given twice in a list item", "---\nname: x\ndescription: y\nexamples:\n  - {q: 1, q: 2}\n---\n", ErrInvalidYAML, `the key "examples[0].q" is given twice`},
		{"key given twice, lenient", "---\nname: x\ndescription: a: b\ntools: Read\ntools: Write\n---\n", ErrInvalidYAML, `the key "tools" is given twice`},
		{"name with slash", "---\nname: a/b\ndescription: y\n---\n", ErrInvalidName, `invalid agent name "a/b"`},
		{"name with space", "---\nname: has space\ndescription: y\n---\n", ErrInvalidName, NamePattern},
		{"alias invalid", "---\nname: x\ndescription: y\naliases: [ok, not ok]\n---\n", ErrInvalidName, `field "aliases"`},
		{"non-UTF-8", "---\nname: x\ndescription: caf\xe9\n---\n", ErrNotUTF8, "UTF-8"},
		{"over 1 MiB", "---\nname: big\ndescription: y\n---\n" + strings.Repeat("x", MaxFileSize), ErrTooLarge, "limit is 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error", a)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestParseLongLinesAndEOFDelimiter(t *testing.T) {
	long := strings.Repeat("word ", 3000) // longer than the frontmatter package's 4 KiB read buffer
	tests := []struct {
		name, in, desc, body string
	}{
		{"long description and body lines", "---\nname: long\ndescription: " + long + "\n---\n" + long + "\nend\n", strings.TrimSpace(long), long + "\nend\n"},
		{"closing delimiter at EOF", "---\nname: eof\ndescription: d\n---", "d", ""},
		{"delimiter with trailing spaces", "---  \nname: sp\ndescription: d\n--- \nbody", "d", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if a.Description != tt.desc || a.Body != tt.body {
				t.Errorf("description %d bytes, body %q; want %d bytes, %.40q", len(a.Description), a.Body, len(tt.desc), tt.body)
			}
		})
	}
}

func TestParseExactlyMaxSize(t *testing.T) {
	head := "---\nname: edge\ndescription: y\n---\n"
	in := head + strings.Repeat("x", MaxFileSize-len(head))
	if _, err := Parse([]byte(in)); err != nil {
		t.Fatalf("a file of exactly MaxFileSize bytes must parse: %v", err)
	}
}

func TestWarningString(t *testing.T) {
	w := Warning{Path: "dir/x.md", Reason: `missing required field "name"`}
	if got, want := w.String(), `dir/x.md: missing required field "name"`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestParseCopiesInput checks that Parse's agent does not share memory with
// the caller's slice, which the caller may reuse.
func TestParseCopiesInput(t *testing.T) {
	data := []byte("---\nname: copy\ndescription: kept\ntags: [a]\n---\nbody\n")
	a, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	if a.Name != "copy" || a.Description != "kept" || a.Tags[0] != "a" || a.Body != "body\n" {
		t.Errorf("agent changed with its input: %+v", a)
	}
}
