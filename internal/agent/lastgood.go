package agent

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// LastGood prepares a reload that keeps the last good version of agents
// whose file was just broken by an edit. cat and warns are what Load made
// of sources; prev is the catalog before. A file counts as broken when Load
// warned about it, prev had an agent from it, cat has none, and it still
// exists with other content than prev read. For each such file the
// returned sources read prev's content instead (load them again to get the
// catalog to serve), and kept names the files. With nothing broken, kept
// is empty and sources is returned as it was.
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
	for _, w := range warns {
		a, ok := prevByPath[w.Path]
		if !ok || inCat[w.Path] || w.Conflict {
			continue
		}
		for i, s := range sources {
			rel, ok := relativeTo(s.Root, w.Path)
			if !ok {
				continue
			}
			// As Load reads it: a file replaced by a named pipe would block
			// an open for reading, and the reload, forever.
			now, err := readRegular(s.FS, rel)
			// A file grown past MaxFileSize was broken by an edit like any
			// other; otherwise it is gone, no longer a file, or unchanged
			// and so not an edit.
			if !errors.Is(err, ErrTooLarge) && (err != nil || sha256.Sum256(now) == a.Sum) {
				break
			}
			raw, _, err := a.Text()
			if err != nil {
				break // the last good version is not at hand any more
			}
			if overlays[i] == nil {
				overlays[i] = map[string][]byte{}
			}
			overlays[i][rel] = []byte(raw)
			kept = append(kept, w.Path)
			break
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
		return &memFile{Reader: bytes.NewReader(data), name: filepath.Base(name), size: int64(len(data))}, nil
	}
	return o.FS.Open(name)
}

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
