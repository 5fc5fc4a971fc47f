package board

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// hostile is agent-written text that tries to break out of every context
// the board puts it in: element content, a quoted attribute, a script.
const hostile = `</p><script>alert("x")</script><img src=x onerror=alert(1)> " onmouseover="alert(2)" ' autofocus onfocus='alert(3)` +
	"\u202e reversed \u200b zero-width"

type fixture struct {
	st  *store.Store
	srv *httptest.Server
	ids map[string]int64
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir()+"/agents.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, ids: map[string]int64{}}
	create := func(name string, n store.NewFlag) {
		t.Helper()
		if n.ActionRequired == "" {
			n.ActionRequired = "Update every consumer of the orders endpoint to read amount_minor, and delete the decimal parsing helpers afterwards."
		}
		if n.SourceAgent == "" {
			n.SourceAgent = "@backend.api"
		}
		fl, err := st.CreateFlag(ctx, n)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		f.ids[name] = fl.ID
	}
	create("critical", store.NewFlag{FlagType: "breaking_change", ImpactLevel: "critical", TargetAgent: "@web.ui",
		ChangeDescription: "The orders API returns amounts in minor units from now on.\nDetails follow."})
	create("hostile", store.NewFlag{FlagType: "security", ImpactLevel: "critical", TargetAgent: "@ops.containers",
		ChangeDescription: hostile, ActionRequired: hostile + strings.Repeat(" padding", 10),
		CodeLocation: hostile, ExampleUsage: hostile, RelatedFiles: []string{`a"><script>alert(4)</script>.go`},
		Context: json.RawMessage(`{"note":"</pre><script>alert(5)</script>"}`)})
	create("broadcast", store.NewFlag{FlagType: "change", ChangeDescription: "The staging database is reset tonight at 22:00 UTC; save what you need."})
	create("low", store.NewFlag{FlagType: "refactor", ImpactLevel: "low", TargetAgent: "@ops.containers", SourceAgent: "@web.ui",
		ChangeDescription: "The web client moved its API helpers into one module, nothing changes for callers."})
	create("child", store.NewFlag{FlagType: "change", TargetAgent: "@backend.api", SourceAgent: "@web.ui", ChainOriginID: f.ids["critical"],
		ChangeDescription: "The web client switched to amount_minor; the decimal fields can go."})
	create("grandchild", store.NewFlag{FlagType: "information_request", TargetAgent: "@web.ui", ChainOriginID: f.ids["child"],
		ChangeDescription: "When can the decimal fields be removed from the public API, exactly?"})
	if _, err := st.LockFlag(ctx, f.ids["critical"], "@web.ui", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompleteFlag(ctx, f.ids["child"], "@backend.api", "Removed in v2."); err != nil {
		t.Fatal(err)
	}
	cfg.Store = st
	f.srv = httptest.NewServer(New(cfg))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// flagsIn lists the flag ids linked from a section of the page.
func flagsIn(body, section string) []string {
	start := strings.Index(body, `<section id="`+section+`"`)
	if start < 0 {
		return nil
	}
	rest := body[start:]
	end := strings.Index(rest[1:], `<section id="`)
	if end > 0 {
		rest = rest[:end+1]
	}
	var out []string
	for _, m := range regexp.MustCompile(`class="flag-link" data-key="[a-z]-(\d+)"`).FindAllStringSubmatch(rest, -1) {
		out = append(out, m[1])
	}
	return out
}

func itoa(id int64) string { return jsonNum(id) }

func jsonNum(id int64) string { b, _ := json.Marshal(id); return string(b) }

func TestBoardPage(t *testing.T) {
	f := newFixture(t, Config{})
	res, body := f.get(t, "/board/")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if got := res.Header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") || !strings.Contains(got, "script-src 'self'") {
		t.Errorf("CSP = %q", got)
	}
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	// same-origin, header and meta alike: under no-referrer Chromium posts
	// the page's own forms (the team server's "Sign out") with
	// "Origin: null", which the same-origin check refuses.
	if got := res.Header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("Referrer-Policy = %q, want same-origin", got)
	}
	if !strings.Contains(body, `<meta name="referrer" content="same-origin">`) || strings.Contains(body, "no-referrer") {
		t.Error(`the page's referrer meta is not "same-origin"`)
	}
	id := func(name string) string { return itoa(f.ids[name]) }
	if got, want := flagsIn(body, "pending"), []string{id("critical"), id("hostile"), id("broadcast"), id("grandchild"), id("low")}; !cmp.Equal(got, want) {
		t.Errorf("pending flags in order %v, want critical first %v", got, want)
	}
	if got, want := flagsIn(body, "locked"), []string{id("critical")}; !cmp.Equal(got, want) {
		t.Errorf("locked %v, want %v", got, want)
	}
	if got, want := flagsIn(body, "completed"), []string{id("child")}; !cmp.Equal(got, want) {
		t.Errorf("completed %v, want %v", got, want)
	}
	for _, want := range []string{
		`data-count="pending">5<`, `data-count="locked">1<`, `data-count="broadcasts">1<`, `data-count="completed">1<`,
		`data-count="pending-critical">2<`,
		`<span class="impact impact-critical">critical</span>`,           // impact as text, not only colour
		"The orders API returns amounts in minor units from now on.</p>", // first line only
		`<a href="/board/?agent=%40ops.containers">@ops.containers</a></th><td class="num">2</td><td class="num">1</td><td class="num">0</td>`,
		`<em>everyone</em> (broadcasts, counted once)</th><td class="num">1</td><td class="num">0</td><td class="num">0</td>`,
		`locked by @web.ui, 59m left`,
		`<script src="/board/static/board.js" defer></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "Details follow") {
		t.Error("the list shows more than the first line of the change")
	}
	if n := strings.Count(body, "everyone (broadcasts"); n > 1 {
		t.Errorf("broadcast row shown %d times", n)
	}
	// 6 created, 1 locked, 1 completed.
	if n := len(regexp.MustCompile(`<tr data-row="e-\d+"><td><time`).FindAllString(body[strings.Index(body, `id="events"`):], -1)); n != 8 {
		t.Errorf("%d events shown, want 8", n)
	}

	// A locked broadcast shows in the broadcasts' row as in any agent's.
	if _, err := f.st.LockFlag(context.Background(), f.ids["broadcast"], "@web.ui", time.Hour); err != nil {
		t.Fatal(err)
	}
	_, body = f.get(t, "/board/")
	if want := `<em>everyone</em> (broadcasts, counted once)</th><td class="num">1</td><td class="num">0</td><td class="num">1</td>`; !strings.Contains(body, want) {
		t.Errorf("page lacks %q", want)
	}
}

func TestBoardFilters(t *testing.T) {
	f := newFixture(t, Config{})
	id := func(name string) string { return itoa(f.ids[name]) }
	tests := []struct {
		query              string
		pending, completed []string
		current            []string // filter links marked current
	}{
		{"", []string{id("critical"), id("hostile"), id("broadcast"), id("grandchild"), id("low")}, []string{id("child")}, []string{`href="/board/?status=pending"`}},
		{"?agent=@web.ui", []string{id("critical"), id("broadcast"), id("grandchild"), id("low")}, []string{id("child")}, nil},
		{"?agent=%40OPS.containers", []string{id("hostile"), id("broadcast"), id("low")}, nil, nil},
		{"?type=refactor", []string{id("low")}, nil, []string{`href="/board/?type=refactor" aria-current="true"`}},
		{"?impact=critical", []string{id("critical"), id("hostile")}, nil, []string{`href="/board/?impact=critical" aria-current="true"`}},
		{"?status=pending", []string{id("critical"), id("hostile"), id("broadcast"), id("grandchild"), id("low")}, nil, []string{`href="/board/?status=pending" aria-current="true"`}},
		{"?status=completed", nil, []string{id("child")}, []string{`href="/board/?status=completed" aria-current="true"`}},
		{"?status=completed&agent=@backend.api", nil, []string{id("child")}, nil},
		{"?impact=medium&type=change", []string{id("broadcast")}, []string{id("child")}, []string{`href="/board/?impact=medium&amp;type=change" aria-current="true"`}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, body := f.get(t, "/board/"+tt.query)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := flagsIn(body, "pending"); !cmp.Equal(got, tt.pending) {
				t.Errorf("pending %v, want %v", got, tt.pending)
			}
			if got := flagsIn(body, "completed"); !cmp.Equal(got, tt.completed) {
				t.Errorf("completed %v, want %v", got, tt.completed)
			}
			for _, c := range tt.current {
				if !strings.Contains(body, c) && !strings.Contains(body, strings.Replace(c, `" aria-current`, `" aria-current`, 1)) {
					t.Errorf("page lacks current filter link %s", c)
				}
			}
			if tt.query != "" && !strings.Contains(body, "Clear all") {
				t.Error("a filtered page has no way back")
			}
			// The JSON is the same data.
			var sum store.BoardSummary
			res, js := f.get(t, "/board/api/summary"+tt.query)
			if res.StatusCode != 200 || json.Unmarshal([]byte(js), &sum) != nil {
				t.Fatalf("api: %d %s", res.StatusCode, js)
			}
			var ids []string
			for _, g := range sum.Pending {
				for _, fl := range g.Flags {
					ids = append(ids, itoa(fl.ID))
				}
			}
			if !cmp.Equal(ids, tt.pending) {
				t.Errorf("api pending %v, want %v", ids, tt.pending)
			}
		})
	}
}

// An agent filter given by an alias shows the agent's flags, as every tool
// argument does: the board asks Config.Canonical.
func TestAgentFilterTakesAliases(t *testing.T) {
	f := newFixture(t, Config{Canonical: func(h string) string {
		if strings.EqualFold(h, "@ops.docker") {
			return "@ops.containers"
		}
		return h
	}})
	id := func(name string) string { return itoa(f.ids[name]) }
	_, body := f.get(t, "/board/?agent=%40ops.docker")
	if got, want := flagsIn(body, "pending"), []string{id("hostile"), id("broadcast"), id("low")}; !cmp.Equal(got, want) {
		t.Errorf("pending for @ops.docker, an alias of @ops.containers: %v, want %v", got, want)
	}
	var sum store.BoardSummary
	if _, js := f.get(t, "/board/api/summary?agent=@ops.docker"); json.Unmarshal([]byte(js), &sum) != nil || sum.PendingTotal != 3 {
		t.Errorf("api for the alias: %s, want its agent's 3 pending flags", js)
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, Config{})
	for _, tt := range []struct {
		path   string
		status int
		says   string
	}{
		// The URL's own names, not the store's (impact_level, flag_type).
		{"/board/?impact=huge", 400, "impact must be one of critical"},
		{"/board/?type=%3Cscript%3E", 400, "type must be one of breaking_change"},
		{"/board/?agent=not%20a%20handle", 400, "agent"},
		{"/board/?status=open", 400, "status"},
		{"/board/flags/999", 404, "999"},
		{"/board/flags/abc", 400, "flag id"},
		{"/board/api/flags/999", 404, "999"},
		{"/board/api/summary?impact=huge", 400, `{"error":"impact must be one of`},
		{"/board/api/summary?type=bogus", 400, `{"error":"type must be one of`},
	} {
		res, body := f.get(t, tt.path)
		if res.StatusCode != tt.status || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %q, want %d naming %q", tt.path, res.StatusCode, body, tt.status, tt.says)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("%s: the error page echoes markup: %s", tt.path, body)
		}
	}
	res, _ := f.get(t, "/board?impact=low")
	if res.Request.URL.Path != "/board/" || res.Request.URL.RawQuery != "impact=low" {
		t.Errorf("/board redirected to %s", res.Request.URL)
	}
}

