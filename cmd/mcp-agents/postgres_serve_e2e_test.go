package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
)

// TestPostgresStdioProcessesShareFlags: two stdio servers on one
// PostgreSQL database see each other's flags, and a flag's lease and
// completion hold across them.
func TestPostgresStdioProcessesShareFlags(t *testing.T) {
	s := newSandbox(t)
	s.db = pgtest.URL(t)
	a, b := s.start(t), s.start(t)

	var created flagOut
	callTool(t, a, "create_flag", flagArgs("@frontend.react"), &created)
	var inbox struct {
		Flags []struct {
			ID int64 `json:"id"`
		} `json:"flags"`
	}
	callTool(t, b, "get_agent_flags", map[string]any{"agent": "@frontend.react"}, &inbox)
	if len(inbox.Flags) != 1 || inbox.Flags[0].ID != created.Flag.ID {
		t.Fatalf("process B's inbox %+v, want flag %d created by process A", inbox.Flags, created.Flag.ID)
	}
	var locked flagOut
	callTool(t, b, "lock_flag", map[string]any{"flag_id": created.Flag.ID, "agent": "@frontend.react"}, &locked)
	if locked.Flag.LockedBy != "@frontend.react" {
		t.Fatalf("lock: %+v", locked.Flag)
	}
	res := callTool(t, a, "lock_flag", map[string]any{"flag_id": created.Flag.ID, "agent": "@ops.containers"}, nil)
	if !res.IsError || !strings.Contains(resultText(res), "locked by @frontend.react") {
		t.Fatalf("lock by another agent in process A: %s", resultText(res))
	}
	// The board reads the same database.
	board := s.startBoard(t)
	for _, path := range []string{"/board/api/summary", "/board/api/flags/" + strconv.FormatInt(created.Flag.ID, 10)} {
		resp, err := http.Get(board + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "amounts in minor units") || !strings.Contains(string(body), "@frontend.react") {
			t.Errorf("board %s on PostgreSQL: %d %s", path, resp.StatusCode, body)
		}
	}
	var done flagOut
	callTool(t, b, "complete_flag", map[string]any{"flag_id": created.Flag.ID, "agent": "@frontend.react", "notes": "moved to minor units"}, &done)
	var detail struct {
		Flag struct {
			Status string `json:"status"`
		} `json:"flag"`
		Events []struct {
			Kind string `json:"kind"`
		} `json:"events"`
	}
	callTool(t, a, "get_flag", map[string]any{"flag_id": created.Flag.ID}, &detail)
	var kinds []string
	for _, e := range detail.Events {
		kinds = append(kinds, e.Kind)
	}
	if detail.Flag.Status != "completed" || strings.Join(kinds, ",") != "created,locked,completed" {
		t.Fatalf("process A sees status %s and events %v", detail.Flag.Status, kinds)
	}
}

