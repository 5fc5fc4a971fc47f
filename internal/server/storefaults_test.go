package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

func newFlagArgs() map[string]any {
	return map[string]any{
		"flag_type": "change", "source_agent": "@backend.api", "target_agent": "@ops.containers",
		"change_description": "The users table gained a preferences JSON column used for personalisation.",
		"action_required":    "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release.",
	}
}

// Store faults reach the client as isError results that say what is wrong,
// never as an internal error.
func TestStoreFaultsReachTheClient(t *testing.T) {
	t.Run("database removed", func(t *testing.T) {
		f := newFixture(t)
		var out struct{ Flag store.Flag }
		f.ok(t, "create_flag", newFlagArgs(), &out)
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(f.store.Path() + s)
		}
		f.ok(t, "create_flag", newFlagArgs(), &out)
		if out.Flag.ID != 1 {
			t.Errorf("first flag on the new file has id %d", out.Flag.ID)
		}
		var list struct{ Total int }
		f.ok(t, "list_flags", map[string]any{}, &list)
		if list.Total != 1 {
			t.Errorf("list_flags total %d, want 1", list.Total)
		}
	})
	t.Run("database replaced by another file", func(t *testing.T) {
		f := newFixture(t)
		path := f.store.Path()
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(path + s)
		}
		if err := os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 300), 0o644); err != nil {
			t.Fatal(err)
		}
		msg := f.fails(t, "create_flag", newFlagArgs(), "replaced or removed", "nothing was stored")
		if strings.Contains(msg, "internal") || strings.Contains(msg, path) {
			t.Errorf("message %q", msg)
		}
		// The path and the driver's error are for the operator: in the
		// server's log, at its level.
		if log := f.log.String(); !strings.Contains(log, "database fault") || !strings.Contains(log, path) {
			t.Errorf("server log:\n%s", log)
		}
	})
	t.Run("corrupt page", func(t *testing.T) {
		f := newFixture(t)
		ctx := context.Background()
		// Clients that ask get the server's log records too, but not the
		// operator's attributes (the database's path or URL).
		f.svc.Log = slog.New(f.svc.ClientLog(slog.NewTextHandler(f.log, nil)))
		clientLog := make(chan map[string]any, 16)
		f.client.OnNotification(func(n mcp.JSONRPCNotification) {
			if n.Method == string(mcp.MethodNotificationMessage) {
				if data, ok := n.Params.AdditionalFields["data"].(map[string]any); ok {
					clientLog <- data
				}
			}
		})
		level := mcp.SetLevelRequest{}
		level.Params.Level = mcp.LoggingLevelError
		if err := f.client.SetLevel(ctx, level); err != nil {
			t.Fatal(err)
		}
		for range 300 {
			in := store.NewFlag{FlagType: "change", SourceAgent: "@backend.api", TargetAgent: "@ops.containers",
				ChangeDescription: newFlagArgs()["change_description"].(string), ActionRequired: newFlagArgs()["action_required"].(string)}
			if _, err := f.store.CreateFlag(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		// Move every page into the file, then damage a leaf in the middle
		// of the flags table, where the start-up probe does not look.
		path := f.store.Path()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			t.Fatal(err)
		}
		var pages []int64
		rows, err := db.Query("SELECT pageno FROM dbstat WHERE name = 'flags' AND pagetype = 'leaf' ORDER BY pageno")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p int64
			rows.Scan(&p)
			pages = append(pages, p)
		}
		rows.Close()
		fh, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fh.WriteAt(bytes.Repeat([]byte{0xa5}, 4096), (pages[len(pages)/2]-1)*4096)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		msg := f.fails(t, "list_flags", map[string]any{"limit": 1000}, "the database file is corrupt")
		if strings.Contains(msg, path) {
			t.Errorf("message %q names the file", msg)
		}
		// The driver's error names no file, so the log line does: an
		// operator with several databases must know which one is corrupt.
		var fault string
		for line := range strings.Lines(f.log.String()) {
			if strings.Contains(line, "database fault") {
				fault = line
			}
		}
		if !strings.Contains(fault, "db="+path) {
			t.Errorf("the database fault's log line does not name %s:\n%s", path, f.log.String())
		}
		select {
		case data := <-clientLog:
			if data["message"] != "database fault" || data["db"] != nil || strings.Contains(fmt.Sprint(data), path) {
				t.Errorf("the client's log message %v names the database", data)
			}
		case <-time.After(5 * time.Second):
			t.Error("no log message reached the client that asked for errors")
		}
	})
}