// Agent text is escaped for its context (element, attribute) and loses the
// characters that could reorder or hide what surrounds it.
func TestHostileTextIsInert(t *testing.T) {
	f := newFixture(t, Config{})
	for _, path := range []string{"/board/", "/board/flags/" + itoa(f.ids["hostile"]), "/board/flags/" + itoa(f.ids["critical"])} {
		res, body := f.get(t, path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if n := strings.Count(body, "<script"); n != 1 {
			t.Errorf("%s: %d <script tags, want only the board's own", path, n)
		}
		for _, bad := range []string{"<img", `" onmouseover="`, "' autofocus", "\u202e", "\u200b", "</pre><script"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: hostile text survives: %q", path, bad)
			}
		}
		// Escaped text holds no < or >, so every <...> is a real tag; with
		// its quoted values removed, no attribute may be a handler.
		for _, tag := range regexp.MustCompile(`<[a-zA-Z][^<>]*>`).FindAllString(body, -1) {
			bare := regexp.MustCompile(`"[^"]*"`).ReplaceAllString(tag, `""`)
			if regexp.MustCompile(`(?i)\s(on[a-z]+|autofocus|src)\s*=`).MatchString(bare) && !strings.HasPrefix(tag, `<script src="/board/static/`) {
				t.Errorf("%s: hostile attribute in tag %s", path, tag)
			}
		}
		if path != "/board/flags/"+itoa(f.ids["critical"]) && !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("%s: the hostile text is not shown escaped", path)
		}
	}
	_, body := f.get(t, "/board/")
	if !regexp.MustCompile(`title="&lt;/p&gt;&lt;script&gt;alert\(&#34;x&#34;\)&lt;/script&gt;&lt;img src=x onerror=alert\(1\)&gt; &#34; onmouseover=&#34;alert\(2\)&#34; &#39; autofocus`).MatchString(body) {
		t.Error("the title attribute does not carry the escaped text")
	}
	// The JSON escapes markup too, but keeps the text as stored.
	_, js := f.get(t, "/board/api/flags/"+itoa(f.ids["hostile"]))
	if strings.Contains(js, "<script") || !strings.Contains(js, `\u003cscript\u003e`) {
		t.Errorf("api JSON: %s", js)
	}
	var d store.FlagDetail
	if err := json.Unmarshal([]byte(js), &d); err != nil || d.Flag.ChangeDescription != hostile {
		t.Errorf("api does not return the stored text byte for byte: %v %q", err, d.Flag.ChangeDescription)
	}
}

