package live

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	// Shallow lists more roots, watched at their top level only: the
	// directory itself and the *.md files in it, not its subdirectories
	// (directories whose own files are read, such as project documents,
	// may sit at the top of a big tree). One of them that is also a root
	// is watched whole.
	Shallow []string
	Log     *slog.Logger

	// newWatcher and add let tests simulate exhausted inotify limits.
	newWatcher func() (*fsnotify.Watcher, error)
	add        func(w *fsnotify.Watcher, dir string) error
}

// DirWatcher calls back when agent files under a set of root directories
// may have changed: a *.md file written, created, renamed, removed or
// given other permissions, a directory created, removed, renamed or given
// other permissions, or a root appearing or disappearing. Each root is watched recursively (one watch per directory,
// skipping directories whose name starts with "." as the loader does), a
// shallow root (DirOptions.Shallow) by one watch on itself; a root that
// does not exist yet is awaited by watching its nearest existing ancestor
// for the names on the way to it.
//
// When a watch cannot be set, the watcher says so once and falls back to
// comparing a listing of the trees every PollPeriod.
type DirWatcher struct {
	roots    []string
	shallow  map[string]bool // the roots watched at their top level only
	onChange func()
	opts     DirOptions

	w        *fsnotify.Watcher
	watched  map[string]os.FileInfo // directories with a watch, as they were when it was set
	anchors  map[string]bool        // ancestors awaited roots are watched from
	awaited  map[string]bool        // where links whose directory is gone point
	links    map[string]bool        // *.md symbolic links in the trees
	targets  map[string]bool        // the files they point at (watched through their directories)
	holders  map[string]bool        // the directories of targets, watched
	kick     chan struct{}          // a reload is wanted (capacity 1: requests coalesce)
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
		watched:  map[string]os.FileInfo{},
		anchors:  map[string]bool{},
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	for _, r := range roots {
		if abs, err := filepath.Abs(r); err == nil {
			d.roots = append(d.roots, filepath.Clean(abs))
		}
	}
	d.shallow = map[string]bool{}
	for _, r := range opts.Shallow {
		if abs, err := filepath.Abs(r); err == nil && !slices.Contains(d.roots, filepath.Clean(abs)) {
			d.roots = append(d.roots, filepath.Clean(abs))
			d.shallow[filepath.Clean(abs)] = true
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
		l := d.layout()
		if err := d.watch(l.want); err != nil {
			return err
		}
		d.anchors, d.awaited, d.links, d.targets, d.holders = l.anchors, l.awaited, l.links, l.targets, l.holders
		if again := d.layout(); maps.Equal(again.want, l.want) && !d.replaced() {
			return nil
		}
	}
	return nil // still changing: the events of what is watched now follow
}

// layout is what to watch: the directories (want), which of them are
// ancestors of awaited roots (anchors), where links whose directory is
// gone point (awaited), and the *.md symbolic links in the trees with the
// files they point at. A target's directory is watched too (holders):
// editing the file a link points at changes no entry of the link's own
// directory. A target whose directory is missing (removed, moved away, or
// not made yet) is awaited from its nearest existing ancestor, as a
// missing root is.
type layout struct {
	want, anchors, awaited, links, targets, holders map[string]bool
}

func (d *DirWatcher) layout() layout {
	l := layout{want: map[string]bool{}, anchors: map[string]bool{}, awaited: map[string]bool{},
		links: map[string]bool{}, targets: map[string]bool{}, holders: map[string]bool{}}
	for _, root := range d.roots {
		if isSymlink(root) {
			// Re-pointing the link (ln -sfn) changes nothing in the
			// directory it pointed at: its own directory says so.
			parent := filepath.Dir(root)
			l.want[parent], l.anchors[parent] = true, true
			// Removing the directory it points at, or moving it away, is
			// told by that directory's own parent, and so is making it
			// again: fsnotify drops the removal the directory's watch
			// sees, taking the link's parent for the directory's.
			if end := pointsAt(root); end != root {
				a := nearestExisting(filepath.Dir(end))
				l.awaited[end], l.want[a], l.anchors[a] = true, true, true
			}
		}
		if isDir(root) {
			dirs, links := tree(root, d.shallow[root])
			for _, dir := range dirs {
				l.want[dir] = true
			}
			for link, target := range links {
				l.links[link], l.targets[target] = true, true
				if dir := filepath.Dir(target); isDir(dir) {
					l.want[dir], l.holders[dir] = true, true
				} else {
					a := nearestExisting(dir)
					l.awaited[target], l.want[a], l.anchors[a] = true, true, true
				}
			}
			continue
		}
		a := nearestExisting(root)
		l.want[a] = true
		l.anchors[a] = true
		// A root through a link (on the way to it) whose directory is
		// missing comes when that directory is made where the link points.
		if end := pointsAt(root); end != root {
			l.awaited[end] = true
			a := nearestExisting(end)
			l.want[a], l.anchors[a] = true, true
		}
	}
	return l
}

// watch sets and removes watches so that exactly want is watched.
//
// A watch follows the directory it was set on, not its path: after
// "mv agents agents.old; mv agents.new agents" (or a link re-pointed) the
// watch at "agents" still reports the old directory's events, under the
// path. So a path whose directory is no longer the one watched is watched
// again, once every watch no longer wanted or no longer on its path's
// directory is gone: a directory moved from one watched path to another
// ("mv team team.old; mv staging team") has one kernel watch, which
// removing it by its old path would take from its new one.
func (d *DirWatcher) watch(want map[string]bool) error {
	for dir, was := range d.watched {
		if want[dir] {
			if st, err := os.Stat(dir); err == nil && was != nil && os.SameFile(was, st) {
				continue
			}
		}
		_ = d.w.Remove(dir) // already gone with the directory is fine
		delete(d.watched, dir)
	}
	for dir := range want {
		if _, ok := d.watched[dir]; ok {
			continue
		}
		// Looked at before the watch is set: a directory replaced in
		// between is then watched again next time, never missed.
		st, _ := os.Stat(dir)
		if err := d.opts.add(d.w, dir); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since the walk; its parent's event follows
			}
			return err
		}
		d.watched[dir] = st
	}
	return nil
}

