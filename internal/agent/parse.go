package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/adrg/frontmatter"
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

// yamlFormat only delimits the frontmatter: its unmarshal hook captures the
// raw bytes so that a YAML syntax error does not lose the body and the
// lenient line reader can still run.
var yamlFormat = frontmatter.NewFormat("---", "---", captureFrontmatter)

// capture receives the frontmatter from yamlFormat and stops its reader.
type capture struct {
	fm []byte
	r  *lineReader
}

func captureFrontmatter(data []byte, v any) error {
	c, ok := v.(*capture)
	if !ok {
		return fmt.Errorf("frontmatter capture: unexpected target %T", v)
	}
	c.fm = append([]byte(nil), data...)
	c.r.stop = true
	return nil
}

// lineReader feeds the frontmatter package one line per Read, so its
// buffered reader never runs ahead of the closing delimiter, and reports
// EOF once the frontmatter is captured. The package would otherwise copy
// the whole body through a growing buffer (the largest cost of loading a
// catalog); the body is instead data[off:], with no copy.
type lineReader struct {
	data []byte
	off  int
	stop bool
}

func (r *lineReader) Read(p []byte) (int, error) {
	if r.stop || r.off >= len(r.data) {
		return 0, io.EOF
	}
	rest := r.data[r.off:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i+1]
	}
	n := copy(p, rest)
	r.off += n
	return n, nil
}

// Parse reads one agent file: YAML frontmatter between "---" lines, then the
// markdown body. Required fields are name and description; the name is
// stored normalised. When the frontmatter is not valid YAML (typically an
// unquoted description containing ": "), it is read line by line the way
// Claude Code tolerates it (see parseLenient) and the agent is marked Lenient.
// Source, Path and Raw are left for the caller to fill.
func Parse(data []byte) (*Agent, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d (MaxFileSize)", ErrTooLarge, len(data), MaxFileSize)
	}
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	data = bytes.TrimPrefix(data, utf8BOM)

	lr := &lineReader{data: data}
	c := &capture{r: lr}
	if _, err := frontmatter.MustParse(lr, c, yamlFormat); err != nil {
		if errors.Is(err, frontmatter.ErrNotFound) {
			return nil, noFrontmatterError(data)
		}
		return nil, fmt.Errorf("reading frontmatter: %w", err)
	}

	root, strictErr := strictRoot(c.fm)
	lenient := false
	if strictErr != nil {
		root = parseLenient(c.fm)
		lenient = true
	}
	a, err := fromMapping(root)
	if err != nil {
		if lenient {
			return nil, fmt.Errorf("%w (%v); reading it line by line also failed: %w", ErrInvalidYAML, strictErr, err)
		}
		return nil, err
	}
	a.Lenient = lenient
	a.Body = string(bytes.TrimLeft(data[lr.off:], "\r\n"))
	return a, nil
}

// noFrontmatterError tells an absent opening line from an unclosed block,
// which the frontmatter package reports identically.
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
		return nil, fmt.Errorf("the frontmatter must be a mapping of keys to values, got %s", kindName(root))
	}
	return root, nil
}