func TestFlagPage(t *testing.T) {
	f := newFixture(t, Config{})
	child := itoa(f.ids["child"])
	res, body := f.get(t, "/board/flags/"+child)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, field := range []string{"id", "flag_type", "impact_level", "status", "source_agent", "target_agent", "change_description",
		"action_required", "related_files", "chain_origin_id", "code_location", "example_usage", "context", "notes",
		"locked_by", "locked_at", "lock_expires_at", "created_at", "completed_at", "completed_by"} {
		if !strings.Contains(body, "<dt>"+field+"</dt>") {
			t.Errorf("detail lacks field %s", field)
		}
	}
	for _, want := range []string{"Removed in v2.", "<dt>principal</dt><dd>none (no token: the source named itself; not verified)</dd>", "<strong>created</strong> by @web.ui <span class=\"via\">(no token", "<strong>completed</strong> by @backend.api",
		"Completed ", `href="/board/flags/` + itoa(f.ids["critical"]) + `">#` + itoa(f.ids["critical"])} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	// The chain as a tree: critical > child (this one, current) > grandchild.
	tree := body[strings.Index(body, `<ul class="tree"`):]
	tree = tree[:strings.Index(tree, "</section>")]
	re := regexp.MustCompile(`<li[ >]|</li>|<ul>|</ul>|#(\d+)`)
	var shape []string
	for _, m := range re.FindAllStringSubmatch(tree, -1) {
		shape = append(shape, strings.Replace(m[0], "<li ", "<li>", 1))
	}
	want := []string{"<li>", "#" + itoa(f.ids["critical"]), "<ul>", "<li>", "#" + child, "<ul>", "<li>", "#" + itoa(f.ids["grandchild"]), "</li>", "</ul>", "</li>", "</ul>", "</li>", "</ul>"}
	if !cmp.Equal(shape, want) {
		t.Errorf("chain tree shape %v, want %v", shape, want)
	}
	if !strings.Contains(tree, `<strong aria-current="page">#`+child) {
		t.Error("the current flag is not marked in its chain")
	}
	// A node shows the first line of its change, as the lists do.
	if !strings.Contains(tree, `<span class="change">The orders API returns amounts in minor units from now on.</span>`) || strings.Contains(tree, "Details follow") {
		t.Errorf("the chain's root does not show just the first line of its change:\n%s", tree)
	}
	var d store.FlagDetail
	_, js := f.get(t, "/board/api/flags/"+child)
	if err := json.Unmarshal([]byte(js), &d); err != nil || len(d.Chain) != 3 || len(d.Events) != 2 {
		t.Errorf("api flag: %v %+v", err, d)
	}
}

