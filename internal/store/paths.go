package store

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ProjectDir and FileName form the project-local database path
// "<project>/.mcp-agents/agents.db".
const (
	ProjectDir = ".mcp-agents"
	FileName   = "agents.db"
	EnvDB      = "MCP_AGENTS_DB"
)

// ResolvePath picks the database path: flagValue (--db) first, then
// $MCP_AGENTS_DB, then the nearest ".mcp-agents/agents.db" whose
// ".mcp-agents" directory exists walking up from cwd, then the per-user
// data directory. getenv is injected so tests control the environment.
func ResolvePath(flagValue string, getenv func(string) string, cwd string) (string, error) {
	if v := strings.TrimSpace(flagValue); v != "" {
		return absFrom(cwd, v)
	}
	if v := strings.TrimSpace(getenv(EnvDB)); v != "" {
		return absFrom(cwd, v)
	}
	if cwd != "" {
		dir, err := filepath.Abs(cwd)
		if err != nil {
			return "", err
		}
		for {
			if fi, err := os.Stat(filepath.Join(dir, ProjectDir)); err == nil && fi.IsDir() {
				return filepath.Join(dir, ProjectDir, FileName), nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	data, err := userDataDir(getenv, runtime.GOOS)
	if err != nil {
		return "", err
	}
	return filepath.Join(data, "mcp-agents", FileName), nil
}

func absFrom(cwd, p string) (string, error) {
	if filepath.IsAbs(p) || cwd == "" {
		return filepath.Abs(p)
	}
	return filepath.Clean(filepath.Join(cwd, p)), nil
}

// userDataDir is the per-user data directory for goos.
func userDataDir(getenv func(string) string, goos string) (string, error) {
	if v := getenv("XDG_DATA_HOME"); v != "" && filepath.IsAbs(v) {
		return v, nil
	}
	switch goos {
	case "windows":
		if v := getenv("LocalAppData"); v != "" {
			return v, nil
		}
		if v := getenv("USERPROFILE"); v != "" {
			return filepath.Join(v, "AppData", "Local"), nil
		}
		return "", errors.New("store: cannot find the per-user data directory: %LocalAppData% is not set; pass --db or set " + EnvDB)
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("store: cannot find the per-user data directory: $HOME is not set; pass --db or set " + EnvDB)
	}
	if goos == "darwin" {
		return filepath.Join(home, "Library", "Application Support"), nil
	}
	return filepath.Join(home, ".local", "share"), nil
}
