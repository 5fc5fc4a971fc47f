package agent

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// fromMapping builds an Agent from the frontmatter's top-level mapping,
// whether it came from strict YAML or from the lenient line reader. A key
// given twice keeps its last value.
func fromMapping(root *yaml.Node) (*Agent, error) {
	a := &Agent{}
	var rawName, rawDesc *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolve(root.Content[i]), resolve(root.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			continue // complex keys cannot name a field this program knows
		}
		var err error
		switch key := k.Value; key {
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
			var val any
			if derr := v.Decode(&val); derr != nil {
				val = v.Value
			}
			if a.Extra == nil {
				a.Extra = make(map[string]any)
			}
			a.Extra[key] = val
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

// scalarField reads a single-valued field. Numbers and booleans are taken
// as their literal text (name: 404 is the name "404"); null is empty.
func scalarField(key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%w: field %q must be a single value, got %s", ErrFieldType, key, kindName(v.Kind))
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return strings.TrimSpace(v.Value), nil
}

// listField reads a list-valued field given either as a YAML sequence or as
// one string. split selects the comma-separated string form used for
// names (tools, tags, aliases); prose fields (capabilities, examples) keep
// a lone string whole, since their entries contain commas. Entries that are
// not scalars are rendered back to YAML text so that nothing is lost.
func listField(key string, v *yaml.Node, split bool) ([]string, error) {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		if split {
			for part := range strings.SplitSeq(v.Value, ",") {
				add(part)
			}
		} else {
			add(v.Value)
		}
	case yaml.SequenceNode:
		for _, e := range v.Content {
			e = resolve(e)
			if e.Kind == yaml.ScalarNode {
				if e.Tag != "!!null" {
					add(e.Value)
				}
				continue
			}
			add(renderYAML(e))
		}
	case yaml.MappingNode:
		if split {
			return nil, fmt.Errorf("%w: field %q must be a list or a comma-separated string, got a mapping", ErrFieldType, key)
		}
		add(renderYAML(v))
	}
	if split {
		out = dedupe(out)
	}
	return out, nil
}

// renderYAML turns a non-scalar node back into YAML text, keeping the
// author's key order.
func renderYAML(n *yaml.Node) string {
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
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