func TestStaticAssetsStayOnTheOrigin(t *testing.T) {
	f := newFixture(t, Config{})
	for path, ctype := range map[string]string{"/board/static/board.js": "text/javascript", "/board/static/board.css": "text/css", "/board/static/icon.svg": "image/svg+xml"} {
		res, _ := f.get(t, path)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	// Nothing the board sends names another origin.
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(assets, p)
		if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(`).Find(b); m != nil && string(m) != "http://www.w3.org" {
			t.Errorf("%s refers elsewhere: %s", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWrapGuardsEveryRoute(t *testing.T) {
	f := newFixture(t, Config{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer ok" {
				http.Error(w, "login first", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	for _, p := range []string{"/board/", "/board/api/summary", "/board/flags/1", "/board/events", "/board/static/board.js"} {
		if res, _ := f.get(t, p); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d", p, res.StatusCode)
		}
		// Every route only reads: another method is answered 405, with
		// credentials or not, never "login first", which no login mends.
		for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			for _, creds := range []string{"", "Bearer ok"} {
				req, _ := http.NewRequest(method, f.srv.URL+p, nil)
				req.Header.Set("Authorization", creds)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("%s %s with %q: %d, Allow %q, want 405 allowing GET, HEAD", method, p, creds, res.StatusCode, res.Header.Get("Allow"))
				}
			}
		}
	}
}

// The event stream says "change" after a commit by another connection.
func TestEventStream(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir+"/agents.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	feed, err := st.ChangeFeed()
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	det := live.NewDetector(feed, live.DetectorOptions{Period: 20 * time.Millisecond})
	srv := httptest.NewServer(New(Config{Store: st, Feed: det}))
	defer srv.Close()

	_, body := get(t, srv.URL+"/board/")
	if !strings.Contains(body, `data-live="/board/events"`) {
		t.Error("a live board does not point its script at the stream")
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", srv.URL+"/board/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("Content-Type %q", res.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() && lines.Text() != "" {
	}
	other, err := store.Open(ctx, dir+"/agents.db")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	t0 := time.Now()
	if _, err := other.CreateFlag(ctx, store.NewFlag{FlagType: "change", SourceAgent: "@backend.api",
		ChangeDescription: "The orders API returns amounts in minor units from now on, in every response.",
		ActionRequired:    "Update every consumer of the orders endpoint to read amount_minor, and delete the decimal parsing helpers afterwards."}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for lines.Scan() && lines.Text() != "" {
		got = append(got, lines.Text())
	}
	if !cmp.Equal(got, []string{"event: change", `data: {"changes":1}`}) {
		t.Errorf("event %q", got)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("the event came %s after the commit", d)
	}

	// Without a feed the page says so and the stream is unavailable.
	plain := httptest.NewServer(New(Config{Store: st}))
	defer plain.Close()
	if _, body := get(t, plain.URL+"/board/"); strings.Contains(body, "data-live") || !strings.Contains(body, "Live updates are off") {
		t.Error("a board without a feed claims to be live")
	}
	if res, _ := get(t, plain.URL+"/board/events"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("events without a feed: %d", res.StatusCode)
	}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// A flag created under a token (the team server) names it on its page.
func TestFlagPageNamesTheToken(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	if _, err := f.st.CreateToken(ctx, store.NewToken{ID: "tok_abc123", Hash: auth.Hash("s"), Agent: "@web.ui", Role: auth.RoleAgent}); err != nil {
		t.Fatal(err)
	}
	p := auth.Principal{TokenID: "tok_abc123", Agent: "@web.ui", Role: auth.RoleAgent}
	fl, err := f.st.CreateFlag(auth.With(ctx, p), store.NewFlag{FlagType: "change", SourceAgent: "@web.ui", TargetAgent: "@ops.containers",
		ChangeDescription: strings.Repeat("The web UI now sends a request id header. ", 2),
		ActionRequired:    strings.Repeat("Log the X-Request-Id header in the ingress and pass it on to the backends. ", 2)})
	if err != nil {
		t.Fatal(err)
	}
	_, body := f.get(t, "/board/flags/"+itoa(fl.ID))
	if !strings.Contains(body, "<dt>principal</dt><dd>token tok_abc123 (role agent; the server checked the source is this token&#39;s agent)</dd>") {
		t.Fatalf("flag page lacks the token:\n%s", body)
	}
}

// Behind a server's sign-in, the page names the viewer and offers a way out.
func TestViewerCanSignOut(t *testing.T) {
	f := newFixture(t, Config{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(auth.With(r.Context(), auth.Principal{TokenID: "tok_1", Agent: "@people.ops", Role: auth.RoleObserver})))
		})
	}})
	for _, p := range []string{"/board/", "/board/flags/1"} {
		_, body := f.get(t, p)
		if !strings.Contains(body, `<form class="signout" method="post" action="/board/logout"><span>token tok_1`) {
			t.Errorf("%s: no sign-out form naming the viewer", p)
		}
	}
	plain := newFixture(t, Config{})
	if _, body := plain.get(t, "/board/"); strings.Contains(body, "signout") {
		t.Error("the local board offers to sign out")
	}
}

// A flag created under a token says so on its row and its page; one whose
// source merely named itself says that.
func TestProvenance(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := auth.With(context.Background(), auth.Principal{TokenID: "tok_abc123", Agent: "@backend.api", Role: auth.RoleAgent})
	fl, err := f.st.CreateFlag(ctx, store.NewFlag{FlagType: "change", SourceAgent: "@backend.api", TargetAgent: "@web.ui",
		ChangeDescription: "The orders API returns amounts in minor units from now on, in every response.",
		ActionRequired:    "Update every consumer of the orders endpoint to read amount_minor, and delete the decimal parsing helpers afterwards."})
	if err != nil {
		t.Fatal(err)
	}
	_, body := f.get(t, "/board/")
	if !strings.Contains(body, `<span class="via">via token tok_abc123 (agent)</span>`) {
		t.Error("the board row does not name the token the flag was created under")
	}
	if _, page := f.get(t, "/board/flags/"+itoa(fl.ID)); !strings.Contains(page, "<dt>principal</dt><dd>token tok_abc123 (role agent;") {
		t.Error("the flag page does not name its token")
	}
	// Said once, in the words the agent's prompt uses (server.principal).
	_, page := f.get(t, "/board/flags/"+itoa(f.ids["low"]))
	if want := "<dt>principal</dt><dd>none (no token: the source named itself; not verified)</dd>"; !strings.Contains(page, want) {
		t.Errorf("a flag created without a token does not say %q", want)
	}
	if n := strings.Count(page, "named itself"); n != 1 || strings.Contains(page, "created under") {
		t.Errorf("the flag page states its provenance %d times (or under two names)", n)
	}
	var sum store.BoardSummary
	_, js := f.get(t, "/board/api/summary?agent=@web.ui&type=change")
	if err := json.Unmarshal([]byte(js), &sum); err != nil || len(sum.Pending) == 0 || sum.Pending[0].Flags[len(sum.Pending[0].Flags)-1].CreatedToken == nil {
		t.Errorf("api summary lacks created_token: %v %s", err, js)
	}
}

// The summary's JSON names every field in snake_case, and its query by the
// URL's own parameters, so a script can read it back into a URL.
func TestAPISummaryNames(t *testing.T) {
	f := newFixture(t, Config{})
	_, js := f.get(t, "/board/api/summary?agent=@web.ui&type=change&impact=medium&status=pending")
	var raw map[string]any
	if err := json.Unmarshal([]byte(js), &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"agent": "@web.ui", "type": "change", "impact": "medium", "status": "pending",
		"list": "", "page": 1.0, "offset": 0.0, "before": 0.0, "rows": 100.0}
	if got := raw["query"]; !cmp.Equal(got, any(want)) {
		t.Errorf("query = %v, want %v", got, want)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if path != ".next" && !snake.MatchString(k) {
					t.Errorf("%s: key %q is not snake_case", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("", raw)
}

// A deep chain stays nested lists, but stops indenting after chainIndent
// levels; deeper nodes say their depth instead.
func TestDeepChainStopsIndenting(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	parent := f.ids["grandchild"] // depth 2
	for range 18 {
		fl, err := f.st.CreateFlag(ctx, store.NewFlag{FlagType: "change", SourceAgent: "@web.ui", TargetAgent: "@backend.api", ChainOriginID: parent,
			ChangeDescription: "The next step of the orders migration, one more link in a long chain.",
			ActionRequired:    "Update every consumer of the orders endpoint to read amount_minor, and delete the decimal parsing helpers afterwards."})
		if err != nil {
			t.Fatal(err)
		}
		parent = fl.ID
	}
	_, body := f.get(t, "/board/flags/"+itoa(parent)) // depth 20
	tree := body[strings.Index(body, `<ul class="tree"`):]
	tree = tree[:strings.Index(tree, "</section>")]
	// Nesting: 21 levels of lists, every one a list item's list.
	depth, most := 0, 0
	for _, m := range regexp.MustCompile(`<ul[ >]|</ul>`).FindAllString(tree, -1) {
		if m == "</ul>" {
			depth--
		} else {
			depth++
			most = max(most, depth)
		}
	}
	if most != 21 {
		t.Errorf("the chain nests %d lists deep, want 21", most)
	}
	// Indented: the tree and the lists of levels 1 to chainIndent.
	if indented := strings.Count(tree, "<ul>"); indented != chainIndent {
		t.Errorf("%d indented lists below the tree, want %d", indented, chainIndent)
	}
	for d := 1; d <= 20; d++ {
		if label := "↳ depth " + strconv.Itoa(d) + "<"; strings.Contains(tree, label) != (d > chainIndent) {
			t.Errorf("depth %d labelled: %v, want %v", d, !(d > chainIndent), d > chainIndent)
		}
	}
}

// Every landmark has a name of its own (axe's landmark-unique): a
// section and the scrollable table inside it are not both named by the
// section's heading.
func TestLandmarksHaveUniqueNames(t *testing.T) {
	f := newFixture(t, Config{})
	for _, path := range []string{"/board/", "/board/flags/" + itoa(f.ids["child"])} {
		_, body := f.get(t, path)
		seen := map[string]bool{}
		for _, m := range regexp.MustCompile(`<(section|nav|div|main)\b[^>]*\b(aria-labelledby|aria-label)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			if m[1] == "div" && !strings.Contains(m[0], `role="region"`) {
				continue
			}
			name := m[3]
			if m[2] == "aria-labelledby" {
				h := regexp.MustCompile(`id="` + regexp.QuoteMeta(name) + `">(.*?)</h[1-6]>`).FindStringSubmatch(body)
				if h == nil {
					t.Errorf("%s: %s labelled by missing #%s", path, m[1], name)
					continue
				}
				name = strings.TrimSpace(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(h[1], ""))
			}
			if seen[name] {
				t.Errorf("%s: two landmarks named %q", path, name)
			}
			seen[name] = true
		}
		if len(seen) < 2 {
			t.Errorf("%s: only %d named landmarks found", path, len(seen))
		}
	}
}

