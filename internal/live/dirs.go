package live

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce, MaxDelay and PollPeriod are the DirWatcher's defaults.
const (
	// Debounce is how long the tree must stay quiet after an event before
	// the callback runs: editors save in bursts (write twice, or write a
	// temporary file and rename it over the original, or vim's
	// rename/create/write/remove), and one reload should see the result.
	Debounce = 200 * time.Millisecond
	// MaxDelay bounds the wait under a continuous stream of events.
	MaxDelay = 2 * time.Second
	// PollPeriod is the rescan period when the directories cannot be
	// watched (inotify limits reached).
	PollPeriod = 5 * time.Second
)

// DirOptions tunes a DirWatcher; the zero value is the default.
type DirOptions struct {
	Debounce   time.Duration // 0 = Debounce
	MaxDelay   time.Duration // 0 = MaxDelay
	PollPeriod time.Duration // 0 = PollPeriod
	// Ignore reports paths whose events are the server's own writes (its
	// cache or database may live under a watched directory).
	Ignore func(path string) bool
	Log    *slog.Logger

	// newWatcher and add let tests simulate exhausted inotify limits.
	newWatcher func() (*fsnotify.Watcher, error)
	add        func(w *fsnotify.Watcher, dir string) error
}

// DirWatcher calls back when agent files under a set of root directories
// may have changed: a *.md file written, created, renamed or removed, a
// directory created, removed or renamed, or a root appearing or
// disappearing. Each root is watched recursively (one watch per directory,
// skipping directories whose name starts with "." as the loader does); a
// root that does not exist yet is awaited by watching its nearest existing
// ancestor for the names on the way to it.
//
// When a watch cannot be set, the watcher says so once and falls back to
// comparing a listing of the trees every PollPeriod.
type DirWatcher struct {
	roots    []string
	onChange func()
	opts     DirOptions

	w        *fsnotify.Watcher
	watched  map[string]bool // directories with a watch
	anchors  map[string]bool // ancestors awaited roots are watched from
	kick     chan struct{}   // a reload is wanted (capacity 1: requests coalesce)
	done     chan struct{}
	wg       sync.WaitGroup
	closeMu  sync.Once
	fellBack atomic.Bool
}

// WatchDirs starts watching roots and returns once every watch is in
// place. onChange runs on a goroutine of the watcher's, never twice at
// once; edits arriving while it runs lead to one more call.
func WatchDirs(roots []string, onChange func(), opts DirOptions) *DirWatcher {
	if opts.Debounce <= 0 {
		opts.Debounce = Debounce
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = MaxDelay
	}
	if opts.PollPeriod <= 0 {
		opts.PollPeriod = PollPeriod
	}
	if opts.Ignore == nil {
		opts.Ignore = func(string) bool { return false }
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.newWatcher == nil {
		opts.newWatcher = fsnotify.NewWatcher
	}
	if opts.add == nil {
		opts.add = func(w *fsnotify.Watcher, dir string) error { return w.Add(dir) }
	}
	d := &DirWatcher{
		onChange: onChange,
		opts:     opts,
		watched:  map[string]bool{},
		anchors:  map[string]bool{},
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	for _, r := range roots {
		if abs, err := filepath.Abs(r); err == nil {
			d.roots = append(d.roots, filepath.Clean(abs))
		}
	}
	d.wg.Go(d.runCallbacks)
	w, err := opts.newWatcher()
	if err == nil {
		d.w = w
		err = d.sync()
	}
	if err != nil {
		d.fallBack(err)
		return d
	}
	d.wg.Go(d.loop)
	return d
}

// Polling reports whether the watcher fell back to periodic rescans.
func (d *DirWatcher) Polling() bool { return d.fellBack.Load() }

// Close stops watching and waits for a running callback to return.
func (d *DirWatcher) Close() error {
	var err error
	d.closeMu.Do(func() {
		close(d.done)
		d.wg.Wait()
		if d.w != nil {
			err = d.w.Close() // a second Close (after a fallback) is a no-op
		}
	})
	return err
}

// fallBack switches to periodic rescans, saying so once. It runs before
// the event loop starts or on it, so nothing else uses the watcher then.
func (d *DirWatcher) fallBack(err error) {
	if d.w != nil {
		d.w.Close()
	}
	d.fellBack.Store(true)
	d.opts.Log.Warn("cannot watch agent directories; rescanning them every "+d.opts.PollPeriod.String()+" instead",
		"err", err)
	d.wg.Go(d.poll)
}

// sync makes the set of watches match the trees on disk: every directory
// of an existing root, and the nearest existing ancestor of each missing
// one. It returns an error only when a watch could not be set for a reason
// other than the directory having gone away meanwhile.
//
// A directory made between looking and watching sends no event (nothing
// watched it yet): an anchor's child created then was never watched, so an
// agent written into it was missed until an unrelated rescan. So the trees
// are looked at again once the watches are set, until they hold still.
func (d *DirWatcher) sync() error {
	for range 8 {
		want, anchors := d.layout()
		if err := d.watch(want); err != nil {
			return err
		}
		d.anchors = anchors
		if again, _ := d.layout(); maps.Equal(again, want) {
			return nil
		}
	}
	return nil // still changing: the events of what is watched now follow
}

// layout is the set of directories to watch, and which are anchors.
func (d *DirWatcher) layout() (want, anchors map[string]bool) {
	want, anchors = map[string]bool{}, map[string]bool{}
	for _, root := range d.roots {
		if isDir(root) {
			for _, dir := range treeDirs(root) {
				want[dir] = true
			}
			continue
		}
		a := nearestExisting(root)
		want[a] = true
		anchors[a] = true
	}
	return want, anchors
}

// watch sets and removes watches so that exactly want is watched.
func (d *DirWatcher) watch(want map[string]bool) error {
	for dir := range d.watched {
		if !want[dir] {
			_ = d.w.Remove(dir) // already gone with the directory is fine
			delete(d.watched, dir)
		}
	}
	for dir := range want {
		if d.watched[dir] {
			continue
		}
		if err := d.opts.add(d.w, dir); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since the walk; its parent's event follows
			}
			return err
		}
		d.watched[dir] = true
	}
	return nil
}

