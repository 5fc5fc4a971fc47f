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

// Snapshot returns c and its load warnings as a Snapshot. It shares the
// agents with c.
func (c *Catalog) Snapshot(warnings []Warning) Snapshot {
	s := Snapshot{Agents: c.agents, SourceOf: make([]int, len(c.agents)), Warnings: warnings}
	for _, src := range c.sources {
		s.Sources = append(s.Sources, SnapshotSource{Label: src.Label, Root: src.Root})
	}
	for i, a := range c.agents {
		s.SourceOf[i] = c.srcOf[a]
	}
	return s
}

// Catalog rebuilds the catalog and warnings the snapshot was taken of. It
// checks what the lookups rely on (named, distinct agents from existing
// sources), so that a damaged snapshot is an error rather than a catalog
// that misbehaves.
func (s *Snapshot) Catalog() (*Catalog, []Warning, error) {
	if len(s.SourceOf) != len(s.Agents) {
		return nil, nil, fmt.Errorf("agent snapshot: %d agents but %d source indexes", len(s.Agents), len(s.SourceOf))
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
		default:
			c.byName[a.Name] = a
			c.srcOf[a] = src
		}
	}
	// The alias conflicts are among the stored warnings already.
	c.index()
	return c, s.Warnings, nil
}