// replaced reports whether a watched path now holds another directory
// than the one its watch was set on.
func (d *DirWatcher) replaced() bool {
	for dir, was := range d.watched {
		if st, err := os.Stat(dir); err == nil && (was == nil || !os.SameFile(was, st)) {
			return true
		}
	}
	return false
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
	// A pure Chmod (inotify's IN_ATTRIB) is a mode, owner or time change,
	// so not ignored: "chmod 000" makes a file or directory unreadable,
	// and "chmod 644" readable again, with no other event. A touch costs
	// one reload that finds nothing changed, and sends nothing.
	if d.opts.Ignore(name) {
		return false, false
	}
	if d.targets[name] {
		return true, true // the file a link points at: edited, or gone and back
	}
	if d.holders[name] {
		// The directory of a file a link points at, removed or moved away
		// (told by its own watch, or by its parent's when that is watched
		// too): what is at its path is awaited from there on.
		return true, true
	}
	parent := filepath.Dir(name)
	if d.anchors[parent] || d.anchors[name] {
		// An ancestor of an awaited root: only the names on the way to it
		// (or the anchor itself going away) matter.
		for _, root := range d.roots {
			if onTheWay(name, root) {
				return true, true
			}
		}
		for end := range d.awaited {
			if onTheWay(name, end) {
				return true, true
			}
		}
	}
	if !d.underRoot(name) {
		return false, false
	}
	if _, watched := d.watched[name]; watched || ((ev.Has(fsnotify.Create) || ev.Has(fsnotify.Chmod)) && d.deep(name) && isDir(name)) {
		// A directory came, went or moved, or its mode changed: made
		// unreadable, what is below it cannot be watched (nor listed);
		// made readable again, it can.
		return true, true
	}
	if !isMarkdown(name) {
		return false, false
	}
	// A link coming or going changes which targets are watched.
	return d.links[name] || isSymlink(name), true
}

