package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// createFlag calls create_flag through c and returns the id the server
// acknowledged.
func createFlag(t *testing.T, c *client.Client, source string) int64 {
	t.Helper()
	var out struct {
		Flag struct {
			ID int64 `json:"id"`
		} `json:"flag"`
	}
	callTool(t, c, "create_flag", map[string]any{
		"flag_type": "change", "source_agent": source, "target_agent": "@ops.containers",
		"change_description": "The users table gained a preferences JSON column used for personalisation.",
		"action_required":    "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release.",
	}, &out)
	return out.Flag.ID
}

// sources lists the source_agent of every flag in the database at path,
// read by a fresh process's store.
func sources(t *testing.T, path string) []string {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, _, err := st.ListFlags(context.Background(), store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.SourceAgent)
	}
	return out
}

// moveFreshDBOver makes a new, empty database beside path and moves it
// over path with mv's rename, leaving path's -wal and -shm where they are.
func moveFreshDBOver(t *testing.T, path string) {
	t.Helper()
	other := filepath.Join(filepath.Dir(path), "other.db")
	st, err := store.Open(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
}

func rmDB(t *testing.T, path string) {
	t.Helper()
	for _, s := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + s); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// Issue 8 item 2's reproduction: the database is removed, or replaced by
// another file, under a running server; every write acknowledged afterwards,
// from it and from a second server started on the new file, survives.
func TestDatabaseRemovedOrReplacedWhileServing(t *testing.T) {
	for _, how := range []string{"rm", "mv"} {
		t.Run(how, func(t *testing.T) {
			s := newSandbox(t)
			first := s.start(t)
			createFlag(t, first, "@before.change")
			switch how {
			case "rm":
				rmDB(t, s.db)
			case "mv":
				moveFreshDBOver(t, s.db)
			}
			a := createFlag(t, first, "@first.after")
			second := s.start(t)
			b := createFlag(t, first, "@first.again")
			c := createFlag(t, second, "@second.server")
			if a != 1 || b != 2 || c != 3 {
				t.Errorf("ids %d, %d, %d; want 1, 2, 3 on the new file", a, b, c)
			}
			got := strings.Join(sources(t, s.db), " ")
			if got != "@first.after @first.again @second.server" {
				t.Errorf("flags in %s: %s", s.db, got)
			}
		})
	}
}

// A database that cannot serve is refused at start-up: exit 1 with a
// message naming the file and the fault.
func TestStartRefusesDamagedDatabase(t *testing.T) {
	tests := []struct {
		name, want string
		damage     func(t *testing.T, path string)
	}{
		{"corrupt past the header", "corrupt", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			var root int64
			err = db.QueryRow("SELECT rootpage FROM sqlite_schema WHERE name = 'flags'").Scan(&root)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xa5}, 4096), (root-1)*4096); err != nil {
				t.Fatal(err)
			}
		}},
		{"read-only file", "read-only", func(t *testing.T, path string) {
			if os.Geteuid() != 0 {
				if err := os.Chmod(path, 0o444); err != nil {
					t.Fatal(err)
				}
				return
			}
			if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
				t.Skipf("cannot make a file read-only as root: %v %s", err, out)
			}
			t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			c := s.start(t)
			for range 20 {
				createFlag(t, c, "@backend.api")
			}
			c.Close()
			tc.damage(t, s.db)
			cmd := exec.Command(binary, "serve", "--db", s.db)
			cmd.Env, cmd.Dir = s.env(), s.cwd
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("want exit 1, got %v\n%s", err, out)
			}
			if !strings.Contains(string(out), s.db) || !strings.Contains(string(out), tc.want) {
				t.Errorf("stderr does not name %s and say %q:\n%s", s.db, tc.want, out)
			}
		})
	}
}

