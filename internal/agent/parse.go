package agent

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest agent file accepted; anything bigger is almost
// certainly not an agent identity and would bloat every prompt it feeds.
const MaxFileSize = 1 << 20

// Sentinel errors wrapped by Parse so callers can classify rejections.
var (
	ErrTooLarge      = errors.New("file too large")
	ErrNotUTF8       = errors.New("file is not valid UTF-8")
	ErrNoFrontmatter = errors.New("no frontmatter")
	ErrInvalidYAML   = errors.New("invalid YAML frontmatter")
	ErrMissingField  = errors.New("missing required field")
	ErrFieldType     = errors.New("wrong field type")
)

var utf8BOM = []byte("\xef\xbb\xbf")

// splitFrontmatter delimits the frontmatter exactly as adrg/frontmatter
// v0.2.0 does with a "---"/"---" format, which this package used before and
// whose rules existing files rely on: blank lines (after trimming Unicode
// space) may precede the opening line, a final line without a newline cannot
// open the block but can close it, and the delimiters are compared after
// trimming. It returns offsets into data (the frontmatter is
// data[fmStart:fmEnd], the body data[bodyStart:]) where the package copied
// the whole file through a growing buffer.
func splitFrontmatter(data []byte) (fmStart, fmEnd, bodyStart int, ok bool) {
	off := 0
	for {
		line, next, atEOF := nextLine(data, off)
		if atEOF {
			return 0, 0, 0, false
		}
		off = next
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		if string(t) != "---" {
			return 0, 0, 0, false
		}
		break
	}
	fmStart = off
	for {
		lineStart := off
		line, next, atEOF := nextLine(data, off)
		off = next
		if string(bytes.TrimSpace(line)) == "---" {
			return fmStart, lineStart, off, true
		}
		if atEOF {
			return 0, 0, 0, false
		}
	}
}

// nextLine returns the line at off with its newline and where the next one
// starts; atEOF is set for a last line without a newline (possibly empty),
// mirroring bufio.Reader.ReadBytes returning io.EOF.
func nextLine(data []byte, off int) (line []byte, next int, atEOF bool) {
	rest := data[off:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return rest, len(data), true
	}
	return rest[:i+1], off + i + 1, false
}

// Parse reads one agent file: YAML frontmatter between "---" lines, then the
// markdown body. Required fields are name and description; the name is
// stored normalised. When the frontmatter is not valid YAML (typically an
// unquoted description containing ": "), it is read line by line the way
// Claude Code tolerates it (see parseLenient) and the agent is marked Lenient.
// Source, Path and Raw are left for the caller to fill.
func Parse(data []byte) (*Agent, error) {
	return parse(data, false)
}

// parse is Parse. With owned set, the caller guarantees that data never
// changes (loadFile keeps it only as the agent's Raw, read-only like the
// rest of a catalog), so the agent's strings are taken from it without
// copying: a catalog then holds each file once instead of twice, which at
// start-up is fewer allocations and page faults. Parse copies instead, since
// its caller may reuse the slice.
func parse(data []byte, owned bool) (*Agent, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d (MaxFileSize)", ErrTooLarge, len(data), MaxFileSize)
	}
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	data = bytes.TrimPrefix(data, utf8BOM)

	fmStart, fmEnd, bodyStart, ok := splitFrontmatter(data)
	if !ok {
		return nil, noFrontmatterError(data)
	}
	var text string // data as a string, for the fast path and the body
	if owned {
		text = unsafe.String(unsafe.SliceData(data), len(data))
	} else {
		text = string(data)
	}
	fm := data[fmStart:fmEnd]

	entries, fast := fastRoot(text[fmStart:fmEnd])
	var strictErr error
	lenient := false
	if !fast {
		var root *yaml.Node
		if root, strictErr = strictRoot(fm); strictErr != nil {
			root = parseLenient(fm)
			lenient = true
		}
		entries = entriesOf(root)
	}
	a, err := fromMapping(entries)
	if err != nil {
		if lenient {
			return nil, fmt.Errorf("%w (%v); reading it line by line also failed: %w", ErrInvalidYAML, strictErr, err)
		}
		return nil, err
	}
	a.Lenient = lenient
	a.Body = strings.TrimLeft(text[bodyStart:], "\r\n")
	return a, nil
}

// noFrontmatterError tells an absent opening line from an unclosed block,
// which splitFrontmatter does not distinguish.
func noFrontmatterError(data []byte) error {
	for line := range bytes.Lines(data) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		if string(t) == "---" {
			return fmt.Errorf("%w: the opening \"---\" line is never closed by another \"---\" line", ErrNoFrontmatter)
		}
		break
	}
	return fmt.Errorf("%w: the file must begin with a \"---\" line, then YAML, then a closing \"---\" line", ErrNoFrontmatter)
}

// strictRoot decodes the frontmatter as YAML and returns its top-level
// mapping. An empty frontmatter yields an empty mapping.
func strictRoot(fm []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(fm, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the frontmatter must be a mapping of keys to values, got %s", kindName(root.Kind))
	}
	return root, nil
}
