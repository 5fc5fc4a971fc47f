package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/project"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// agentWatch is the watcher on the agent directories. It starts before the
// catalog loads, so that putting ~100 watches in place (2–9 ms for the
// 412-file corpus) overlaps loading it instead of delaying the first
// answer; the reloads it triggers wait until goLive gives it the server.
type agentWatch struct {
	w      *live.DirWatcher
	r      atomic.Pointer[reloader]
	ready  chan struct{} // closed once r is set, or on close
	closed sync.Once
}

// watchAgents returns once the watches are in place: on the trees of
// roots, and on the top level of each of shallow.
func watchAgents(roots, shallow, ownPaths []string, log *slog.Logger) *agentWatch {
	aw := &agentWatch{ready: make(chan struct{})}
	aw.w = live.WatchDirs(roots, aw.reload, live.DirOptions{
		Log:     log,
		Ignore:  func(p string) bool { return underAny(p, ownPaths) },
		Shallow: shallow,
	})
	return aw
}

func (aw *agentWatch) reload() {
	<-aw.ready
	if r := aw.r.Load(); r != nil {
		r.reload()
	}
}

func (aw *agentWatch) close() {
	aw.closed.Do(func() { close(aw.ready) })
	aw.w.Close()
}

// goLive starts what keeps a serving process current: reloads of the
// catalog on aw's events, and a detector on the database that wakes
// waiting calls and inbox subscribers. One rescan follows shortly, since
// the catalog may have come from the start-up cache; it logs no warning
// that loading ic logged already. The returned function stops the
// reloads and the detector.
func (e *env) goLive(ctx context.Context, svc *server.Service, db flagDB, aw *agentWatch, ic *indexedCatalog) func() {
	feed, err := changeFeed(db, e.log)
	if err != nil {
		e.log.Warn("cannot watch the flags database; waits return at once and inboxes are not pushed", "err", err)
	} else {
		svc.Feed = live.NewDetector(feed, live.DetectorOptions{
			OnError: func(err error) {
				e.log.Error("watching the flags database failed; retrying", "err", err)
			},
			Observe: func(u live.Update) {
				for _, ch := range u.Changes {
					if ch.Kind == store.EventTakeover {
						e.log.Info("lease taken over", "flag_id", ch.FlagID, "by", ch.Agent, "from", ch.PreviousHolder)
					}
				}
			},
		})
	}
	stopChannel, err := svc.StartChannel(ctx)
	if err != nil {
		e.log.Warn("cannot watch the flags database; --notify pushes nothing", "err", err)
		stopChannel = func() {}
	}
	warned := map[string]bool{}
	for _, w := range ic.warnings {
		warned[warningKey(w)] = true
	}
	aw.r.Store(&reloader{ctx: ctx, e: e, svc: svc, fingerprint: ic.key, warned: warned})
	aw.closed.Do(func() { close(aw.ready) })
	// The rescan waits as long as an edit's debounce would: it is rarely
	// needed (the catalog was fingerprinted moments ago) and at once it
	// competed with the first calls for the CPU.
	rescan := time.AfterFunc(live.Debounce, aw.w.Rescan)
	return func() {
		rescan.Stop()
		stopChannel()
		aw.close()
		if feed != nil {
			feed.Close()
		}
	}
}

// projectDirs lists where project context documents come from: the
// nearest .claude/project above the working directory (or, for watching
// when there is none, where one would appear), then each --context.
func (e *env) projectDirs(forWatching bool) []string {
	var dirs []string
	if cwd := e.set.cwd; e.set.cwdErr == nil {
		if near := project.Nearest(cwd); near != "" {
			dirs = append(dirs, near)
		} else if forWatching {
			dirs = append(dirs, filepath.Join(cwd, ".claude", "project"))
		}
	}
	return append(dirs, e.cfg.contextDirs...)
}

// loadProject loads the project context documents, warning about each
// one skipped once per version of it (by its path and modification time,
// its target's for a link), as agent files are warned about: a skipped
// document was warned about at start, again at the start-up rescan, and
// at every reload after, whatever changed. Serving loads the documents
// once, then only from reloads, which run one at a time.
func (e *env) loadProject() *project.Docs {
	docs, skipped := project.Load(e.projectDirs(false))
	now := map[string]bool{}
	for _, sk := range skipped {
		key := sk.Path
		if st, err := os.Stat(sk.Path); err == nil {
			key += "\x00" + st.ModTime().String()
		}
		now[key] = true
		if !e.projectWarned[key] {
			e.log.Warn("project context document skipped", "file", sk.Path, "reason", sk.Reason)
		}
	}
	e.projectWarned = now
	return docs
}

