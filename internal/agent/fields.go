package agent

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// node is the part of a frontmatter value that fromMapping reads. fastRoot
// builds nodes directly, which is much smaller than building yaml.Nodes;
// yaml.v3 and lenient mappings are converted by entriesOf, which keeps
// each yaml.Node for what fromMapping only renders or decodes.
type node struct {
	kind  yaml.Kind
	tag   string
	value string
	items []node     // a sequence's entries, aliases resolved
	y     *yaml.Node // nil from fastRoot, which builds only scalars and lists of scalars
}

// entry is one key of the frontmatter's top-level mapping and its value.
type entry struct {
	key    string
	scalar bool // complex keys cannot name a field this program knows
	val    node
}

// entriesOf converts a top-level mapping from yaml.v3 or parseLenient.
func entriesOf(root *yaml.Node) []entry {
	out := make([]entry, 0, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolve(root.Content[i]), resolve(root.Content[i+1])
		e := entry{key: k.Value, scalar: k.Kind == yaml.ScalarNode, val: nodeOf(v)}
		if v.Kind == yaml.SequenceNode {
			e.val.items = make([]node, len(v.Content))
			for j, c := range v.Content {
				e.val.items[j] = nodeOf(resolve(c))
			}
		}
		out = append(out, e)
	}
	return out
}

func nodeOf(n *yaml.Node) node {
	return node{kind: n.Kind, tag: n.Tag, value: n.Value, y: n}
}

// fromMapping builds an Agent from the frontmatter's top-level mapping,
// whether it came from the fast path, strict YAML or the lenient line
// reader. A key given twice keeps its last value.
func fromMapping(entries []entry) (*Agent, error) {
	a := &Agent{}
	var rawName, rawDesc *node
	for i := range entries {
		e := &entries[i]
		if !e.scalar {
			continue
		}
		v := &e.val
		var err error
		switch key := e.key; key {
		case "name":
			rawName = v
		case "description":
			rawDesc = v
		case "model":
			a.Model, err = scalarField(key, v)
		case "color":
			a.Color, err = scalarField(key, v)
		case "maturity":
			a.Maturity, err = scalarField(key, v)
		case "tools":
			a.Tools, err = listField(key, v, true)
		case "tags":
			a.Tags, err = listField(key, v, true)
		case "aliases":
			a.Aliases, err = listField(key, v, true)
		case "capabilities":
			a.Capabilities, err = listField(key, v, false)
		case "examples":
			a.Examples, err = listField(key, v, false)
		default:
			if a.Extra == nil {
				a.Extra = make(map[string]any)
			}
			a.Extra[key] = extraValue(v)
		}
		if err != nil {
			return nil, err
		}
	}

	if rawName == nil {
		return nil, fmt.Errorf("%w %q", ErrMissingField, "name")
	}
	name, err := scalarField("name", rawName)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%w %q: it is empty", ErrMissingField, "name")
	}
	if a.Name, err = Normalize(name); err != nil {
		return nil, fmt.Errorf("field %q: %w", "name", err)
	}

	if rawDesc == nil {
		return nil, fmt.Errorf("%w %q", ErrMissingField, "description")
	}
	desc, err := scalarField("description", rawDesc)
	if err != nil {
		return nil, err
	}
	if a.Description = strings.TrimSpace(desc); a.Description == "" {
		return nil, fmt.Errorf("%w %q: it is empty", ErrMissingField, "description")
	}

	for i, al := range a.Aliases {
		n, err := Normalize(al)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", "aliases", err)
		}
		a.Aliases[i] = n
	}
	a.Aliases = dedupe(a.Aliases)
	return a, nil
}

// extraValue is v decoded into an any, the value kept in Agent.Extra. The
// shapes almost every file uses (strings, nulls and lists of them) are
// converted directly, since Node.Decode sets up a reflection-based decoder
// per call; they give exactly what Decode gives (TestExtraValueMatchesDecode).
// A value Decode refuses is kept as its text.
func extraValue(v *node) any {
	if val, ok := simpleValue(v); ok {
		return val
	}
	if v.kind == yaml.SequenceNode && v.tag == "!!seq" {
		out := make([]any, len(v.items))
		ok := true
		for i := range v.items {
			if out[i], ok = simpleValue(&v.items[i]); !ok {
				break
			}
		}
		if ok {
			return out
		}
	}
	if v.y == nil {
		return v.value // unreachable: fastRoot builds only the shapes above
	}
	var val any
	if err := v.y.Decode(&val); err != nil {
		val = v.value
	}
	return val
}

// simpleValue converts a string scalar or a null one written the usual
// way (an explicit "!!null x" tag makes Decode fail instead).
func simpleValue(v *node) (any, bool) {
	if v.kind != yaml.ScalarNode {
		return nil, false
	}
	switch v.tag {
	case "!!str":
		return v.value, true
	case "!!null":
		switch v.value {
		case "", "~", "null", "Null", "NULL":
			return nil, true
		}
	}
	return nil, false
}

// scalarField reads a single-valued field. Numbers and booleans are taken
// as their literal text (name: 404 is the name "404"); null is empty.
func scalarField(key string, v *node) (string, error) {
	switch v.kind {
	case yaml.ScalarNode:
		if v.tag == "!!null" {
			return "", nil
		}
		return strings.TrimSpace(v.value), nil
	default:
		return "", fmt.Errorf("%w: field %q must be a single value, got %s", ErrFieldType, key, kindName(v.kind))
	}
}

// listField reads a list-valued field given either as a YAML sequence or as
// one string. split selects the comma-separated string form used for
// names (tools, tags, aliases); prose fields (capabilities, examples) keep
// a lone string whole, since their entries contain commas. Entries that are
// not scalars are rendered back to YAML text so that nothing is lost.
func listField(key string, v *node, split bool) ([]string, error) {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			if out == nil && v.kind == yaml.SequenceNode {
				out = make([]string, 0, len(v.items))
			}
			out = append(out, s)
		}
	}
	switch v.kind {
	case yaml.ScalarNode:
		if v.tag == "!!null" {
			return nil, nil
		}
		if split {
			for part := range strings.SplitSeq(v.value, ",") {
				add(part)
			}
		} else {
			add(v.value)
		}
	case yaml.SequenceNode:
		for i := range v.items {
			e := &v.items[i]
			if e.kind == yaml.ScalarNode {
				if e.tag != "!!null" {
					add(e.value)
				}
				continue
			}
			add(renderYAML(e.y))
		}
	case yaml.MappingNode:
		if split {
			return nil, fmt.Errorf("%w: field %q must be a list or a comma-separated string, got a mapping", ErrFieldType, key)
		}
		add(renderYAML(v.y))
	}
	if split {
		out = dedupe(out)
	}
	return out, nil
}

// renderYAML turns a non-scalar node back into YAML text, keeping the
// author's key order.
func renderYAML(n *yaml.Node) string {
	if n == nil {
		return "" // unreachable: only yaml.v3 and lenient nodes are not scalars
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return n.Value
	}
	return strings.TrimSpace(string(b))
}

// resolve follows YAML aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return "a scalar"
	default:
		return "an empty value"
	}
}

// dedupe drops repeated entries, keeping the first occurrence's position.
func dedupe(in []string) []string {
	if len(in) < 2 {
		return in
	}
	if len(in) <= 16 {
		// Short lists, nearly all of them, are cheaper to scan than to hash.
		out := in[:1]
		for _, s := range in[1:] {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	seen := make(map[string]struct{}, len(in))
	out := in[:0]
	for _, s := range in {
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	return out
}