// A board URL with a bad filter says what is wrong and offers a way on:
// the same URL without that parameter, and for a mistyped agent the agent
// form again, holding what was typed.
func TestBadFilterOffersAWayOn(t *testing.T) {
	f := newFixture(t, Config{})
	res, body := f.get(t, "/board/?agent=a%20b&impact=low&list=pending&page=2")
	if res.StatusCode != 400 {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{
		`<a href="/board/?impact=low&amp;list=pending">Show the board without agent &#34;a b&#34;</a>`,
		`<input id="agent" name="agent" value="a b"`,
		`<input type="hidden" name="impact" value="low">`,
		`<input type="hidden" name="list" value="pending">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the error page lacks %s:\n%s", want, body)
		}
	}
	_, body = f.get(t, "/board/?impact=huge&type=change")
	if !strings.Contains(body, `<a href="/board/?type=change">Show the board without impact &#34;huge&#34;</a>`) || strings.Contains(body, `name="agent"`) {
		t.Errorf("a bad impact's error page:\n%s", body)
	}
	_, body = f.get(t, "/board/flags/abc")
	if strings.Contains(body, "Show the board without") {
		t.Error("a bad flag id offers to drop a filter")
	}
}

// Every page a filter link leads to shows a list, or says why there is
// none: a list that cannot hold a flag under the status asked for
// (completed flags are never pending or locked, pending ones never
// completed) says so and links to the list without the status, and to the
// status without the list.
func TestEveryPageShowsAListOrSaysWhy(t *testing.T) {
	f := newFixture(t, Config{})
	for _, list := range []string{"", "pending", "locked", "completed", "events"} {
		for _, status := range []string{"", "pending", "completed"} {
			v := url.Values{}
			if list != "" {
				v.Set("list", list)
			}
			if status != "" {
				v.Set("status", status)
			}
			path := "/board/?" + v.Encode()
			res, body := f.get(t, path)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d", path, res.StatusCode)
			}
			live := body[strings.Index(body, `<div id="live">`):]
			if !strings.Contains(live, `<section id="`) && !strings.Contains(live, `class="empty"`) {
				t.Errorf("%s shows no list and says nothing of why", path)
			}
		}
	}
	for _, tc := range []struct{ path, text, without, other string }{
		{"/board/?list=pending&status=completed", "Completed flags are never pending: there is no pending list under status completed.",
			"/board/?list=pending", "/board/?status=completed"},
		{"/board/?list=locked&status=completed&agent=@web.ui", "Completed flags are never locked: there is no locked list under status completed.",
			"/board/?agent=%40web.ui&amp;list=locked", "/board/?agent=%40web.ui&amp;status=completed"},
		{"/board/?list=completed&status=pending", "Pending flags are never completed: there is no completed list under status pending.",
			"/board/?list=completed", "/board/?status=pending"},
	} {
		_, body := f.get(t, tc.path)
		for _, want := range []string{`<p class="empty" id="nothing">` + tc.text, `<a href="` + tc.without + `">`, `<a href="` + tc.other + `">`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", tc.path, want)
			}
		}
	}
	// Elsewhere there is no such note.
	if _, body := f.get(t, "/board/?list=pending&status=pending"); strings.Contains(body, `id="nothing"`) {
		t.Error("list=pending&status=pending says its list cannot hold a flag")
	}
}