// underRoot reports whether name is in a watched tree: a root, or below a
// root but for hidden directories, or in a shallow root's top level.
func (d *DirWatcher) underRoot(name string) bool {
	for _, root := range d.roots {
		if name == root || (d.shallow[root] && filepath.Dir(name) == root) {
			return true
		}
		if !d.shallow[root] && isWithin(root, name) && !hiddenBelow(root, name) {
			return true
		}
	}
	return false
}

// deep reports whether name is below a root watched whole, where a new
// directory is watched too.
func (d *DirWatcher) deep(name string) bool {
	for _, root := range d.roots {
		if !d.shallow[root] && isWithin(root, name) && !hiddenBelow(root, name) {
			return true
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
		_ = filepath.WalkDir(walkable(root), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			p = filepath.Clean(p)
			if e.IsDir() && p != root && (d.shallow[root] || strings.HasPrefix(e.Name(), ".")) {
				return filepath.SkipDir
			}
			if !e.IsDir() && !isMarkdown(p) {
				return nil
			}
			info, err := e.Info()
			if e.Type()&fs.ModeSymlink != 0 {
				info, err = os.Stat(p) // the file it points at: its edits
			}
			if err != nil {
				return nil
			}
			fmt.Fprintf(&b, "%s\x00%d\x00%d\x00%s\n", p, info.Size(), info.ModTime().UnixNano(), info.Mode())
			return nil
		})
	}
	return b.String()
}

// tree lists root's directories (skipping hidden ones, as the loader does;
// all of them below a shallow root) and maps each *.md symbolic link in
// them (in any case, as isMarkdown) to the file it points at (resolved, or where a dangling link
// points). A root that is itself a link to a directory is walked through
// it.
func tree(root string, shallow bool) (dirs []string, links map[string]string) {
	links = map[string]string{}
	_ = filepath.WalkDir(walkable(root), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		p = filepath.Clean(p)
		if e.Type()&fs.ModeSymlink != 0 && isMarkdown(p) {
			links[p] = linkTarget(p)
			return nil
		}
		if !e.IsDir() {
			return nil
		}
		if p != root && (shallow || strings.HasPrefix(e.Name(), ".")) {
			return filepath.SkipDir
		}
		dirs = append(dirs, p)
		return nil
	})
	return dirs, links
}

// walkable is root as filepath.WalkDir walks into it: WalkDir follows no
// link, not even its root, and "link/" is the directory a link names. The
// paths it reports need filepath.Clean to be under root again.
func walkable(root string) string {
	if isSymlink(root) {
		return root + string(filepath.Separator)
	}
	return root
}

// linkTarget is the file link points at, through every link on the way, or
// where they lead when that does not exist (yet).
func linkTarget(link string) string {
	if t, err := filepath.EvalSymlinks(link); err == nil {
		return t
	}
	return pointsAt(link)
}

// onTheWay reports whether name is awaited, below it, or on the way to it.
func onTheWay(name, awaited string) bool {
	return name == awaited || isWithin(awaited, name) || isWithin(name, awaited)
}

// pointsAt is where the link p, or a link on the way to p whose directory
// is missing, leads: followed link by link as far as they lead, even to a
// directory that does not exist (yet). A path with no such link is itself.
// Links on the way to a directory that exists are left as they are: the
// kernel follows them, and a watch set through them reports events under
// p's own path.
func pointsAt(p string) string {
	for range 40 { // as many links as the kernel follows
		// The longest part of p that exists, a dangling link included.
		have, rest := p, ""
		for {
			if _, err := os.Lstat(have); err == nil {
				break
			}
			parent := filepath.Dir(have)
			if parent == have {
				return p
			}
			have, rest = parent, filepath.Join(filepath.Base(have), rest)
		}
		if !isSymlink(have) || rest != "" && isDir(have) {
			return p
		}
		t, err := os.Readlink(have)
		if err != nil {
			return p
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(have), t)
		}
		p = filepath.Join(t, rest)
	}
	return p
}

// isMarkdown reports whether p names a *.md file in any case: the agent
// loader reads *.md, the project context loader *.MD too, and an event
// that may change neither costs one reload that finds nothing changed.
func isMarkdown(p string) bool {
	return len(p) >= 3 && strings.EqualFold(p[len(p)-3:], ".md")
}

func isSymlink(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.Mode()&fs.ModeSymlink != 0
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