// A server killed while serving leaves its -wal and -shm files; when they
// cannot be written (here made read-only, in a read-only directory), the
// next start exits 1 naming the file. SQLite opened them read-only without
// complaint: the server started, and every write failed.
func TestStartRefusesReadOnlyWAL(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs POSIX permissions, or chattr as root")
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		t.Run(suffix, func(t *testing.T) {
			s := newSandbox(t)
			r := s.startPipes(t)
			r.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_flag","arguments":`+
				`{"flag_type":"change","source_agent":"@backend.api","target_agent":"@ops.containers",`+
				`"change_description":"The users table gained a preferences JSON column used for personalisation.",`+
				`"action_required":"Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."}}}`)
			if got := r.answer(t, 2, 30*time.Second); strings.Contains(got, `"isError":true`) {
				t.Fatalf("create_flag: %s", got)
			}
			r.cmd.Process.Kill()
			r.cmd.Wait()
			for _, sfx := range []string{"-wal", "-shm"} {
				if _, err := os.Stat(s.db + sfx); err != nil {
					t.Fatalf("the killed server left no %s: %v", sfx, err)
				}
			}
			file := s.db + suffix
			if os.Geteuid() != 0 {
				if err := os.Chmod(file, 0o444); err != nil {
					t.Fatal(err)
				}
			} else if out, err := exec.Command("chattr", "+i", file).CombinedOutput(); err != nil {
				t.Skipf("cannot make a file read-only as root: %v %s", err, out)
			} else {
				t.Cleanup(func() { exec.Command("chattr", "-i", file).Run() })
			}
			dir := filepath.Dir(s.db)
			if err := os.Chmod(dir, 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o755) })

			cmd := exec.Command(binary, "serve", "--db", s.db)
			cmd.Env, cmd.Dir = s.env(), s.cwd
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("want exit 1, got %v\n%s", err, out)
			}
			if !strings.Contains(string(out), file+" cannot be written") || !strings.Contains(string(out), "read-only") {
				t.Errorf("stderr does not name %s as unwritable:\n%s", file, out)
			}
		})
	}
}

// A full disk while serving is reported as such, and nothing already
// stored is lost. The disk is a 1 MiB tmpfs (needs mount rights).
func TestDiskFullWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	s := newSandbox(t)
	dir := filepath.Dir(s.db)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	c := s.start(t)
	big := strings.Repeat("Rebuild every image that embeds the users model and redeploy the services. ", 200)
	acked := 0
	var msg string
	for range 500 {
		res := callTool(t, c, "create_flag", map[string]any{
			"flag_type": "change", "source_agent": "@backend.api", "target_agent": "@ops.containers",
			"change_description": "The users table gained a preferences JSON column used for personalisation.",
			"action_required":    big,
		}, nil)
		if res.IsError {
			msg = resultText(res)
			break
		}
		acked++
	}
	if msg != "the database disk is full; nothing was stored" {
		t.Fatalf("after %d creates: error %q, want the disk-full message", acked, msg)
	}
	// The server keeps serving reads, and everything acknowledged is there.
	var list struct {
		Total int `json:"total"`
	}
	callTool(t, c, "list_flags", map[string]any{"status": "all"}, &list)
	if list.Total != acked {
		t.Errorf("list_flags total %d, %d acknowledged", list.Total, acked)
	}
}

