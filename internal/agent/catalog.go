package agent

import (
	"cmp"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// Source is one layer of agent files. Sources are applied lowest precedence
// first.
type Source struct {
	// Label says what kind of layer this is: "builtin", "user", "project",
	// "env" or "dir".
	Label string
	// Root is shown in messages and joined to file paths, e.g. the
	// directory path or "builtin".
	Root string
	FS   fs.FS
}

// Warning reports a file that was skipped or overridden; loading goes on.
type Warning struct {
	Path   string
	Reason string
	// Conflict marks a name or alias that another file also claims: the
	// precedence rules decide which one serves, so it is not a broken file.
	Conflict bool
}

func (w Warning) String() string { return w.Path + ": " + w.Reason }

// SourceCount is the number of catalog agents a source contributed.
type SourceCount struct {
	Label, Root string
	Count       int
}

// Catalog is the merged, read-only set of agents. It is safe for concurrent
// use because nothing mutates it after Load.
type Catalog struct {
	sources []Source
	agents  []*Agent // sorted by Name
	byName  map[string]*Agent
	byAlias map[string]*Agent
	srcOf   map[*Agent]int // index into sources

	// candidates are the names and aliases Suggest matches against, sorted,
	// with target[i] the agent candidates[i] leads to.
	candidates []string
	target     []*Agent
}

// Get finds an agent by name, handle or alias, ignoring case and a leading "@".
func (c *Catalog) Get(nameOrHandle string) (*Agent, bool) {
	n, err := Normalize(nameOrHandle)
	if err != nil {
		return nil, false
	}
	if a, ok := c.byName[n]; ok {
		return a, true
	}
	a, ok := c.byAlias[n]
	return a, ok
}

// All returns every agent sorted by Name. The slice is shared: do not mutate.
func (c *Catalog) All() []*Agent { return c.agents }

// Len is the number of agents.
func (c *Catalog) Len() int { return len(c.agents) }

// CountBySource lists, in source order, how many catalog agents each source
// supplied (after overrides), for a start-up summary line.
func (c *Catalog) CountBySource() []SourceCount {
	out := make([]SourceCount, len(c.sources))
	for i, s := range c.sources {
		out[i] = SourceCount{Label: s.Label, Root: s.Root}
	}
	for _, a := range c.agents {
		out[c.srcOf[a]].Count++
	}
	return out
}

// newCatalog merges parsed files in load order (sources lowest precedence
// first, paths sorted within a source) and indexes names and aliases.
func newCatalog(sources []Source, files []*loadedFile) (*Catalog, []Warning) {
	c := &Catalog{
		sources: sources,
		byName:  make(map[string]*Agent, len(files)),
		byAlias: make(map[string]*Agent),
		srcOf:   make(map[*Agent]int, len(files)),
	}
	var warns []Warning
	for _, f := range files {
		if f.err != nil {
			warns = append(warns, Warning{Path: f.path, Reason: f.err.Error()})
			continue
		}
		a := f.agent
		if prev, ok := c.byName[a.Name]; ok {
			if c.srcOf[prev] == f.src {
				warns = append(warns, Warning{Path: a.Path, Reason: fmt.Sprintf(
					"skipped: %s is already defined by %s in the same %q source (the first file by path wins)",
					a.Handle(), prev.Path, prev.Source), Conflict: true})
				continue
			}
			warns = append(warns, Warning{Path: a.Path, Reason: fmt.Sprintf(
				"%s overrides %s from the %q source", a.Handle(), prev.Path, prev.Source), Conflict: true})
		}
		c.byName[a.Name] = a
		c.srcOf[a] = f.src
	}

	c.agents = make([]*Agent, 0, len(c.byName))
	for _, a := range c.byName {
		c.agents = append(c.agents, a)
	}
	return c, append(warns, c.index()...)
}

// index finishes a catalog whose sources, agents, byName and srcOf are set
// (by newCatalog or Snapshot.Catalog, so that both build identical lookups):
// it sorts the agents by name and indexes aliases and suggestion
// candidates, returning the alias conflicts.
func (c *Catalog) index() []Warning {
	slices.SortFunc(c.agents, func(a, b *Agent) int { return strings.Compare(a.Name, b.Name) })
	warns := c.indexAliases()
	c.indexCandidates()
	return warns
}

// indexAliases maps aliases to agents. Real names always beat aliases; when
// two agents claim one alias, the higher-precedence source keeps it, and
// within a source the first file by path, as for names. Each agent is left
// listing only the aliases that lead to it: get_agent, agents show and
// search would otherwise offer one alias as two agents'.
func (c *Catalog) indexAliases() []Warning {
	order := make([]*Agent, 0, len(c.agents))
	for _, a := range c.agents {
		if len(a.Aliases) > 0 {
			order = append(order, a)
		}
	}
	// Slashed, so that a source's paths compare as Load sorted them.
	slices.SortFunc(order, func(a, b *Agent) int {
		return cmp.Or(cmp.Compare(c.srcOf[b], c.srcOf[a]),
			strings.Compare(filepath.ToSlash(a.Path), filepath.ToSlash(b.Path)))
	})
	var warns []Warning
	for _, a := range order {
		kept := make([]string, 0, len(a.Aliases))
		for _, al := range a.Aliases {
			if al == a.Name {
				kept = append(kept, al)
				continue
			}
			if other, ok := c.byName[al]; ok {
				warns = append(warns, Warning{Path: a.Path, Reason: fmt.Sprintf(
					"alias %q ignored: it is the name of %s (%s)", al, other.Handle(), other.Path), Conflict: true})
				continue
			}
			if other, ok := c.byAlias[al]; ok {
				warns = append(warns, Warning{Path: a.Path, Reason: fmt.Sprintf(
					"alias %q ignored: %s (%s) already uses it", al, other.Handle(), other.Path), Conflict: true})
				continue
			}
			c.byAlias[al] = a
			kept = append(kept, al)
		}
		// A new slice: a snapshot's copy of the agent shares the old one.
		if len(kept) < len(a.Aliases) {
			a.Aliases = kept
		}
	}
	return warns
}

// indexCandidates merges the sorted names with the aliases, sorted
// apart: names and aliases never coincide (indexAliases drops an alias
// that is a name), and the few aliases sort much faster than everything.
func (c *Catalog) indexCandidates() {
	aliases := make([]string, 0, len(c.byAlias))
	for al := range c.byAlias {
		aliases = append(aliases, al)
	}
	slices.Sort(aliases)
	n := len(c.agents) + len(aliases)
	c.candidates = make([]string, 0, n)
	c.target = make([]*Agent, 0, n)
	i, j := 0, 0
	for i < len(c.agents) || j < len(aliases) {
		if j == len(aliases) || i < len(c.agents) && c.agents[i].Name < aliases[j] {
			c.candidates = append(c.candidates, c.agents[i].Name)
			c.target = append(c.target, c.agents[i])
			i++
			continue
		}
		c.candidates = append(c.candidates, aliases[j])
		c.target = append(c.target, c.byAlias[aliases[j]])
		j++
	}
}

// displayPath joins a source root and a slash-separated path within it.
func displayPath(root, p string) string {
	if root == "" {
		return filepath.FromSlash(p)
	}
	return filepath.Join(root, filepath.FromSlash(p))
}
