package agent

import (
	"bytes"
	"errors"
	"fmt"
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

	fm, body, err := delimitFrontmatter(data)
	if err != nil {
		return nil, err
	}
	root, strictErr := strictRoot(fm)
	lenient := strictErr != nil
	if lenient {
		root = parseLenient(fm)
	}
	// YAML forbids a key given twice, but a decoded node (and the line
	// reader) keeps both, and the last won: such an agent named itself by
	// its second "name:" while agents check said ok.
	if k := duplicateKey(root); k != "" {
		return nil, fmt.Errorf("%w: the key %q is given twice; keep one", ErrInvalidYAML, k)
	}
	a, err := fromMapping(root)
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

// delimitFrontmatter delimits the frontmatter with adrg/frontmatter. The
// frontmatter is kept as bytes, not unmarshalled by the library, because
// frontmatter strict YAML rejects must reach the lenient reader.
func delimitFrontmatter(data []byte) (fm, body []byte, err error) {
	format := frontmatter.NewFormat("---", "---", func(b []byte, _ any) error {
		fm = bytes.Clone(b) // b is the library's buffer, which it goes on filling
		return nil
	})
	body, err = frontmatter.MustParse(bytes.NewReader(data), nil, format)
	switch {
	case errors.Is(err, frontmatter.ErrNotFound):
		return nil, nil, noFrontmatterError(data)
	case err != nil:
		return nil, nil, fmt.Errorf("reading frontmatter: %w", err)
	}
	return fm, body, nil
}

// noFrontmatterError tells an absent opening line from an unclosed block,
// which adrg/frontmatter reports alike.
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

// duplicateKey returns the first key that a mapping in the tree under m
// holds twice, as a path ("meta.x", "examples[0].q"), or "".
func duplicateKey(m *yaml.Node) string {
	switch m.Kind {
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i].Value
			if seen[k] {
				return k
			}
			seen[k] = true
			if d := duplicateKey(m.Content[i+1]); d != "" {
				if d[0] == '[' {
					return k + d
				}
				return k + "." + d
			}
		}
	case yaml.SequenceNode:
		for i, n := range m.Content {
			if d := duplicateKey(n); d != "" {
				if d[0] == '[' {
					return fmt.Sprintf("[%d]%s", i, d)
				}
				return fmt.Sprintf("[%d].%s", i, d)
			}
		}
	}
	return ""
}
