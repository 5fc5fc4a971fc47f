package agent

import (
	"encoding/gob"
	"fmt"
	"time"
)

// Snapshot is a catalog and the warnings Load returned with it as plain
// data, for the start-up cache to store with encoding/gob. The sources
// lose their FS.
type Snapshot struct {
	Sources []SnapshotSource
	// Agents are sorted by name; SourceOf[i] indexes Sources for Agents[i].
	Agents   []*Agent
	SourceOf []int
	// BodyLen[i] > 0 says that Agents[i].Body was left out because it is
	// the last BodyLen[i] bytes of its Raw, as it usually is: that halves
	// what a start reads and decodes.
	BodyLen  []int
	Warnings []Warning
}

// SnapshotSource is a Source without its FS.
type SnapshotSource struct{ Label, Root string }

// Extra holds what yaml.v3 decodes into an any; gob must know the
// concrete types it may meet behind the interface (the scalar ones it
// knows already).
func init() {
	gob.Register(map[string]any{})
	gob.Register(map[any]any{})
	gob.Register([]any{})
	gob.Register(time.Time{})
}

// Snapshot returns c and its load warnings as a Snapshot.
func (c *Catalog) Snapshot(warnings []Warning) Snapshot {
	n := len(c.agents)
	s := Snapshot{Agents: make([]*Agent, n), SourceOf: make([]int, n), BodyLen: make([]int, n), Warnings: warnings}
	for _, src := range c.sources {
		s.Sources = append(s.Sources, SnapshotSource{Label: src.Label, Root: src.Root})
	}
	for i, a := range c.agents {
		s.SourceOf[i] = c.srcOf[a]
		s.Agents[i] = a
		if a.Body != "" && len(a.Body) <= len(a.Raw) && a.Raw[len(a.Raw)-len(a.Body):] == a.Body {
			cp := *a // the catalog's agents are shared and read-only
			cp.Body = ""
			s.Agents[i], s.BodyLen[i] = &cp, len(a.Body)
		}
	}
	return s
}

// Catalog rebuilds the catalog and warnings the snapshot was taken of. It
// checks what the lookups rely on (named, distinct agents from existing
// sources), so that a damaged snapshot is an error rather than a catalog
// that misbehaves.
func (s *Snapshot) Catalog() (*Catalog, []Warning, error) {
	if len(s.SourceOf) != len(s.Agents) || len(s.BodyLen) != len(s.Agents) {
		return nil, nil, fmt.Errorf("agent snapshot: %d agents but %d source indexes and %d body lengths",
			len(s.Agents), len(s.SourceOf), len(s.BodyLen))
	}
	c := &Catalog{
		sources: make([]Source, len(s.Sources)),
		agents:  s.Agents,
		byName:  make(map[string]*Agent, len(s.Agents)),
		byAlias: make(map[string]*Agent),
		srcOf:   make(map[*Agent]int, len(s.Agents)),
	}
	for i, src := range s.Sources {
		c.sources[i] = Source{Label: src.Label, Root: src.Root}
	}
	for i, a := range s.Agents {
		switch src := s.SourceOf[i]; {
		case a == nil || a.Name == "":
			return nil, nil, fmt.Errorf("agent snapshot: agent %d has no name", i)
		case c.byName[a.Name] != nil:
			return nil, nil, fmt.Errorf("agent snapshot: agent %q appears twice", a.Name)
		case src < 0 || src >= len(c.sources):
			return nil, nil, fmt.Errorf("agent snapshot: agent %q: source %d, there are %d", a.Name, src, len(c.sources))
		case s.BodyLen[i] < 0 || s.BodyLen[i] > len(a.Raw) || s.BodyLen[i] > 0 && a.Body != "":
			return nil, nil, fmt.Errorf("agent snapshot: agent %q: body length %d for %d bytes", a.Name, s.BodyLen[i], len(a.Raw))
		default:
			if n := s.BodyLen[i]; n > 0 {
				a.Body = a.Raw[len(a.Raw)-n:]
			}
			c.byName[a.Name] = a
			c.srcOf[a] = src
		}
	}
	// The alias conflicts are among the stored warnings already.
	c.index()
	return c, s.Warnings, nil
}