// TestPostgresHTTPWithTokens: tokens made with the CLI on PostgreSQL
// authenticate at a team server on the same database, whose identity
// rules hold.
func TestPostgresHTTPWithTokens(t *testing.T) {
	s := newSandbox(t)
	s.db = pgtest.URL(t)
	tokA, idA := s.token(t, "@backend.api", "agent")
	tokB, _ := s.token(t, "@frontend.react", "agent")
	hs := s.startHTTP(t)
	if !strings.Contains(hs.stderr.String(), "database postgres://") {
		t.Errorf("the start-up line does not name the PostgreSQL database:\n%s", hs.stderr.String())
	}
	if resp := hs.raw(t, "GET", "/readyz", "", "", ""); resp.StatusCode != 200 {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
	if resp := hs.raw(t, "POST", "/mcp", "mcpa_not-a-token", "", initializeBody); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", resp.StatusCode)
	}
	ca, cb := hs.connect(t, tokA), hs.connect(t, tokB)
	args := flagArgs("@frontend.react")
	delete(args, "source_agent") // from the token
	var created flagOut
	callTool(t, ca.c, "create_flag", args, &created)
	if created.Flag.Source != "@backend.api" {
		t.Fatalf("source_agent %q, want the token's agent", created.Flag.Source)
	}
	spoof := flagArgs("@frontend.react")
	spoof["source_agent"] = "@ops.containers"
	if res := callTool(t, ca.c, "create_flag", spoof, nil); !res.IsError || !strings.Contains(resultText(res), "@backend.api") {
		t.Fatalf("acting as another agent: %s", resultText(res))
	}
	callTool(t, cb.c, "lock_flag", map[string]any{"flag_id": created.Flag.ID}, nil)
	var done flagOut
	callTool(t, cb.c, "complete_flag", map[string]any{"flag_id": created.Flag.ID}, &done)
	if done.Flag.Status != "completed" {
		t.Fatalf("complete: %+v", done.Flag)
	}
	var detail struct {
		Events []struct {
			Kind    string  `json:"kind"`
			TokenID *string `json:"token_id"`
		} `json:"events"`
	}
	callTool(t, ca.c, "get_flag", map[string]any{"flag_id": created.Flag.ID}, &detail)
	if len(detail.Events) != 3 || detail.Events[0].TokenID == nil || *detail.Events[0].TokenID != idA {
		t.Fatalf("events %+v, want created under token %s, then locked and completed", detail.Events, idA)
	}
	out, _, code := s.cli(t, "tokens", "list", "--db", s.db)
	if code != 0 || !strings.Contains(out, idA) || strings.Contains(out, tokA) {
		t.Fatalf("tokens list (exit %d): %s", code, out)
	}
}

