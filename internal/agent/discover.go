package agent

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DiscoverOptions says where to look for agent directories.
type DiscoverOptions struct {
	// Builtin is the embedded agent set; nil means --no-builtin.
	Builtin fs.FS
	// Home is the user's home directory; "" skips the user layer.
	Home string
	// Cwd is where the project search starts; "" skips the project layer.
	Cwd string
	// EnvDirs is the raw MCP_AGENTS_DIRS value, split on
	// os.PathListSeparator; empty entries are ignored.
	EnvDirs string
	// Dirs are the --agents directories, in the order given.
	Dirs []string
}

// Discover lists agent sources, lowest precedence first: builtin, the user
// directory <Home>/.claude/agents, the nearest <dir>/.claude/agents found
// walking up from Cwd (unless it is the user directory), each
// MCP_AGENTS_DIRS entry, then each --agents directory. Missing default
// directories are skipped silently; a missing or non-directory explicit one
// yields a warning.
func Discover(opts DiscoverOptions) ([]Source, []Warning) {
	var (
		sources []Source
		warns   []Warning
	)
	if opts.Builtin != nil {
		sources = append(sources, Source{Label: "builtin", Root: "builtin", FS: opts.Builtin})
	}

	var userInfo os.FileInfo
	if opts.Home != "" {
		dir := filepath.Join(opts.Home, ".claude", "agents")
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			userInfo = st
			sources = append(sources, dirSource("user", dir))
		}
	}
	if opts.Cwd != "" {
		if dir, st, ok := findProjectDir(opts.Cwd); ok && (userInfo == nil || !os.SameFile(st, userInfo)) {
			sources = append(sources, dirSource("project", dir))
		}
	}

	for _, dir := range filepath.SplitList(opts.EnvDirs) {
		if strings.TrimSpace(dir) == "" {
			continue
		}
		if w, ok := checkExplicitDir(dir, "MCP_AGENTS_DIRS"); !ok {
			warns = append(warns, w)
			continue
		}
		sources = append(sources, dirSource("env", dir))
	}
	for _, dir := range opts.Dirs {
		if w, ok := checkExplicitDir(dir, "--agents"); !ok {
			warns = append(warns, w)
			continue
		}
		sources = append(sources, dirSource("dir", dir))
	}
	return sources, warns
}

func dirSource(label, dir string) Source {
	return Source{Label: label, Root: dir, FS: os.DirFS(dir)}
}

// findProjectDir returns the nearest .claude/agents directory at or above
// cwd. It stops at the first .claude/agents found, even if that turns out to
// be the user directory, because that is the one Claude Code would use.
func findProjectDir(cwd string) (string, os.FileInfo, bool) {
	dir, err := filepath.Abs(cwd)
	if err != nil {
		return "", nil, false
	}
	for {
		cand := filepath.Join(dir, ".claude", "agents")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand, st, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil, false
		}
		dir = parent
	}
}

func checkExplicitDir(dir, from string) (Warning, bool) {
	st, err := os.Stat(dir)
	switch {
	case err != nil && os.IsNotExist(err):
		return Warning{Path: dir, Reason: "agents directory from " + from + " does not exist; skipped"}, false
	case err != nil:
		return Warning{Path: dir, Reason: "agents directory from " + from + " cannot be read: " + err.Error() + "; skipped"}, false
	case !st.IsDir():
		return Warning{Path: dir, Reason: "agents directory from " + from + " is not a directory; skipped"}, false
	}
	return Warning{}, true
}
