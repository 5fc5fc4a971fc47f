package agent

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/adrg/frontmatter"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// parseReference is Parse as it was before the fast paths: adrg/frontmatter
// delimits the file and yaml.v3 always decodes the frontmatter. Parse must
// return the same agent or the same error for every input.
func parseReference(data []byte) (*Agent, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d (MaxFileSize)", ErrTooLarge, len(data), MaxFileSize)
	}
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	data = bytes.TrimPrefix(data, utf8BOM)

	var fm []byte
	format := frontmatter.NewFormat("---", "---", func(b []byte, _ any) error {
		fm = append([]byte(nil), b...)
		return nil
	})
	body, err := frontmatter.MustParse(bytes.NewReader(data), nil, format)
	if err != nil {
		if errors.Is(err, frontmatter.ErrNotFound) {
			return nil, noFrontmatterError(data)
		}
		return nil, fmt.Errorf("reading frontmatter: %w", err)
	}

	root, strictErr := strictRoot(fm)
	lenient := false
	if strictErr != nil {
		root = parseLenient(fm)
		lenient = true
	}
	a, err := refFromMapping(root)
	if err != nil {
		if lenient {
			return nil, fmt.Errorf("%w (%v); reading it line by line also failed: %w", ErrInvalidYAML, strictErr, err)
		}
		return nil, err
	}
	a.Lenient = lenient
	a.Body = string(bytes.TrimLeft(body, "\r\n"))
	return a, nil
}

// checkParseMatchesReference fails when Parse, or parse on data it owns,
// and parseReference disagree on data.
func checkParseMatchesReference(tb testing.TB, name string, data []byte) {
	tb.Helper()
	want, wantErr := parseReference(data)
	for _, owned := range []bool{false, true} {
		got, gotErr := parse(bytes.Clone(data), owned)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			tb.Fatalf("%s: parse(owned=%v) error %v, reference error %v", name, owned, gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			tb.Fatalf("%s: parse(owned=%v) differs from the reference (-reference +parse):\n%s", name, owned, diff)
		}
	}
}

// frontmatterOf returns data's frontmatter as Parse delimits it.
func frontmatterOf(data []byte) ([]byte, bool) {
	start, end, _, ok := splitFrontmatter(bytes.TrimPrefix(data, utf8BOM))
	if !ok {
		return nil, false
	}
	return bytes.TrimPrefix(data, utf8BOM)[start:end], true
}

// checkFastRoot fails when fastRoot accepts fm but yaml.v3 rejects it or
// reads it differently; it reports whether the fast path was taken.
func checkFastRoot(tb testing.TB, name string, fm []byte) bool {
	tb.Helper()
	fast, ok := fastRoot(string(fm))
	if !ok {
		return false
	}
	strict, err := strictRoot(fm)
	if err != nil {
		tb.Fatalf("%s: fast path accepted what yaml.v3 rejects (%v):\n%s", name, err, fm)
	}
	if diff := cmp.Diff(entryTree(entriesOf(strict)), entryTree(fast)); diff != "" {
		tb.Fatalf("%s: fast path entries differ (-yaml.v3 +fast):\n%s\ninput:\n%s", name, diff, fm)
	}
	wantA, wantErr := refFromMapping(strict)
	gotA, gotErr := fromMapping(fast)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		tb.Fatalf("%s: fast path error %v, yaml.v3 error %v", name, gotErr, wantErr)
	}
	if diff := cmp.Diff(wantA, gotA); diff != "" {
		tb.Fatalf("%s: fast path agent differs (-yaml.v3 +fast):\n%s", name, diff)
	}
	return true
}

// treeEntry is an entry without its yaml.Nodes, for comparison.
type treeEntry struct {
	Key    string
	Scalar bool
	Val    treeNode
}

type treeNode struct {
	Kind  yaml.Kind
	Tag   string
	Value string
	Items []treeNode
}

func entryTree(es []entry) []treeEntry {
	var out []treeEntry
	for _, e := range es {
		out = append(out, treeEntry{e.key, e.scalar, nodeTree(e.val)})
	}
	return out
}

func nodeTree(n node) treeNode {
	t := treeNode{Kind: n.kind, Tag: n.tag, Value: n.value}
	for _, it := range n.items {
		t.Items = append(t.Items, nodeTree(it))
	}
	return t
}