// loop turns events into debounced reload requests.
func (d *DirWatcher) loop() {
	var (
		timer    = time.NewTimer(time.Hour)
		pending  bool
		deadline time.Time
	)
	timer.Stop()
	request := func() {
		now := time.Now()
		if !pending {
			pending, deadline = true, now.Add(d.opts.MaxDelay)
		}
		timer.Reset(min(d.opts.Debounce, max(0, deadline.Sub(now))))
	}
	resync := func() bool {
		if err := d.sync(); err != nil {
			d.fallBack(err)
			return false
		}
		return true
	}
	for {
		select {
		case <-d.done:
			return
		case ev, ok := <-d.w.Events:
			if !ok {
				return
			}
			structural, relevant := d.classify(ev)
			if structural && !resync() {
				d.signal()
				return
			}
			if relevant {
				request()
			}
		case err, ok := <-d.w.Errors:
			if !ok {
				return
			}
			// An overflow lost events, and any other error may have cost
			// a watch: look at everything again.
			d.opts.Log.Debug("agent directory watch error; rescanning", "err", err)
			if !resync() {
				d.signal()
				return
			}
			request()
		case <-timer.C:
			pending = false
			d.signal()
		}
	}
}

// classify says whether ev changes the set of directories to watch, and
// whether it may change the agents.
func (d *DirWatcher) classify(ev fsnotify.Event) (structural, relevant bool) {
	name := filepath.Clean(ev.Name)
	if d.opts.Ignore(name) || ev.Op == fsnotify.Chmod {
		return false, false
	}
	parent := filepath.Dir(name)
	if d.anchors[parent] || d.anchors[name] {
		// An ancestor of an awaited root: only the names on the way to it
		// (or the anchor itself going away) matter.
		for _, root := range d.roots {
			if name == root || isWithin(root, name) || isWithin(name, root) {
				return true, true
			}
		}
	}
	if !d.underRoot(name) {
		return false, false
	}
	if d.watched[name] || (ev.Has(fsnotify.Create) && isDir(name)) {
		return true, true // a directory came, went or moved
	}
	return false, strings.HasSuffix(name, ".md")
}

func (d *DirWatcher) underRoot(name string) bool {
	for _, root := range d.roots {
		if name == root || isWithin(root, name) {
			return !hiddenBelow(root, name)
		}
	}
	return false
}

// Rescan asks for one callback now, as if something had changed.
func (d *DirWatcher) Rescan() { d.signal() }

// signal asks the callback goroutine for one more reload.
func (d *DirWatcher) signal() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *DirWatcher) runCallbacks() {
	for {
		select {
		case <-d.done:
			return
		case <-d.kick:
			d.onChange()
		}
	}
}

// poll is the fallback: compare a listing of the trees every PollPeriod.
func (d *DirWatcher) poll() {
	t := time.NewTicker(d.opts.PollPeriod)
	defer t.Stop()
	last := d.listing()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
			if now := d.listing(); now != last {
				last = now
				d.signal()
			}
		}
	}
}

// listing describes every directory and *.md file under the roots by path,
// size and modification time: enough to notice an edit without reading.
func (d *DirWatcher) listing() string {
	var b strings.Builder
	for _, root := range d.roots {
		_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if e.IsDir() && p != root && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			if !e.IsDir() && !strings.HasSuffix(p, ".md") {
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return nil
			}
			fmt.Fprintf(&b, "%s\x00%d\x00%d\x00%s\n", p, info.Size(), info.ModTime().UnixNano(), info.Mode())
			return nil
		})
	}
	return b.String()
}

// treeDirs lists root and its subdirectories, skipping hidden ones as the
// loader does.
func treeDirs(root string) []string {
	var out []string
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(e.Name(), ".") {
			return filepath.SkipDir
		}
		out = append(out, p)
		return nil
	})
	return out
}

func nearestExisting(p string) string {
	for {
		if isDir(p) {
			return p
		}
		parent := filepath.Dir(p)
		if parent == p {
			return p
		}
		p = parent
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// isWithin reports whether p is strictly below dir.
func isWithin(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// hiddenBelow reports whether a directory on the way from root to p (p
// itself excluded when it is a file) starts with ".".
func hiddenBelow(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == "." {
		return false
	}
	parts := strings.Split(rel, string(filepath.Separator))
	for _, part := range parts[:len(parts)-1] {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	// The last part: a hidden directory is skipped, a hidden file is not
	// (the loader reads every *.md file it reaches).
	last := parts[len(parts)-1]
	return strings.HasPrefix(last, ".") && isDir(p)
}
