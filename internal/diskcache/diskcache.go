// Package diskcache keeps a few named blobs in a directory, for data that is
// expensive to rebuild and cheap to read back (the loaded agent catalog and
// its search index). Entries are replaced atomically, so concurrent readers
// see either the old or the new content, and only the newest are kept.
package diskcache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// keep is how many entries survive a write; a user switching between a few
// projects keeps a warm entry for each.
const keep = 16

// Dir is a cache directory. The zero value caches nothing.
type Dir string

// Default returns the per-user cache directory for mcp-agents
// ($XDG_CACHE_HOME/mcp-agents, ~/.cache/mcp-agents, ~/Library/Caches/mcp-agents,
// %LocalAppData%\mcp-agents), or "" when the platform has none.
func Default() Dir {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return Dir(filepath.Join(base, "mcp-agents"))
}

func (d Dir) path(name string) (string, error) {
	if d == "" {
		return "", errors.New("no cache directory")
	}
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("invalid cache entry name %q", name)
	}
	return filepath.Join(string(d), name), nil
}

// Read returns the entry's content, or (nil, nil) when there is none.
//
// The content is read-only and lives as long as the process: on Linux it is
// the file mapped into memory, so a start-up decodes the cache straight from
// the page cache instead of first copying megabytes into fresh heap pages
// (a millisecond or two per entry). Replacing or pruning an entry later
// does not disturb a reader, since both unlink rather than rewrite; only
// truncating the file in place from outside could.
func (d Dir) Read(name string) ([]byte, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	data, err := readFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// Write stores data under name, replacing any previous content atomically,
// then removes all but the newest entries.
func (d Dir) Write(name string, data []byte) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(string(d), ".tmp-"+name+"-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return d.prune()
}

// prune removes entries beyond the newest keep, and temporary files a
// crashed writer left behind.
func (d Dir) prune() error {
	entries, err := os.ReadDir(string(d))
	if err != nil {
		return err
	}
	type entry struct {
		name string
		mod  time.Time
	}
	var files []entry
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if time.Since(info.ModTime()) > time.Hour {
				errs = append(errs, os.Remove(filepath.Join(string(d), e.Name())))
			}
			continue
		}
		files = append(files, entry{e.Name(), info.ModTime()})
	}
	slices.SortFunc(files, func(a, b entry) int { return b.mod.Compare(a.mod) })
	for _, f := range files[min(keep, len(files)):] {
		if err := os.Remove(filepath.Join(string(d), f.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
