package agent

import (
	"crypto/sha256"
	"encoding/gob"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Snapshot is a catalog and the warnings Load returned with it as plain
// data, for the start-up cache to store with encoding/gob. The sources
// lose their FS, and the agents their texts (Raw and Body), which Texts
// holds apart: most starts never need one, and for the 412-file corpus
// reading and decoding them was a third of a warm start's CPU time (161
// -> 108 ms, median of 20 starts) and 3 of the cache entry's 4.1 MB.
type Snapshot struct {
	Sources []SnapshotSource
	// Agents are sorted by name; SourceOf[i] indexes Sources for Agents[i].
	Agents   []*Agent
	SourceOf []int
	// BodyLen[i] > 0 says that Agents[i]'s Body is the last BodyLen[i]
	// bytes of its Raw, as it usually is, and so is not in Texts.Body.
	BodyLen  []int
	Warnings []Warning
}

// SnapshotSource is a Source without its FS.
type SnapshotSource struct{ Label, Root string }

// Texts are the texts of a snapshot's agents, in its order.
type Texts struct {
	Raw []string
	// Body[i] is the body of agent i when BodyLen[i] is 0, else "".
	Body []string
}

// Extra holds what yaml.v3 decodes into an any; gob must know the
// concrete types it may meet behind the interface (the scalar ones it
// knows already).
func init() {
	gob.Register(map[string]any{})
	gob.Register(map[any]any{})
	gob.Register([]any{})
	gob.Register(time.Time{})
}

// Snapshot returns c and its load warnings as a Snapshot, and the texts of
// its agents. c must have been loaded from files, not decoded itself.
func (c *Catalog) Snapshot(warnings []Warning) (Snapshot, Texts) {
	n := len(c.agents)
	s := Snapshot{Agents: make([]*Agent, n), SourceOf: make([]int, n), BodyLen: make([]int, n), Warnings: warnings}
	t := Texts{Raw: make([]string, n), Body: make([]string, n)}
	for _, src := range c.sources {
		s.Sources = append(s.Sources, SnapshotSource{Label: src.Label, Root: src.Root})
	}
	for i, a := range c.agents {
		s.SourceOf[i] = c.srcOf[a]
		cp := *a // the catalog's agents are shared and read-only
		cp.Raw, cp.Body = "", ""
		s.Agents[i] = &cp
		t.Raw[i] = a.Raw
		if a.Body != "" && len(a.Body) <= len(a.Raw) && a.Raw[len(a.Raw)-len(a.Body):] == a.Body {
			s.BodyLen[i] = len(a.Body)
		} else {
			t.Body[i] = a.Body
		}
	}
	return s, t
}

// Catalog rebuilds the catalog and warnings the snapshot was taken of, for
// sources, which must be those it was taken from (by label and root, in
// order). It checks what the lookups rely on (named, distinct agents from
// existing sources), so that a damaged snapshot is an error rather than a
// catalog that misbehaves.
//
// An agent's text is read when it is first asked for (Agent.Text): from
// its file, when the file's SHA-256 is still the agent's Sum; else from
// texts, all of them at once, each kept only when it has that sum; else
// from the file as it is now, which gives its current text if it still
// defines the agent, else an error.
func (s *Snapshot) Catalog(sources []Source, texts func() (Texts, error)) (*Catalog, []Warning, error) {
	if len(s.SourceOf) != len(s.Agents) || len(s.BodyLen) != len(s.Agents) {
		return nil, nil, fmt.Errorf("agent snapshot: %d agents but %d source indexes and %d body lengths",
			len(s.Agents), len(s.SourceOf), len(s.BodyLen))
	}
	if len(sources) != len(s.Sources) {
		return nil, nil, fmt.Errorf("agent snapshot: %d sources, given %d", len(s.Sources), len(sources))
	}
	for i, src := range s.Sources {
		if src.Label != sources[i].Label || src.Root != sources[i].Root {
			return nil, nil, fmt.Errorf("agent snapshot: source %d is %s %q, given %s %q", i, src.Label, src.Root, sources[i].Label, sources[i].Root)
		}
	}
	c := &Catalog{
		sources: sources,
		agents:  s.Agents,
		byName:  make(map[string]*Agent, len(s.Agents)),
		byAlias: make(map[string]*Agent),
		srcOf:   make(map[*Agent]int, len(s.Agents)),
	}
	lazy := &lazyTexts{read: texts, sources: sources, bodyLen: s.BodyLen, srcOf: s.SourceOf}
	for i, a := range s.Agents {
		switch src := s.SourceOf[i]; {
		case a == nil || a.Name == "":
			return nil, nil, fmt.Errorf("agent snapshot: agent %d has no name", i)
		case c.byName[a.Name] != nil:
			return nil, nil, fmt.Errorf("agent snapshot: agent %q appears twice", a.Name)
		case src < 0 || src >= len(c.sources):
			return nil, nil, fmt.Errorf("agent snapshot: agent %q: source %d, there are %d", a.Name, src, len(c.sources))
		case a.Raw != "" || a.Body != "" || s.BodyLen[i] < 0:
			return nil, nil, fmt.Errorf("agent snapshot: agent %q: a text (%d, %d bytes) or a negative body length (%d)",
				a.Name, len(a.Raw), len(a.Body), s.BodyLen[i])
		default:
			a.lazy, a.i = lazy, i
			c.byName[a.Name] = a
			c.srcOf[a] = src
		}
	}
	lazy.agents = slices.Clone(s.Agents)
	// The alias conflicts are among the stored warnings already.
	c.index()
	return c, s.Warnings, nil
}

// lazyTexts gives the agents of a decoded catalog their texts. An agent's
// file, while it is still the one the catalog was decoded from (its
// SHA-256 is the agent's Sum), is the cheapest place: one small read. The
// cache's texts entry is read, whole, only for the files that changed
// since: it took 40-60 ms for the 412-file corpus (2.4 MB read, decoded
// and checked), which a first get_agent paid when it was read first.
type lazyTexts struct {
	read    func() (Texts, error)
	sources []Source
	agents  []*Agent // in snapshot order, as a.i counts
	bodyLen []int
	srcOf   []int

	mu   sync.Mutex
	file map[int][2]string // texts read from unchanged files, by a.i

	once      sync.Once
	raw, body []string // from the texts entry; raw[i] == "": not there
}

func (l *lazyTexts) text(a *Agent) (raw, body string, err error) {
	l.mu.Lock()
	t, ok := l.file[a.i]
	l.mu.Unlock()
	if ok {
		return t[0], t[1], nil
	}
	src := l.sources[l.srcOf[a.i]]
	rel, inside := relativeTo(src.Root, a.Path)
	var data []byte
	if src.FS != nil && inside {
		data, err = readRegular(src.FS, rel)
	}
	if err == nil && data != nil && sha256.Sum256(data) == a.Sum {
		raw = string(data)
		if n := l.bodyLen[a.i]; n > 0 && n <= len(raw) {
			body = raw[len(raw)-n:]
		} else if b, perr := Parse(data); perr == nil {
			body = b.Body
		}
		l.mu.Lock()
		if l.file == nil {
			l.file = map[int][2]string{}
		}
		l.file[a.i] = [2]string{raw, body}
		l.mu.Unlock()
		return raw, body, nil
	}
	// The file changed or cannot be read: the version the catalog
	// describes, from the cache; failing that, the file's current one.
	l.once.Do(l.load)
	if raw := l.raw[a.i]; raw != "" {
		return raw, l.body[a.i], nil
	}
	return l.current(a, src, rel, inside)
}

// load takes the texts of the cache's entry that match their agents' sums;
// an agent file is never empty (it starts with "---"), so "" marks the
// others.
func (l *lazyTexts) load() {
	n := len(l.agents)
	l.raw, l.body = make([]string, n), make([]string, n)
	if l.read == nil {
		return
	}
	t, err := l.read()
	if err != nil || len(t.Raw) != n || len(t.Body) != n {
		return
	}
	for i, a := range l.agents {
		raw, bl := t.Raw[i], l.bodyLen[i]
		if bl > len(raw) || bl > 0 && t.Body[i] != "" || sha256.Sum256([]byte(raw)) != a.Sum {
			continue
		}
		l.raw[i], l.body[i] = raw, t.Body[i]
		if bl > 0 {
			l.body[i] = raw[len(raw)-bl:]
		}
	}
}

// current reads a's text from its file as it is now, which must still
// define a.
func (l *lazyTexts) current(a *Agent, src Source, rel string, inside bool) (raw, body string, err error) {
	if src.FS == nil || !inside {
		return "", "", fmt.Errorf("%s: the text of %s cannot be read again", a.Handle(), a.Path)
	}
	b, err := loadFile(src, rel, a.Path)
	switch {
	case err != nil:
		return "", "", fmt.Errorf("%s: its file changed since the catalog was loaded and is being reloaded: %s: %w", a.Handle(), a.Path, err)
	case b.Name != a.Name:
		return "", "", fmt.Errorf("%s: its file changed since the catalog was loaded and is being reloaded: %s now defines %s", a.Handle(), a.Path, b.Handle())
	}
	return b.Raw, b.Body, nil
}
