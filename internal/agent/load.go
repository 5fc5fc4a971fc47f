package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// loadedFile is one *.md file's outcome, kept in load order.
type loadedFile struct {
	src    int
	fsPath string // path within the source's FS
	path   string // display path
	agent  *Agent
	err    error
}

// Load reads every *.md file under each source (recursively, paths sorted,
// directories whose name starts with "." skipped) and merges them into a
// catalog. Sources are given lowest precedence first: a later source's agent
// replaces an earlier one of the same name, with a warning naming both
// files; within one source the first file by path wins. Files that fail to
// parse, and entries that are not regular files (a named pipe, a device, a
// link to a directory), become one warning each and are skipped; links to
// regular files are followed.
//
// Load depends only on the sources' file systems, so it can be run again
// at any time to reload them. When ctx is cancelled it returns ctx's error
// promptly, without waiting for a read that is stuck in the kernel.
func Load(ctx context.Context, sources []Source) (*Catalog, []Warning, error) {
	var (
		files []*loadedFile
		warns []Warning
	)
	for i, s := range sources {
		paths, ws, err := listMarkdown(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, ws...)
		for _, p := range paths {
			files = append(files, &loadedFile{src: i, fsPath: p, path: displayPath(s.Root, p)})
		}
	}
	if err := loadAll(ctx, sources, files); err != nil {
		return nil, nil, err
	}
	c, mw := newCatalog(sources, files)
	return c, append(warns, mw...), nil
}

// loadAll reads and parses files on GOMAXPROCS goroutines: parsing YAML is
// most of a load, which runs at every server start without a cache.
func loadAll(ctx context.Context, sources []Source, files []*loadedFile) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				f := files[i]
				f.agent, f.err = loadFile(sources[f.src], f.fsPath, f.path)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return ctx.Err()
	case <-ctx.Done():
		// A worker may be blocked in open(2) or read(2), which no context
		// interrupts; it writes only to its own file's fields, which the
		// caller never reads after an error, and exits when the call returns.
		return ctx.Err()
	}
}

// Files returns the paths (within s.FS, sorted) of the *.md files Load
// reads from s: every file it checks, whether that file then loads, fails
// or is skipped for a name another file claims. A directory it cannot read
// is not counted: Load reports it as a warning of its own.
func Files(ctx context.Context, s Source) ([]string, error) {
	paths, _, err := listMarkdown(ctx, s)
	return paths, err
}

// listMarkdown returns the sorted paths of *.md entries under s.FS,
// skipping directories whose name starts with ".". Whether each is a file
// Load can read is decided when it is read.
func listMarkdown(ctx context.Context, s Source) ([]string, []Warning, error) {
	if s.FS == nil {
		return nil, nil, nil
	}
	var (
		paths []string
		warns []Warning
	)
	err := fs.WalkDir(s.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			warns = append(warns, Warning{Path: displayPath(s.Root, p), Reason: fmt.Sprintf("cannot read: %v", err)})
			return nil
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".md") {
			paths = append(paths, p)
		}
		return nil
	})
	if cerr := ctx.Err(); cerr != nil {
		return nil, nil, cerr
	}
	if err != nil {
		warns = append(warns, Warning{Path: displayPath(s.Root, "."), Reason: fmt.Sprintf("cannot read: %v", err)})
	}
	// WalkDir visits entries name by name, which is not the order of whole
	// paths ("a-b.md" < "a.md" < "a/x.md"); "first by path" needs the latter.
	sort.Strings(paths)
	return paths, warns, nil
}

// loadFile reads and parses one file.
func loadFile(s Source, fsPath, display string) (*Agent, error) {
	data, err := readRegular(s.FS, fsPath)
	if err != nil {
		return nil, err
	}
	a, err := Parse(data)
	if err != nil {
		return nil, err
	}
	a.Source = s.Label
	a.Path = display
	a.Raw = string(data)
	a.Sum = sha256.Sum256(data)
	if strings.HasSuffix(a.Raw, a.Body) {
		a.Body = a.Raw[len(a.Raw)-len(a.Body):] // one copy of the text, not two
	}
	return a, nil
}

// errNotRegular is wrapped by readRegular for a named pipe, device, socket
// or directory: reading one can block forever or never end.
var errNotRegular = errors.New("not a regular file")

// readRegular reads a regular file (following symbolic links) of at most
// MaxFileSize bytes.
//
// Opening a named pipe for reading blocks until a writer appears, and the
// portable way to avoid that, O_NONBLOCK, is a syscall flag that neither
// fs.FS nor os offer. So the type is checked with fs.Stat before opening
// (os.DirFS's Stat follows links, as its Open does), and again on the
// opened file, which is what is actually read: that catches an entry
// replaced by a device between the two calls. A pipe swapped in during that
// window can still block the open; Load's caller is then saved by ctx, and
// the process by the CLI's signal watchdog. fs.ReadFile is not used because
// it can do neither check, nor bound the read of a file that grows.
func readRegular(fsys fs.FS, name string) ([]byte, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if err := checkRegular(st); err != nil {
		return nil, err
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if err := checkRegular(st); err != nil {
		return nil, err
	}
	// Sized from the stat, the buffer is allocated once, where io.ReadAll
	// would grow and copy it several times per file.
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	return buf.Bytes(), nil
}

// checkRegular refuses what readRegular must not read. A file of an FS
// that reports no type bits (fstest.MapFS, embed.FS) is regular.
func checkRegular(st fs.FileInfo) error {
	switch m := st.Mode(); {
	case !m.IsRegular():
		return fmt.Errorf("%w: it is %s; skipped", errNotRegular, FileKind(m))
	case st.Size() > MaxFileSize:
		return fmt.Errorf("%w: %d bytes, the limit is %d (MaxFileSize)", ErrTooLarge, st.Size(), MaxFileSize)
	}
	return nil
}

// FileKind names what a file that is not a regular one is, for a warning
// ("it is a named pipe"); the project context loader says it alike.
func FileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "mode " + m.String()
}
