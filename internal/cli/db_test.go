package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsPostgresURL(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"postgres://u@h/db", true},
		{"postgresql://u@h:5432/db?sslmode=require", true},
		{"  POSTGRES://u@h/db", true},
		{"/var/lib/agents.db", false},
		{"postgres.db", false},
		{"./postgres://x", false},
		{"mysql://u@h/db", false},
		{"", false},
	} {
		if got := isPostgresURL(tt.in); got != tt.want {
			t.Errorf("isPostgresURL(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDBTarget(t *testing.T) {
	cwd := t.TempDir()
	for _, tt := range []struct {
		name, flag, envDB string
		want              string
		pg                bool
	}{
		{"flag URL", "postgres://u:p@h/db", "", "postgres://u:p@h/db", true},
		{"env URL", "", "postgresql://u@h/db?pool_max_conns=4", "postgresql://u@h/db?pool_max_conns=4", true},
		{"scheme in capitals", " PostgreSQL://U@H/DB ", "", "postgresql://U@H/DB", true},
		{"flag wins over env", "rel/agents.db", "postgres://u@h/db", filepath.Join(cwd, "rel", "agents.db"), false},
		{"env path", "", "x.db", filepath.Join(cwd, "x.db"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{
				Getenv: func(k string) string {
					if k == "MCP_AGENTS_DB" {
						return tt.envDB
					}
					return ""
				},
				Getwd:   func() (string, error) { return cwd, nil },
				HomeDir: func() (string, error) { return "", errors.New("no home") },
			}
			e := &env{opts: opts, set: readSettings(opts)}
			e.cfg.db = tt.flag
			got, pg, err := e.dbTarget()
			if err != nil || got != tt.want || pg != tt.pg {
				t.Errorf("dbTarget() = %q, %v, %v; want %q, %v", got, pg, err, tt.want, tt.pg)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	for _, tt := range []struct {
		url, secret string
	}{
		{"postgres://mcp:hunter2@db.example.com/flags", "hunter2"},
		{"postgres://mcp:p%40ss%2Fw@db.example.com/flags", "p@ss/w"},
		{"postgresql://mcp@db.example.com/flags?password=s3cr%26t&sslmode=require", "s3cr&t"},
	} {
		if got := redactURL(tt.url); strings.Contains(got, tt.secret) || !strings.Contains(got, "db.example.com") {
			t.Errorf("redactURL(%q) = %q", tt.url, got)
		}
		cause := errors.New("connect failed")
		for _, msg := range []string{
			fmt.Sprintf("cannot parse `%s`", tt.url),
			"password " + tt.secret + " refused",
		} {
			err := redactErr(fmt.Errorf("%s: %w", msg, cause), secretsOf(tt.url))
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("redactErr kept the password of %q: %v", tt.url, err)
			}
			if !errors.Is(err, cause) {
				t.Errorf("redactErr lost the cause: %v", err)
			}
		}
	}
	plain := errors.New("nothing secret here")
	if got := redactErr(plain, secretsOf("postgres://u@h/db")); got != plain {
		t.Errorf("an error without secrets changed: %v", got)
	}
}