// TestPostgresOutageWhileServing stops the database under a team server
// and a stdio server: calls are answered with the unavailability (nothing
// stored), /readyz turns 503, and both recover by themselves when the
// database returns, with every acknowledged flag still there.
func TestPostgresOutageWhileServing(t *testing.T) {
	c := startCluster(t)
	const password = "pw-never-printed"
	s := newSandbox(t)
	s.db = c.url(password)
	hs := s.startHTTP(t, "--no-auth")
	web := hs.connect(t, "")
	std := s.start(t)
	tok, _ := s.token(t, "@backend.api", "admin")
	authed := s.startHTTP(t)
	withToken := authed.connect(t, tok)
	clients := map[string]*client.Client{"http": web.c, "stdio": std, "http with a token": withToken.c}

	acknowledged := 0
	for name, cl := range clients {
		if res := callTool(t, cl, "create_flag", flagArgs("@frontend.react"), nil); res.IsError {
			t.Fatalf("%s before the outage: %s", name, resultText(res))
		}
		acknowledged++
	}

	c.stop(t)
	// Past the token cache's 5 s: the token server must still let a token
	// it verified through to the tools, which report the outage.
	time.Sleep(6 * time.Second)
	for name, cl := range clients {
		res := callTool(t, cl, "create_flag", flagArgs("@frontend.react"), nil)
		if !res.IsError || !strings.Contains(resultText(res), "the database is unreachable; nothing was stored") {
			t.Errorf("%s during the outage: %s", name, resultText(res))
		}
	}
	if resp := hs.raw(t, "GET", "/readyz", "", "", ""); resp.StatusCode != http.StatusServiceUnavailable {
		body, _ := io.ReadAll(resp.Body)
		t.Errorf("readyz during the outage: %d %s", resp.StatusCode, body)
	} else if body, _ := io.ReadAll(resp.Body); bytes.Contains(body, []byte("127.0.0.1")) || bytes.Contains(body, []byte("postgres")) {
		// /readyz needs no token: the database's address and names are for the log.
		t.Errorf("readyz body names the database server: %s", body)
	}
	if resp := hs.raw(t, "GET", "/healthz", "", "", ""); resp.StatusCode != 200 {
		t.Errorf("healthz during the outage: %d", resp.StatusCode)
	}

	c.start(t)
	for name, cl := range clients {
		deadline := time.Now().Add(30 * time.Second)
		for {
			res := callTool(t, cl, "create_flag", flagArgs("@frontend.react"), nil)
			if !res.IsError {
				acknowledged++
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not recover within 30 s: %s", name, resultText(res))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if resp := hs.raw(t, "GET", "/readyz", "", "", ""); resp.StatusCode != 200 {
		t.Errorf("readyz after the database returned: %d", resp.StatusCode)
	}
	var list struct {
		Total int `json:"total"`
	}
	callTool(t, std, "list_flags", map[string]any{"status": "all"}, &list)
	if list.Total != acknowledged {
		t.Errorf("%d flags stored, %d acknowledged", list.Total, acknowledged)
	}
	for _, srv := range []*httpServer{hs, authed} {
		if strings.Contains(srv.stderr.String(), password) {
			t.Errorf("the server's stderr shows the password:\n%s", srv.stderr.String())
		}
	}
	// The list tool still answers through the same sessions.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := web.c.ListTools(ctx, mcp.ListToolsRequest{}); err != nil {
		t.Errorf("http session after the outage: %v", err)
	}
}

// TestMigrateSQLiteToPostgres copies a SQLite database with flags, a
// chain, leases, completions and tokens into an empty PostgreSQL database:
// every flag, event and token reads back the same, ids kept, and new
// flags get new ids.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	s := newSandbox(t)
	pg := pgtest.URL(t)
	sqlite := s.db
	must := func(args ...string) string {
		t.Helper()
		out, stderr, code := s.cli(t, append(args, "--db", sqlite)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		return out
	}
	create := func(extra ...string) int64 {
		t.Helper()
		out := must(append([]string{"create-flag", "--flag_type", "change", "--source_agent", "@backend.api", "--target_agent", "@frontend.react",
			"--change_description", "The orders API now returns amounts in minor units instead of decimal strings.",
			"--action_required", "Update every consumer of /orders to read amount_minor, divide by 100 for display, and remove the decimal parsing helpers.",
			"--related_files", "api/orders.go,web/orders.ts", "--context", `{"ticket": "ORD-7", "z": 1, "a": [1, 2]}`}, extra...)...)
		var f flagOut
		if err := json.Unmarshal([]byte(out), &f); err != nil {
			t.Fatal(err)
		}
		return f.Flag.ID
	}
	first := create()
	second := create("--chain_origin_id", "1", "--impact_level", "high")
	third := create()
	must("lock-flag", "2", "@frontend.react", "--lease", "600")
	must("lock-flag", "3", "@frontend.react")
	must("complete-flag", "3", "@frontend.react", "--notes", "done")
	must("tokens", "create", "--agent", "@backend.api", "--role", "agent", "--expires", "30d", "--note", "alice")
	revoked := struct{ ID string }{}
	json.Unmarshal([]byte(must("tokens", "create", "--agent", "@ops.containers", "--role", "admin")), &revoked)
	must("tokens", "revoke", revoked.ID)

	out, stderr, code := s.cli(t, "migrate", "--db", sqlite, "--to", pg)
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, stderr)
	}
	var res struct {
		From                  string
		To                    string
		Flags, Events, Tokens int64
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("migrate printed %s: %v", out, err)
	}
	if res.Flags != 3 || res.Events != 6 || res.Tokens != 2 || res.From != sqlite {
		t.Fatalf("migrate copied %+v, want 3 flags, 6 events (3 created, 2 locked, 1 completed) and 2 tokens", res)
	}

	same := func(args ...string) {
		t.Helper()
		want := must(args...)
		got, stderr, code := s.cli(t, append(args, "--db", pg)...)
		if code != 0 {
			t.Fatalf("%v on PostgreSQL: exit %d\n%s", args, code, stderr)
		}
		if got != want {
			t.Errorf("%v differs:\nSQLite:\n%s\nPostgreSQL:\n%s", args, want, got)
		}
	}
	for _, id := range []int64{first, second, third} {
		same("flags", "show", strconv.FormatInt(id, 10))
	}
	same("flags", "list", "--status", "all")
	same("tokens", "list")

	out, stderr, code = s.cli(t, "create-flag", "--db", pg, "--flag_type", "change", "--source_agent", "@backend.api",
		"--change_description", "The orders API now returns amounts in minor units instead of decimal strings.",
		"--action_required", "Update every consumer of /orders to read amount_minor, divide by 100 for display, and remove the decimal parsing helpers.")
	var next flagOut
	if code != 0 || json.Unmarshal([]byte(out), &next) != nil || next.Flag.ID != third+1 {
		t.Fatalf("a new flag on PostgreSQL: exit %d, id %d (want %d)\n%s%s", code, next.Flag.ID, third+1, out, stderr)
	}

	// A second run finds the target not empty and changes nothing.
	_, stderr, code = s.cli(t, "migrate", "--db", sqlite, "--to", pg)
	if code != 1 || !strings.Contains(stderr, "not empty") || !strings.Contains(stderr, "nothing was copied") {
		t.Errorf("migrate into a non-empty database: exit %d\n%s", code, stderr)
	}
	out, _, _ = s.cli(t, "flags", "list", "--status", "all", "--db", pg)
	if !strings.Contains(out, `"total": 4`) {
		t.Errorf("after the refused migrate, PostgreSQL lists:\n%s", out)
	}
}

// TestPostgresFlagVerbs: the command-line flag verbs work on a PostgreSQL
// database given by MCP_AGENTS_DB, with the same answers and refusals.
func TestPostgresFlagVerbs(t *testing.T) {
	s := newSandbox(t)
	pg := pgtest.URL(t)
	run := func(want int, args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env, cmd.Dir = append(s.env(), "MCP_AGENTS_DB="+pg), s.cwd
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	run(0, "create-flag", "--flag_type", "breaking_change", "--impact_level", "high", "--source_agent", "@backend.api",
		"--target_agent", "@frontend.react",
		"--change_description", "The orders API now returns amounts in minor units instead of decimal strings.",
		"--action_required", "Update every consumer of /orders to read amount_minor, divide by 100 for display, and remove the decimal parsing helpers.")
	if out := run(0, "get-agent-flags", "@frontend.react"); !strings.Contains(out, `"impact_level": "high"`) {
		t.Fatalf("get-agent-flags: %s", out)
	}
	run(0, "lock-flag", "1", "@frontend.react", "--lease", "60")
	if out := run(1, "lock-flag", "1", "@ops.containers"); !strings.Contains(out, "locked by @frontend.react") {
		t.Fatalf("a second lock: %s", out)
	}
	if out := run(1, "unlock-flag", "1", "@ops.containers"); !strings.Contains(out, "holder") {
		t.Fatalf("an unlock by another agent: %s", out)
	}
	run(0, "unlock-flag", "1", "@ops.containers", "--force")
	if out := run(0, "complete-flag", "1", "@ops.containers", "--notes", "migrated the consumers"); !strings.Contains(out, `"status": "completed"`) {
		t.Fatalf("complete-flag: %s", out)
	}
	if out := run(1, "complete-flag", "1", "@ops.containers"); !strings.Contains(out, "completed") {
		t.Fatalf("completing twice: %s", out)
	}
	if out := run(0, "get-agent-flags", "@frontend.react"); !strings.Contains(out, `"flags": []`) {
		t.Fatalf("the inbox after completion: %s", out)
	}
	out := run(0, "flags", "show", "1")
	for _, kind := range []string{`"created"`, `"locked"`, `"force_unlocked"`, `"completed"`} {
		if !strings.Contains(out, kind) {
			t.Errorf("flags show lacks the %s event:\n%s", kind, out)
		}
	}
}

// TestPostgresCrashMidStream kills the database (pg_ctl -m immediate, a
// crash) while a team server and a stdio server are creating flags in a
// steady stream: every creation acknowledged before, during or after is
// stored, every refusal says the database is unreachable (nothing stored)
// or that the call was cut off (maybe stored), no flag is stored beyond
// those, and both servers write again once it is back.
func TestPostgresCrashMidStream(t *testing.T) {
	c := startCluster(t)
	s := newSandbox(t)
	s.db = c.url("")
	hs := s.startHTTP(t, "--no-auth")
	clients := map[string]*client.Client{"http": hs.connect(t, "").c, "stdio": s.start(t)}

	type outcome struct {
		acked    []int64
		refusals map[string]int
		afterUp  atomic.Int64 // acknowledged after the restart (read while writing)
	}
	var restarted atomic.Bool
	stop := make(chan struct{})
	results := map[string]*outcome{}
	var wg sync.WaitGroup
	for name, cl := range clients {
		o := &outcome{refusals: map[string]int{}}
		results[name] = o
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				req := mcp.CallToolRequest{}
				req.Params.Name = "create_flag"
				req.Params.Arguments = flagArgs("@frontend.react")
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				res, err := cl.CallTool(ctx, req)
				cancel()
				switch {
				case err != nil:
					o.refusals["transport: "+err.Error()]++
				case res.IsError:
					o.refusals[resultText(res)]++
					time.Sleep(50 * time.Millisecond)
				default:
					// A steady stream, not a flood: list_flags must
					// return every flag on one page (1,000) at the end.
					time.Sleep(20 * time.Millisecond)
					var out flagOut
					if json.Unmarshal([]byte(resultText(res)), &out) == nil {
						o.acked = append(o.acked, out.Flag.ID)
						if restarted.Load() {
							o.afterUp.Add(1)
						}
					}
				}
			}
		})
	}
	time.Sleep(time.Second)
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		t.Fatalf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
	time.Sleep(2 * time.Second)
	c.start(t)
	restarted.Store(true)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && (results["http"].afterUp.Load() < 5 || results["stdio"].afterUp.Load() < 5) {
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	var list struct {
		Flags []struct {
			ID int64 `json:"id"`
		} `json:"flags"`
		Total int `json:"total"`
	}
	callTool(t, clients["stdio"], "list_flags", map[string]any{"status": "all", "limit": 1000}, &list)
	stored := map[int64]bool{}
	for _, f := range list.Flags {
		stored[f.ID] = true
	}
	acked, maybe := 0, 0
	for name, o := range results {
		acked += len(o.acked)
		if o.afterUp.Load() < 5 {
			t.Errorf("%s: %d creations acknowledged after the restart, want the server to recover", name, o.afterUp.Load())
		}
		lost := 0
		for _, id := range o.acked {
			if !stored[id] {
				lost++
			}
		}
		if lost > 0 || len(o.acked) == 0 {
			t.Errorf("%s: %d creations acknowledged, %d of them not stored", name, len(o.acked), lost)
		}
		for msg, n := range o.refusals {
			switch {
			case strings.Contains(msg, "may have been stored"):
				maybe += n // cut off after the database had it
			case strings.Contains(msg, "the database is unreachable; nothing was stored"):
			default:
				t.Errorf("%s: %d calls refused with %q", name, n, msg)
			}
		}
		t.Logf("%s: %d acknowledged (%d after the restart), refusals %v", name, len(o.acked), o.afterUp.Load(), o.refusals)
	}
	if list.Total > 1000 {
		t.Fatalf("%d flags: more than one page; the test must read them all", list.Total)
	}
	// Nothing was stored that the answers said was not.
	if extra := list.Total - acked; extra < 0 || extra > maybe {
		t.Errorf("%d flags stored, %d acknowledged, %d answered \"may have been stored\"", list.Total, acked, maybe)
	}
}

// TestPostgresSessionStaysOnItsReplica: what the README tells load
// balancer operators. Two replicas share the flags, but a session belongs
// to the replica that initialised it: the other answers 404, and a client
// that initialises there sees the same flags.
func TestPostgresSessionStaysOnItsReplica(t *testing.T) {
	s := newSandbox(t)
	s.db = pgtest.URL(t)
	a, b := s.startHTTP(t, "--no-auth"), s.startHTTP(t, "--no-auth")
	resp := a.raw(t, "POST", "/mcp", "", "", initializeBody)
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || session == "" {
		t.Fatalf("initialize on replica A: %d, session %q", resp.StatusCode, session)
	}
	const list = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	if resp := b.raw(t, "POST", "/mcp", "", session, list); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("replica A's session on replica B: %d, want 404", resp.StatusCode)
	}
	var created flagOut
	callTool(t, a.connect(t, "").c, "create_flag", flagArgs("@frontend.react"), &created)
	var detail flagOut
	callTool(t, b.connect(t, "").c, "get_flag", map[string]any{"flag_id": created.Flag.ID}, &detail)
	if detail.Flag.ID != created.Flag.ID {
		t.Fatalf("replica B reads flag %d as %+v", created.Flag.ID, detail.Flag)
	}
}