// notifyHandles reads --notify (opt, as typed) when it was given (given), else
// MCP_AGENTS_NOTIFY: a comma-separated list of agent handles. A list that
// names no handle ("", ",") is refused: it cannot be what was meant, and
// it pushed nothing without a word. (An unset or blank variable is no
// list.) Aliases are kept as given: the server resolves them against the
// catalog it has when a flag arrives, as it does every handle argument.
func notifyHandles(opt, flagValue string, given bool, envValue string) ([]string, error) {
	from, v := opt, flagValue
	if !given {
		if strings.TrimSpace(envValue) == "" {
			return nil, nil
		}
		from, v = "MCP_AGENTS_NOTIFY", envValue
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		h, err := agent.CanonicalHandle(strings.TrimSpace(part))
		if err != nil {
			return nil, usagef("%s: %q is not an agent handle (%v); give handles such as @ops.containers, comma-separated", from, part, err)
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, usagef("%s: %q names no agent; give handles such as @ops.containers, comma-separated", from, v)
	}
	return out, nil
}

// warnUnknownNotify says which --notify handles name no agent of the
// catalog (nor an alias of one): a typo pushes nothing, though the handle
// may be meant for an agent defined elsewhere, so it is kept.
func warnUnknownNotify(log *slog.Logger, cat *agent.Catalog, handles []string) {
	for _, h := range handles {
		if _, ok := cat.Get(h); !ok {
			log.Warn("--notify: no agent of the catalog has this name or alias (kept: flags for it made by a server whose catalog has it are pushed)", "agent", h)
		}
	}
}

// endOfInput calls atEOF when the client's input ends: the server then
// answers what it has read before exiting, and calls waiting for flags
// should answer at once rather than hold the exit for up to 50 s.
type endOfInput struct {
	r     io.Reader
	atEOF func()
}

func (e endOfInput) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.atEOF()
	}
	return n, err
}

// watchRoots lists the directories agents may come from: the user and
// project defaults even when they do not exist yet (the watcher waits for
// them), and every directory source; and, in shallow, those of the project
// documents (the .claude/project directory and each --context), of which
// only the files at the top are read, so only the top is watched: a
// --context at the root of a big tree cost a watch per directory in it.
func (e *env) watchRoots(srcs []agent.Source) (roots, shallow []string) {
	if e.set.home != "" {
		roots = append(roots, filepath.Join(e.set.home, ".claude", "agents"))
	}
	if e.set.cwdErr == nil {
		roots = append(roots, filepath.Join(e.set.cwd, ".claude", "agents"))
	}
	for _, s := range srcs {
		if s.Label != "builtin" {
			roots = append(roots, s.Root)
		}
	}
	roots = append(roots, filepath.SplitList(e.set.envDirs)...)
	roots = append(roots, e.cfg.agentDirs...)
	// A directory that holds both agents and documents is watched whole.
	seen := map[string]bool{}
	return absUnique(roots, seen), absUnique(e.projectDirs(true), seen)
}

// absUnique returns dirs made absolute, without blanks and without those
// in seen, which it adds them to.
func absUnique(dirs []string, seen map[string]bool) []string {
	var out []string
	for _, r := range dirs {
		if strings.TrimSpace(r) == "" {
			continue
		}
		if abs, err := filepath.Abs(r); err == nil && !seen[abs] {
			seen[abs] = true
			out = append(out, abs)
		}
	}
	return out
}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if d != "" && (p == d || strings.HasPrefix(p, d+string(filepath.Separator)) || strings.HasPrefix(p, d+"-")) {
			return true
		}
	}
	return false
}

// reloader rebuilds the catalog from the agent files and swaps it in.
type reloader struct {
	ctx context.Context // the server's: ends a reload when serving ends
	e   *env
	svc *server.Service

	mu          sync.Mutex
	fingerprint string
	warned      map[string]bool // warnings already logged, by text and file time
}

func (r *reloader) reload() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.svc.SetProjectDocs(r.e.loadProject()) {
		r.e.log.Info("project context reloaded", "documents", len(r.svc.ProjectDocs().List()))
	}
	start := time.Now()
	srcs, discoverWarnings, err := r.e.sources()
	if err != nil {
		r.e.log.Warn("agent reload failed", "err", err)
		return
	}
	fp, err := agent.Fingerprint(srcs)
	if err == nil && fp == r.fingerprint {
		return // nothing an agent is made of changed
	}
	cat, warnings, err := agent.Load(r.ctx, srcs)
	if err != nil {
		r.e.log.Debug("agent reload stopped", "err", err)
		return
	}
	again, kept := agent.LastGood(srcs, r.svc.Agents.Catalog(), cat, warnings)
	if len(kept) > 0 {
		if cat, _, err = agent.Load(r.ctx, again); err != nil {
			return
		}
	}
	index := search.NewIndex(cat.All())
	res := r.svc.ReplaceAgents(cat, index)
	r.fingerprint = fp
	r.logWarnings(append(discoverWarnings, warnings...), kept)
	if !res.Empty() {
		r.e.log.Info("agents reloaded", "agents", cat.Len(),
			"added", strings.Join(res.Added, ","), "changed", strings.Join(res.Changed, ","),
			"removed", strings.Join(res.Removed, ","), "took", time.Since(start).Round(time.Millisecond))
	}
}

// warningKey tells one version of a file's warning from another.
func warningKey(w agent.Warning) string {
	key := w.String()
	if st, err := os.Stat(w.Path); err == nil {
		key += "\x00" + st.ModTime().String()
	}
	return key
}

// logWarnings logs each warning once per version of its file: a broken
// file gets one warning per edit, not one per reload.
func (r *reloader) logWarnings(warnings []agent.Warning, kept []string) {
	keep := map[string]bool{}
	for _, k := range kept {
		keep[k] = true
	}
	now := map[string]bool{}
	for _, w := range warnings {
		key := warningKey(w)
		now[key] = true
		if r.warned[key] {
			continue
		}
		switch {
		case keep[w.Path] && isDir(w.Path):
			r.e.log.Warn("agent directory cannot be read; keeping its agents' last good versions", "dir", w.Path, "reason", w.Reason)
		case keep[w.Path]:
			r.e.log.Warn("agent file rejected; keeping its last good version", "file", w.Path, "reason", w.Reason)
		default:
			r.e.log.Warn("agent file skipped or overridden", "file", w.Path, "reason", w.Reason)
		}
	}
	r.warned = now
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
