package agent

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// LastGood prepares a reload that keeps the last good version of agents
// whose file was just broken by an edit. cat and warns are what Load made
// of sources; prev is the catalog before. A file counts as broken when Load
// warned about it, prev had an agent from it, cat has none, and it still
// exists with other content than prev read, or exists but cannot be read
// (its permissions taken away, an I/O error). A directory Load warned it
// could not read, and which still exists, hides its files without breaking
// them: prev's agents from under it are kept too. For each such file the
// returned sources read prev's content instead (load them again to get the
// catalog to serve), and kept names the files and directories. With
// nothing broken, kept is empty and sources is returned as it was.
//
// A file or directory that is gone, or a file that is no longer a regular
// file, is not broken: its agents go, as they would at a restart.
//
// A file that parses but declares a name another file of its source
// already has (a Conflict warning) is not broken: the precedence rules
// leave it out, as a restart with the same files would, and its previous
// agent goes.
func LastGood(sources []Source, prev, cat *Catalog, warns []Warning) (out []Source, kept []string) {
	if prev == nil {
		return sources, nil
	}
	inCat := map[string]bool{}
	for _, a := range cat.All() {
		inCat[a.Path] = true
	}
	prevByPath := map[string]*Agent{}
	for _, a := range prev.All() {
		prevByPath[a.Path] = a
	}
	overlays := make([]map[string][]byte, len(sources))
	keep := func(i int, rel string, a *Agent) bool {
		raw, _, err := a.Text()
		if err != nil {
			return false // the last good version is not at hand any more
		}
		if overlays[i] == nil {
			overlays[i] = map[string][]byte{}
		}
		overlays[i][rel] = []byte(raw)
		return true
	}
	for _, w := range warns {
		if inCat[w.Path] || w.Conflict {
			continue
		}
		if a, ok := prevByPath[w.Path]; ok {
			for i, s := range sources {
				if rel, ok := relativeTo(s.Root, w.Path); ok {
					if brokenFile(s, rel, a) && keep(i, rel, a) {
						kept = append(kept, w.Path)
					}
					break
				}
			}
			continue
		}
		// A directory: of every source it is in (roots may nest), the
		// agents that source gave from under it.
		dirKept := false
		for i, s := range sources {
			rel, ok := relativeTo(s.Root, w.Path)
			if w.Path == filepath.Clean(s.Root) { // as displayPath gives it: "--agents dir/" is "dir"
				rel, ok = ".", true
			}
			if !ok {
				continue
			}
			for _, a := range unreadableDir(s, rel, prev, inCat) {
				r, _ := relativeTo(s.Root, a.Path)
				if keep(i, r, a) {
					dirKept = true
				}
			}
		}
		if dirKept && !slices.Contains(kept, w.Path) {
			kept = append(kept, w.Path)
		}
	}
	if len(kept) == 0 {
		return sources, nil
	}
	out = append([]Source(nil), sources...)
	for i, o := range overlays {
		if o != nil {
			out[i].FS = overlayFS{FS: sources[i].FS, files: o}
		}
	}
	return out, kept
}

// brokenFile reports whether the file at rel, which prev read as a, was
// broken by an edit rather than removed, replaced by something that is no
// file, or left as it was.
func brokenFile(s Source, rel string, a *Agent) bool {
	// As Load reads it: a file replaced by a named pipe would block an
	// open for reading, and the reload, forever.
	now, err := readRegular(s.FS, rel)
	switch {
	case err == nil:
		return sha256.Sum256(now) != a.Sum // unchanged is no edit
	case errors.Is(err, ErrTooLarge):
		return true // grown past MaxFileSize: an edit like any other
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotRegular):
		return false
	}
	// There, but unreadable: "chmod 000" breaks a file as an edit does,
	// and "chmod 644" mends it.
	return true
}

// unreadableDir returns the agents prev had from under the directory rel
// of s that cat lacks, when that directory still exists: Load could not
// list it, so it said nothing of the files in it, which are there still.
// A directory removed while Load walked it is gone: its agents go.
func unreadableDir(s Source, rel string, prev *Catalog, inCat map[string]bool) []*Agent {
	if st, err := fs.Stat(s.FS, rel); err != nil && errors.Is(err, fs.ErrNotExist) || err == nil && !st.IsDir() {
		return nil
	}
	var hidden []*Agent
	for _, a := range prev.agents {
		src := prev.sources[prev.srcOf[a]]
		r, ok := relativeTo(s.Root, a.Path)
		if ok && src.Label == s.Label && src.Root == s.Root && !inCat[a.Path] && (rel == "." || strings.HasPrefix(r, rel+"/")) {
			hidden = append(hidden, a)
		}
	}
	return hidden
}

// relativeTo returns path relative to root, slash-separated, when it is inside.
func relativeTo(root, path string) (string, bool) {
	if root == "" {
		return "", false
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// overlayFS serves some files from memory and everything else from FS.
type overlayFS struct {
	fs.FS
	files map[string][]byte
}

func (o overlayFS) Open(name string) (fs.File, error) {
	if data, ok := o.files[name]; ok {
		return &memFile{Reader: bytes.NewReader(data), name: path.Base(name), size: int64(len(data))}, nil
	}
	return o.FS.Open(name)
}

// Stat answers for the files in memory, and asks FS for the rest: a
// directory that cannot be read can mostly still be looked at (os.DirFS's
// Stat), where Open, which fs.Stat would fall back on, fails. Not so the
// source's own directory: os.DirFS stats "." as "dir/.", which an
// unreadable dir refuses too, and fs.WalkDir, which Load lists with,
// starts with that Stat; so a directory FS cannot stat but the files in
// memory are below is answered as one, or the root's last good versions
// would never be listed.
func (o overlayFS) Stat(name string) (fs.FileInfo, error) {
	if data, ok := o.files[name]; ok {
		return &memFile{name: path.Base(name), size: int64(len(data))}, nil
	}
	st, err := fs.Stat(o.FS, name)
	if err == nil || errors.Is(err, fs.ErrNotExist) || !o.holds(name) {
		return st, err // a root that is gone takes its agents with it
	}
	return memDir(path.Base(name)), nil
}

// holds reports whether some file in memory is below the directory name.
func (o overlayFS) holds(name string) bool {
	for p := range o.files {
		if name == "." || strings.HasPrefix(p, name+"/") {
			return true
		}
	}
	return false
}

// ReadDir lists name as FS does; when FS cannot (a directory made
// unreadable), it lists the files in memory below it, the last good
// versions of what it hides, so that Load finds them.
func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(o.FS, name)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return entries, err
	}
	prefix := name + "/"
	if name == "." {
		prefix = ""
	}
	seen := map[string]bool{}
	var mem []fs.DirEntry
	for p, data := range o.files {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		first, _, deeper := strings.Cut(rest, "/")
		if seen[first] {
			continue
		}
		seen[first] = true
		if deeper {
			mem = append(mem, fs.FileInfoToDirEntry(memDir(first)))
		} else {
			mem = append(mem, fs.FileInfoToDirEntry(&memFile{name: first, size: int64(len(data))}))
		}
	}
	if len(mem) == 0 {
		return entries, err
	}
	slices.SortFunc(mem, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return mem, nil
}

// memDir is a directory on the way to files in memory.
type memDir string

func (d memDir) Name() string       { return string(d) }
func (d memDir) Size() int64        { return 0 }
func (d memDir) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (d memDir) ModTime() time.Time { return time.Time{} }
func (d memDir) IsDir() bool        { return true }
func (d memDir) Sys() any           { return nil }

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }
