package agent

import (
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
	src   int
	path  string // display path
	agent *Agent
	err   error
}

// Load reads every *.md file under each source (recursively, paths sorted,
// directories whose name starts with "." skipped) and merges them into a
// catalog. Sources are given lowest precedence first: a later source's agent
// replaces an earlier one of the same name, with a warning naming both
// files; within one source the first file by path wins. Files that fail to
// parse become one warning each and are skipped. Files are parsed in
// parallel because Load runs at every server start.
func Load(sources []Source) (*Catalog, []Warning) {
	var (
		files []loadedFile
		warns []Warning
		jobs  []fileJob
	)
	for i, s := range sources {
		paths, ws := listMarkdown(s)
		warns = append(warns, ws...)
		for _, p := range paths {
			jobs = append(jobs, fileJob{src: i, fsPath: p})
			files = append(files, loadedFile{src: i, path: displayPath(s.Root, p)})
		}
	}
	parseAll(sources, jobs, files)
	c, mw := newCatalog(sources, files)
	return c, append(warns, mw...)
}

type fileJob struct {
	src    int
	fsPath string
}

// parseAll fills files[i] from jobs[i] using a bounded pool of workers.
func parseAll(sources []Source, jobs []fileJob, files []loadedFile) {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if workers <= 1 {
		for i, j := range jobs {
			files[i].agent, files[i].err = loadFile(sources[j.src], j.fsPath, files[i].path)
		}
		return
	}
	var (
		wg   sync.WaitGroup
		next atomic.Int64 // index of the next job to claim
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				files[i].agent, files[i].err = loadFile(sources[j.src], j.fsPath, files[i].path)
			}
		})
	}
	wg.Wait()
}

// listMarkdown returns the sorted paths of *.md files under s.FS.
func listMarkdown(s Source) ([]string, []Warning) {
	if s.FS == nil {
		return nil, nil
	}
	var (
		paths []string
		warns []Warning
	)
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
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		warns = append(warns, Warning{Path: displayPath(s.Root, "."), Reason: fmt.Sprintf("cannot read: %v", err)})
	}
	sort.Strings(paths)
	return paths, warns
}

// loadFile reads and parses one file, refusing to read more than
// MaxFileSize+1 bytes so a huge stray file cannot stall start-up.
func loadFile(s Source, fsPath, display string) (*Agent, error) {
	f, err := s.FS.Open(fsPath)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	size := int64(512)
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("cannot read: is a directory")
		}
		if st.Size() > MaxFileSize {
			return nil, fmt.Errorf("%w: %d bytes, the limit is %d (MaxFileSize)", ErrTooLarge, st.Size(), MaxFileSize)
		}
		size = st.Size()
	}
	data, err := readAtMost(f, size, MaxFileSize+1)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	a, err := Parse(data)
	if err != nil {
		return nil, err
	}
	a.Source = s.Label
	a.Path = display
	a.Raw = data
	return a, nil
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
