package cli_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's command table stays true: every command it shows exists and
// takes the options it shows, and every command has a row.
func TestReadmeCommandTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Command line\n")
	if !ok {
		t.Fatal("README has no Command line section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\|.*?`mcp-agents ([a-z-]+(?: [a-z]+)?)([^`]*)`")
	option := regexp.MustCompile(`--([a-z_-]+)`)
	h := newHarness(t)
	seen := map[string]bool{}
	rows := row.FindAllStringSubmatch(section, -1)
	for _, m := range rows {
		cmd := strings.Fields(m[1])
		if len(cmd) == 2 && strings.ToUpper(cmd[1]) == cmd[1] {
			cmd = cmd[:1] // "search-agents QUERY": an argument, not a subcommand
		}
		seen[cmd[0]] = true
		r := h.run(t, append(cmd, "--help")...)
		if r.code != 0 {
			t.Errorf("README shows `mcp-agents %s`, which has no help: %+v", m[1], r)
			continue
		}
		for _, o := range option.FindAllStringSubmatch(m[2], -1) {
			if !strings.Contains(r.stdout, "--"+o[1]+" ") && !strings.Contains(r.stdout, "--"+o[1]+",") && !strings.Contains(r.stdout, "--"+o[1]+"\n") {
				t.Errorf("README shows %s --%s, which its help does not list:\n%s", strings.Join(cmd, " "), o[1], r.stdout)
			}
		}
	}
	r := h.run(t, "--help")
	commands := regexp.MustCompile(`(?m)^  ([a-z][a-z-]*) `)
	for _, m := range commands.FindAllStringSubmatch(r.stdout, -1) {
		if m[1] != "help" && !seen[m[1]] {
			t.Errorf("command %s has no row in the README's command table", m[1])
		}
	}
	if len(rows) < 10 {
		t.Errorf("found %d command rows in the README; the pattern no longer matches them", len(rows))
	}
}
