package agent

import (
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
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
// parse become one warning each and are skipped. Files are parsed in
// parallel, starting while the directories are still being walked, because
// Load runs at every server start.
func Load(sources []Source) (*Catalog, []Warning) {
	var (
		files []*loadedFile
		warns []Warning
		pool  = parsePool{sources: sources}
	)
	for i, s := range sources {
		start := len(files)
		warns = append(warns, walkMarkdown(s, func(p string) {
			f := &loadedFile{src: i, fsPath: p, path: displayPath(s.Root, p)}
			files = append(files, f)
			pool.add(f)
		})...)
		// The walk visits entries name by name, which is not the order of
		// whole paths ("a-b.md" < "a.md" < "a/x.md"); "first by path" needs
		// the latter.
		slices.SortFunc(files[start:], func(a, b *loadedFile) int { return strings.Compare(a.fsPath, b.fsPath) })
	}
	pool.wait()
	c, mw := newCatalog(sources, files)
	return c, append(warns, mw...)
}

// parsePool loads files on GOMAXPROCS workers, started with the first file.
type parsePool struct {
	sources []Source
	jobs    chan *loadedFile
	wg      sync.WaitGroup
}

func (p *parsePool) add(f *loadedFile) {
	if p.jobs == nil {
		workers := runtime.GOMAXPROCS(0)
		if workers <= 1 {
			p.load(f) // no parallelism to gain; skip the hand-off
			return
		}
		p.jobs = make(chan *loadedFile, 256)
		for range workers {
			p.wg.Go(func() {
				for f := range p.jobs {
					p.load(f)
				}
			})
		}
	}
	p.jobs <- f
}

func (p *parsePool) load(f *loadedFile) {
	f.agent, f.err = loadFile(p.sources[f.src], f.fsPath, f.path)
}

// wait returns once every added file is loaded.
func (p *parsePool) wait() {
	if p.jobs != nil {
		close(p.jobs)
		p.wg.Wait()
	}
}

// listMarkdown returns the sorted paths of *.md files under s.FS.
func listMarkdown(s Source) ([]string, []Warning) {
	var paths []string
	warns := walkMarkdown(s, func(p string) { paths = append(paths, p) })
	sort.Strings(paths)
	return paths, warns
}

// walkMarkdown calls found with the path of each *.md file under s.FS, in
// walk order, skipping directories whose name starts with ".".
func walkMarkdown(s Source, found func(string)) []Warning {
	if s.FS == nil {
		return nil
	}
	var warns []Warning
	err := fs.WalkDir(s.FS, ".", func(p string, d fs.DirEntry, err error) error {
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
			found(p)
		}
		return nil
	})
	if err != nil {
		warns = append(warns, Warning{Path: displayPath(s.Root, "."), Reason: fmt.Sprintf("cannot read: %v", err)})
	}
	return warns
}

// loadFile reads and parses one file.
func loadFile(s Source, fsPath, display string) (*Agent, error) {
	data, err := readSourceFile(s.FS, fsPath)
	if err != nil {
		return nil, err
	}
	a, err := parse(data, true)
	if err != nil {
		return nil, err
	}
	a.Source = s.Label
	a.Path = display
	a.Raw = data
	return a, nil
}

// readSourceFile reads one file, refusing to read more than MaxFileSize+1
// bytes so a huge stray file cannot stall start-up. Files of an os.DirFS
// are read with plain system calls where the platform allows (readOSFile).
func readSourceFile(fsys fs.FS, fsPath string) ([]byte, error) {
	if dir, ok := osDirRoot(fsys); ok {
		if data, ok, err := readOSFile(dir, fsPath); ok {
			return data, err
		}
	}
	f, err := fsys.Open(fsPath)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return readStatted(f, false, false, 0)
	}
	return readStatted(f, true, st.IsDir(), st.Size())
}

// readStatted reads an open file given what stat said about it, if it
// succeeded: a directory or an oversized file is refused unread.
func readStatted(r io.Reader, statOK, isDir bool, size int64) ([]byte, error) {
	hint := int64(512)
	if statOK {
		if isDir {
			return nil, fmt.Errorf("cannot read: is a directory")
		}
		if size > MaxFileSize {
			return nil, fmt.Errorf("%w: %d bytes, the limit is %d (MaxFileSize)", ErrTooLarge, size, MaxFileSize)
		}
		hint = size
	}
	data, err := readAtMost(r, hint, MaxFileSize+1)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	return data, nil
}

// readAtMost reads r to EOF or limit bytes, sizing the buffer from the
// stat size so the common case is one allocation and no copying (io.ReadAll
// would grow and copy its buffer for every file).
func readAtMost(r io.Reader, sizeHint, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(sizeHint, limit-1)+1)
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}