// list= is not a filter but picks a section: the page says which list it
// shows alone, apart from the filters, and clearing the filters keeps it.
func TestListIsShownApartFromTheFilters(t *testing.T) {
	f := newFixture(t, Config{})
	_, body := f.get(t, "/board/?list=events")
	if !strings.Contains(body, `Showing: the events list alone. <a href="/board/">Show every list</a>`) {
		t.Error("list=events does not say it shows the events alone")
	}
	if strings.Contains(body, "Filtered by") || strings.Contains(body, "list: events") {
		t.Error("list=events is shown as a filter")
	}
	_, body = f.get(t, "/board/?list=pending&impact=critical")
	for _, want := range []string{
		`Showing: the pending list alone. <a href="/board/?impact=critical">Show every list</a>`,
		`Filtered by <a href="/board/?list=pending" aria-label="remove filter impact: critical">impact: critical ✕</a>. <a href="/board/?list=pending">Clear all</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list=pending&impact=critical lacks %s", want)
		}
	}
	if strings.Contains(body, "list: pending") {
		t.Error("list=pending is shown as a filter")
	}
}

// A path under the board that names no page is the board's own 404 page,
// with a way back (JSON under api/), not the mux's plain text.
func TestUnknownPathsAreTheBoardsOwn404(t *testing.T) {
	f := newFixture(t, Config{})
	// The static files too: no directory listing, no plain-text 404.
	for _, path := range []string{"/board/nonexistent", "/board/flags/", "/board/flags/1/more", "/board/flags",
		"/board/static/", "/board/static/nope.js", "/board/static/x/board.js"} {
		res, body := f.get(t, path)
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: %d %s, want 404 html", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, want := range []string{"<h1>404: Not Found</h1>", `<a href="/board/">Back to the board</a>`, "There is no board page at " + path + "."} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
		if got := res.Header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
			t.Errorf("%s: CSP %q", path, got)
		}
	}
	res, body := f.get(t, "/board/api/nope")
	if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"error":"no such board API path: /board/api/nope`) {
		t.Errorf("/board/api/nope: %d %s %s, want a JSON 404", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}

// Terminal escape sequences in agent text go whole, on every page: not
// only their ESC, which left "[31mred[0m" on the board.
func TestTerminalEscapesLeaveNoResidue(t *testing.T) {
	f := newFixture(t, Config{})
	esc := "\x1b[31mred\x1b[0m alert \x1b]0;title\x07and \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \u009b1mbold"
	fl, err := f.st.CreateFlag(context.Background(), store.NewFlag{FlagType: "change", SourceAgent: "@backend.api", TargetAgent: "@web.ui",
		// The minimum lengths count the text as shown, escapes removed.
		ChangeDescription: esc + " — the orders endpoint renamed its total field.",
		ActionRequired:    esc + " — update every consumer of the orders endpoint, then run the contract tests against staging.", ExampleUsage: esc,
		CodeLocation: esc, RelatedFiles: []string{esc}})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/board/", "/board/?list=events", "/board/flags/" + itoa(fl.ID)} {
		_, body := f.get(t, path)
		if !strings.Contains(body, "red alert and link bold") {
			t.Errorf("%s does not show the text without its escapes", path)
		}
		for _, bad := range []string{"\x1b", "\u009b", "[31m", "[0m", "0;title", "]8;;", "http://x"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: an escape sequence leaves %q", path, bad)
			}
		}
	}
}

// downStore answers every read as a database that cannot be reached.
type downStore struct{}

var errDown = store.NewUnavailable("the database is unreachable; nothing was read", errors.New("dial tcp: connection refused"))

func (downStore) Board(context.Context, store.BoardQuery) (store.BoardSummary, error) {
	return store.BoardSummary{}, errDown
}

func (downStore) GetFlag(context.Context, int64) (store.FlagDetail, error) {
	return store.FlagDetail{}, errDown
}

// A database that is down (or busy, read-only, damaged) is a 503 saying
// so, with Retry-After, on the pages and the JSON alike, as the tools say
// it: it was a 500 "internal error".
func TestDatabaseFaultIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(New(Config{Store: downStore{}, Log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	for _, path := range []string{"/board/", "/board/flags/1", "/board/api/summary", "/board/api/flags/1"} {
		res, body := get(t, srv.URL+path)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
			!strings.Contains(body, "the database is unreachable; nothing was read") || strings.Contains(body, "internal error") {
			t.Errorf("%s: %d (Retry-After %q) %.200s; want 503 saying the database is unreachable", path, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	}
}