// A server that has only read the database, waiting on an inbox, follows a
// file moved over the database (mv, with the old file's -wal and -shm left
// at the path) before the server that wrote does: its wait ends on the
// flag the other server then creates there, and its own writes land in
// the file at the path. It used to open the new file paired with the old
// WAL, which the writing server then deleted from under it: the wait never
// ended, reads showed the old file, and acknowledged writes were lost.
func TestReaderFollowsAFileMovedOverTheDatabase(t *testing.T) {
	s := newSandbox(t)
	writer := s.start(t)
	reader := s.start(t)
	callTool(t, writer, "create_flag", map[string]any{
		"flag_type": "change", "source_agent": "@before.change", "target_agent": "@backend.api",
		"change_description": "The users table gained a preferences JSON column used for personalisation.",
		"action_required":    "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release.",
	}, nil)

	type answer struct {
		res *mcp.CallToolResult
		err error
	}
	waited := make(chan answer, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "get_agent_flags"
		req.Params.Arguments = map[string]any{"agent": "@ops.containers", "wait_seconds": 20}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := reader.CallTool(ctx, req)
		waited <- answer{res, err}
	}()
	time.Sleep(300 * time.Millisecond) // the wait has started

	moveFreshDBOver(t, s.db)
	// The reader's change feed polls every 100 ms: it reaches the new
	// file well before the writer's next call.
	time.Sleep(time.Second)
	start := time.Now()
	createFlag(t, writer, "@writer.after")

	select {
	case a := <-waited:
		if a.err != nil {
			t.Fatal(a.err)
		}
		text := a.res.Content[0].(mcp.TextContent).Text
		if !strings.Contains(text, "@writer.after") {
			t.Errorf("the wait ended without the new flag after %v: %s", time.Since(start), text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end on the flag created in the moved-in file")
	}
	createFlag(t, reader, "@reader.after")
	if got := strings.Join(sources(t, s.db), " "); got != "@writer.after @reader.after" {
		t.Errorf("flags in %s: %s; want both acknowledged flags", s.db, got)
	}
}

// A command run just after the database file was moved (away, or a new
// file over it) while a server that wrote to it sits idle reads and writes
// the file now at the path. The old file's -wal and -shm stayed at the
// path until that server's next call, and SQLite pairs them with whatever
// file has the name: the command listed the old flags, and what it
// created went to the old file. The server follows the move at once now,
// copying the old WAL into the old file, which keeps every flag
// acknowledged before the move.
func TestCommandAfterTheDatabaseMovedSeesTheNewFile(t *testing.T) {
	for _, how := range []string{"away", "over"} {
		t.Run(how, func(t *testing.T) {
			s := newSandbox(t)
			idle := s.start(t)
			createFlag(t, idle, "@before.move")
			backup := filepath.Join(filepath.Dir(s.db), "backup.db")
			switch how {
			case "away":
				if err := os.Rename(s.db, backup); err != nil {
					t.Fatal(err)
				}
			case "over":
				if err := os.Link(s.db, backup); err != nil {
					t.Fatal(err)
				}
				moveFreshDBOver(t, s.db)
			}
			time.Sleep(300 * time.Millisecond) // the time a script takes to run its next command, or more

			out, errOut, code := s.cli(t, "flags", "list", "--db", s.db)
			if code != 0 || strings.Contains(out, "@before.move") || !strings.Contains(out, `"total": 0`) {
				t.Errorf("flags list after the move (exit %d) shows other than the empty new file:\n%s%s", code, out, errOut)
			}
			if _, errOut, code := s.cli(t, "create-flag", "--db", s.db, "--flag_type", "change",
				"--source_agent", "@cli.after", "--target_agent", "@ops.containers",
				"--change_description", "The users table gained a preferences JSON column used for personalisation.",
				"--action_required", "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."); code != 0 {
				t.Fatalf("create-flag after the move: exit %d: %s", code, errOut)
			}
			createFlag(t, idle, "@server.after")
			if got := strings.Join(sources(t, s.db), " "); got != "@cli.after @server.after" {
				t.Errorf("flags in %s: %s; want the two created after the move", s.db, got)
			}
			if got := strings.Join(sources(t, backup), " "); got != "@before.move" {
				t.Errorf("flags in the old file: %s; want the one acknowledged before the move", got)
			}
		})
	}
}

// A restore done as two moves (mv agents.db backup.db; mv restore.db
// agents.db) while a server that wrote to the database sits idle, and
// another pushes an inbox (--notify: its change feed polls): the servers
// follow the first move without creating a file at the path, so the
// restored file is not paired with a WAL made in between, which hid its
// flags and took the writes made after it.
func TestRestoreByTwoMovesWhileServing(t *testing.T) {
	s := newSandbox(t)
	idle := s.start(t)
	createFlag(t, idle, "@before.move")
	s.start(t, "--notify", "@ops.containers")
	time.Sleep(300 * time.Millisecond) // its feed polls
	dir := filepath.Dir(s.db)
	backup, restore := filepath.Join(dir, "backup.db"), filepath.Join(dir, "restore.db")
	cliCreateFlag(t, s, restore, "@in.restore")

	if err := os.Rename(s.db, backup); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server follows
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(s.db + suffix); err == nil {
			t.Errorf("%s is there between the two moves", filepath.Base(s.db+suffix))
		}
	}
	if err := os.Rename(restore, s.db); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)

	out, errOut, code := s.cli(t, "flags", "list", "--db", s.db)
	if code != 0 || !strings.Contains(out, "@in.restore") || !strings.Contains(out, `"total": 1`) {
		t.Errorf("flags list after the restore (exit %d) shows other than the restored file:\n%s%s", code, out, errOut)
	}
	cliCreateFlag(t, s, s.db, "@cli.after")
	createFlag(t, idle, "@server.after")
	if got := strings.Join(sources(t, s.db), " "); got != "@in.restore @cli.after @server.after" {
		t.Errorf("flags in %s: %s; want the restored one and the two created after", s.db, got)
	}
	if got := strings.Join(sources(t, backup), " "); got != "@before.move" {
		t.Errorf("flags in the backup: %s; want the one acknowledged before the move", got)
	}
}

func cliCreateFlag(t *testing.T, s sandbox, db, source string) {
	t.Helper()
	if _, errOut, code := s.cli(t, "create-flag", "--db", db, "--flag_type", "change",
		"--source_agent", source, "--target_agent", "@ops.containers",
		"--change_description", "The users table gained a preferences JSON column used for personalisation.",
		"--action_required", "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."); code != 0 {
		t.Fatalf("create-flag --db %s: exit %d: %s", db, code, errOut)
	}
}
