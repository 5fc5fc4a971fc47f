package store

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolvePath(t *testing.T) {
	root := t.TempDir()
	project := filepath.Join(root, "proj")
	deep := filepath.Join(project, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(project, ProjectDir), 0o755); err != nil {
		t.Fatal(err)
	}
	// A file named .mcp-agents does not count: only a directory marks a project.
	if err := os.WriteFile(filepath.Join(deep, ProjectDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	noProject := filepath.Join(root, "elsewhere")
	if err := os.Mkdir(noProject, 0o755); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	home := filepath.Join(root, "home")
	tests := []struct {
		name, flag string
		env        map[string]string
		cwd, want  string
	}{
		{"flag wins", "x.db", map[string]string{EnvDB: "/env.db"}, deep, filepath.Join(deep, "x.db")},
		{"absolute flag", "/abs/f.db", nil, deep, "/abs/f.db"},
		{"env next", "", map[string]string{EnvDB: "/env/agents.db"}, deep, "/env/agents.db"},
		{"relative env from cwd", "", map[string]string{EnvDB: "rel.db"}, deep, filepath.Join(deep, "rel.db")},
		{"nearest project dir", "", map[string]string{"HOME": home}, deep, filepath.Join(project, ProjectDir, FileName)},
		{"project root itself", "", map[string]string{"HOME": home}, project, filepath.Join(project, ProjectDir, FileName)},
		{"xdg data home", "", map[string]string{"HOME": home, "XDG_DATA_HOME": "/xdg"}, noProject, "/xdg/mcp-agents/agents.db"},
		{"relative xdg ignored", "", map[string]string{"HOME": home, "XDG_DATA_HOME": "rel"}, noProject, filepath.Join(home, ".local/share/mcp-agents/agents.db")},
		{"home fallback", "", map[string]string{"HOME": home}, noProject, filepath.Join(home, ".local/share/mcp-agents/agents.db")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolvePath(tc.flag, env(tc.env), tc.cwd)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := ResolvePath("", env(nil), noProject); err == nil {
		t.Error("no HOME, no XDG: want an error")
	}
}

func TestUserDataDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"HOME": "/h"}, "/h/.local/share"},
		{"darwin", map[string]string{"HOME": "/h"}, filepath.Join("/h", "Library", "Application Support")},
		{"windows", map[string]string{"LocalAppData": `C:\Users\u\AppData\Local`}, `C:\Users\u\AppData\Local`},
		{"darwin", map[string]string{"HOME": "/h", "XDG_DATA_HOME": "/x"}, "/x"},
	}
	for _, tc := range tests {
		got, err := userDataDir(env(tc.env), tc.goos)
		if err != nil || got != tc.want {
			t.Errorf("%s %v: %q, %v; want %q", tc.goos, tc.env, got, err, tc.want)
		}
	}
	if _, err := userDataDir(env(nil), "windows"); err == nil {
		t.Error("windows without LocalAppData: want an error")
	}
}
