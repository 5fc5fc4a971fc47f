// Package project reads a project's context documents: the markdown files
// in the nearest .claude/project/ directory above the working directory
// (vision, architecture, technical decisions, team preferences...) and in
// any --context directory, which agents read before starting a task.
package project

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/resourceuri"
)

// MaxDoc bounds the size of one document; a larger file is skipped.
const MaxDoc = 1 << 20

// Doc is one context document.
type Doc struct {
	// Name is the file name without ".md", lowercased: the {name} of
	// project://context/{name}.
	Name string `json:"name"`
	// Title is the document's first heading (or first line).
	Title string `json:"title"`
	// URI reads it: Name percent-encoded, so that a name with a space, a
	// "#" or a non-ASCII letter is a valid URI, and one that reads.
	URI  string `json:"uri"`
	Path string `json:"-"`
	Text string `json:"-"`
}

// Skipped is a file Load left out, and why: unreadable (with the system's
// reason), not a regular file (and what it is), over 1 MiB, or of a name
// no URI can give (".md", "...md"), or one an earlier file has. One warning
// saying "one of the three" left the user to find out which.
type Skipped struct {
	Path   string
	Reason string
}

// Docs is a loaded set of documents, by name. It is never modified after
// Load.
type Docs struct {
	list   []Doc
	byName map[string]int
}

// List returns the documents in name order.
func (d *Docs) List() []Doc {
	if d == nil {
		return nil
	}
	return d.list
}

// Get returns the document called name.
func (d *Docs) Get(name string) (Doc, bool) {
	if d == nil {
		return Doc{}, false
	}
	i, ok := d.byName[strings.ToLower(name)]
	if !ok {
		return Doc{}, false
	}
	return d.list[i], true
}

// Equal reports whether two sets hold the same documents.
func (d *Docs) Equal(o *Docs) bool {
	return slices.Equal(d.List(), o.List())
}

// Nearest returns the nearest .claude/project directory at or above cwd,
// or "" when there is none.
func Nearest(cwd string) string {
	dir, err := filepath.Abs(cwd)
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, ".claude", "project")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads the *.md files directly in each of dirs (missing directories
// are skipped), and the files *.md links there point at; a later
// directory's document replaces an earlier one of the same name. Files
// that cannot be read, are not regular files or are too large are
// reported in skipped and left out, and so is a file whose name, lowercased,
// an earlier file by path in the same directory has (ARCHITECTURE.md
// before architecture.md): the first by path serves, as of agent files.
func Load(dirs []string) (docs *Docs, skipped []Skipped) {
	byName := map[string]Doc{}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		first := map[string]string{} // name: the path serving it from dir
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(strings.ToLower(e.Name()), ".md") {
				continue
			}
			path := filepath.Join(dir, e.Name())
			name := strings.ToLower(strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())))
			// Listed, it could never be read.
			if err := resourceuri.CheckProjectName(name); err != nil {
				skipped = append(skipped, Skipped{Path: path, Reason: "no URI can name it: " + err.Error()})
				continue
			}
			if p, ok := first[name]; ok {
				skipped = append(skipped, Skipped{Path: path, Reason: fmt.Sprintf(
					"%s already has the name %q in the same directory (the first by path serves)", p, name)})
				continue
			}
			data, err := readDoc(path)
			if err != nil {
				skipped = append(skipped, Skipped{Path: path, Reason: reason(err)})
				continue
			}
			first[name] = path
			byName[name] = Doc{Name: name, Title: title(string(data), name), URI: resourceuri.ProjectURI(name), Path: path, Text: string(data)}
		}
	}
	docs = &Docs{byName: map[string]int{}}
	for _, d := range byName {
		docs.list = append(docs.list, d)
	}
	sort.Slice(docs.list, func(i, j int) bool { return docs.list[i].Name < docs.list[j].Name })
	for i, d := range docs.list {
		docs.byName[d.Name] = i
	}
	return docs, skipped
}

// readDoc reads the regular file at path, following symbolic links (a
// document linked in from elsewhere is served, as a linked agent file is),
// if it holds at most MaxDoc bytes. Anything else (a directory, a named
// pipe, a device, a dangling link) is an error: opening a named pipe blocks
// until a writer comes. The type is checked before opening and again on
// the opened file, which is what is read.
func readDoc(path string) ([]byte, error) {
	if err := docFile(os.Stat(path)); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := docFile(f.Stat()); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxDoc+1))
	if err == nil && len(data) > MaxDoc {
		err = fmt.Errorf("%w: it grew while read", errTooLarge)
	}
	return data, err
}

var (
	errNotRegular = errors.New("not a regular file")
	errTooLarge   = errors.New("over 1 MiB")
)

func docFile(st os.FileInfo, err error) error {
	switch {
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%w: it is %s", errNotRegular, agent.FileKind(st.Mode()))
	case st.Size() > MaxDoc:
		return fmt.Errorf("%w: %d bytes", errTooLarge, st.Size())
	}
	return nil
}

// reason says why readDoc refused a file. A system error loses its path,
// which the warning gives already.
func reason(err error) string {
	if errors.Is(err, errNotRegular) || errors.Is(err, errTooLarge) {
		return err.Error()
	}
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		err = pe.Err
	}
	return "unreadable: " + err.Error()
}

// title returns the first markdown heading, else the first non-empty line
// (frontmatter skipped), else name; at most 120 characters.
func title(text, name string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, MaxDoc)
	first, inFront, lineNo := "", false, 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		lineNo++
		if lineNo == 1 && line == "---" {
			inFront = true
			continue
		}
		if inFront {
			inFront = line != "---"
			continue
		}
		if strings.HasPrefix(line, "#") {
			return clip(strings.TrimSpace(strings.TrimLeft(line, "#")))
		}
		if first == "" && line != "" {
			first = line
		}
	}
	if first == "" {
		return name
	}
	return clip(first)
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return s
}
