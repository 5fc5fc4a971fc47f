package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// findChromium returns a headless-capable Chromium, or skips the test
// saying why. .ci/run installs Debian's chromium when it is missing.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MCP_AGENTS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on this machine (install Debian's chromium package, as .ci/run does, or set MCP_AGENTS_CHROMIUM): the browser test of the board did not run")
	return ""
}

// startBoard runs `mcp-agents board` on a free loopback port and returns
// its address.
func (s sandbox) startBoard(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(binary, "board", "--db", s.db, "--addr", "127.0.0.1:0")
	cmd.Env, cmd.Dir = s.env(), s.cwd
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)/board/`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(15 * time.Second):
		t.Fatal("mcp-agents board did not announce its address")
		return ""
	}
}

// startChromium starts headless Chromium for one test, ended with it;
// its context gives up after 90 s.
func startChromium(t *testing.T, chrome string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// TestBoardInABrowser drives the board in headless Chromium: the DOM shows
// the flags and counts, a flag created through the MCP server in another
// process appears without a reload (scroll position kept), a chain opens
// as a tree, full-page screenshots are saved narrow and wide, and no
// request leaves the board's origin.
func TestBoardInABrowser(t *testing.T) {
	chrome := findChromium(t)
	s := newSandbox(t)
	c := s.start(t)
	var created struct {
		Flag struct {
			ID int64 `json:"id"`
		} `json:"flag"`
	}
	create := func(args map[string]any) int64 {
		t.Helper()
		callTool(t, c, "create_flag", args, &created)
		return created.Flag.ID
	}
	crit := flagArgs("@frontend.react")
	crit["flag_type"], crit["impact_level"] = "breaking_change", "critical"
	crit["change_description"] = `The orders API returns amounts in minor units; <script>alert("board")</script> was in this text.`
	root := create(crit)
	for i := range 3 {
		args := flagArgs("@database.postgres")
		args["change_description"] = fmt.Sprintf("Orders now carry amount_minor (step %d of the migration); the decimal column is going away.", i+1)
		args["chain_origin_id"] = root
		create(args)
	}
	bc := flagArgs("")
	delete(bc, "target_agent")
	bc["change_description"] = "The staging database is reset tonight at 22:00 UTC; export what you need before then."
	create(bc)
	low := flagArgs("@cloud.aws")
	low["flag_type"], low["impact_level"] = "refactor", "low"
	create(low)

	base := s.startBoard(t)
	origin, _ := url.Parse(base)

	shots := os.Getenv("MCP_AGENTS_BOARD_SHOTS") // keep the screenshots (for docs/)
	if shots == "" {
		shots = t.TempDir()
	}
	ctx := startChromium(t, chrome)

	var mu sync.Mutex
	var requests, problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, ev.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, ev.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatalf("starting Chromium (%s): %v", chrome, err)
	}

	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	waitFor := func(what, expr string, d time.Duration) time.Duration {
		t.Helper()
		t0 := time.Now()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d))); err != nil {
			t.Fatalf("%s: not within %s: %v", what, d, err)
		}
		return time.Since(t0)
	}

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/board/")); err != nil {
		t.Fatal(err)
	}
	waitFor("the stream opened", `document.getElementById('live-status').textContent.startsWith('Live:')`, 10*time.Second)
	for sel, want := range map[string]string{
		`[data-count="pending"]`: "6", `[data-count="pending-critical"]`: "1", `[data-count="broadcasts"]`: "1",
		`[data-count="locked"]`: "0", `[data-count="completed"]`: "0",
	} {
		if got := eval(`document.querySelector('` + sel + `').textContent`); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if got := eval(`[...document.querySelectorAll('#pending h3 .impact')].map(e => e.textContent).join(',')`); got != "critical,medium,low" {
		t.Errorf("impact groups %q, want critical,medium,low", got)
	}
	if got := eval(`document.querySelector('#pending .flag .change').textContent`); !strings.Contains(got, `<script>alert("board")</script>`) {
		t.Errorf("the critical flag's text is not shown as text: %q", got)
	}
	if got := eval(`String(document.querySelectorAll('script').length)`); got != "1" {
		t.Errorf("%s script elements, want only the board's own", got)
	}

	// Scroll down at a narrow width, then create a flag in another process.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 640)); err != nil {
		t.Fatal(err)
	}
	eval(`window.__noReload = 'kept'; window.scrollTo(0, 400); String(window.scrollY)`)
	newFlag := flagArgs("@frontend.react")
	newFlag["flag_type"], newFlag["impact_level"] = "security", "critical"
	newFlag["change_description"] = "Session cookies lacked the Secure attribute on the admin host; fixed in the gateway config."
	t0 := time.Now()
	id := create(newFlag)
	waitFor("the new flag on the page", fmt.Sprintf(`!!document.querySelector('a.flag-link[href="/board/flags/%d"]')`, id), 5*time.Second)
	latency := time.Since(t0)
	t.Logf("a flag created through the MCP server appeared on the board %s after the call", latency.Round(time.Millisecond))
	if latency > time.Second {
		t.Errorf("the board took %s to show a new flag, want within 1 s", latency)
	}
	if got := eval(`window.__noReload || 'reloaded'`); got != "kept" {
		t.Error("the page reloaded to show the change")
	}
	if got := eval(`String(Math.round(window.scrollY))`); got != "400" {
		t.Errorf("scroll position after the update = %s, want 400", got)
	}
	if got := eval(`document.querySelector('[data-count="pending-critical"]').textContent`); got != "2" {
		t.Errorf("critical count after the update = %s, want 2", got)
	}

	// A lease and a completion, made through the MCP server too, show in
	// their sections; whatever had the focus keeps it through each live
	// update: an agent link in a flag row (its row found again by the flag
	// it belongs to, though a new row came in above it), then the
	// scrollable inbox table.
	focus := func(sel string) string {
		t.Helper()
		return eval(`(function () {
			var el = document.querySelector('` + sel + `');
			el.focus();
			window.__updated = document.body.getAttribute('data-updated');
			var row = el.closest('li');
			window.__focused = el.cloneNode(false).outerHTML + (row ? ' in ' + row.querySelector('[data-key]').getAttribute('data-key') : '');
			return document.activeElement === el ? window.__focused : 'not focused';
		})()`)
	}
	keptFocus := func(what string) {
		t.Helper()
		waitFor("a live update", `document.body.getAttribute('data-updated') !== window.__updated`, 5*time.Second)
		got := eval(`(function () {
			var el = document.activeElement, row = el.closest('li');
			return el.cloneNode(false).outerHTML + (row ? ' in ' + row.querySelector('[data-key]').getAttribute('data-key') : '');
		})()`)
		if want := eval(`window.__focused`); got != want {
			t.Errorf("%s: after a live update the focus is on %.200s, want %.200s", what, got, want)
		}
	}
	if got := focus(`#pending li.flag:last-child .route a`); got == "not focused" {
		t.Fatal("cannot focus an agent link")
	}
	callTool(t, c, "lock_flag", map[string]any{"flag_id": root, "agent": "@frontend.react"}, &struct{}{})
	waitFor("the lease on the page", `document.querySelector('[data-count="locked"]').textContent === '1' &&
		document.querySelector('#locked .meta').textContent.includes('locked by @frontend.react')`, 5*time.Second)
	keptFocus("an agent link in a flag row")
	if got := focus(`#inboxes div.scroll`); got == "not focused" {
		t.Fatal("cannot focus the inbox table")
	}
	callTool(t, c, "complete_flag", map[string]any{"flag_id": root + 1, "agent": "@database.postgres", "notes": "Migrated."}, &struct{}{})
	waitFor("the completion on the page", `document.querySelector('[data-count="completed"]').textContent === '1'`, 5*time.Second)
	keptFocus("the scrollable inbox table")

	shot := func(name string, width int64) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(shots, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s (%d bytes)", p, len(png))
	}
	eval(`document.activeElement.blur(); window.scrollTo(0, 0); ''`) // no focus ring in the screenshots
	shot("board-narrow.png", 360)
	shot("board-wide.png", 1600)

	// Open the chain from its root's row, through the link a person clicks.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#pending a.flag-link[href="/board/flags/%d"]`, root))),
		chromedp.WaitVisible(chromedp.CSS(`ul.tree`)),
	); err != nil {
		t.Fatal(err)
	}
	if got := eval(`[...document.querySelectorAll('ul.tree > li > ul > li')].length + ''`); got != "3" {
		t.Errorf("the chain tree has %s children under the root, want 3", got)
	}
	if got := eval(`document.querySelector('ul.tree [aria-current="page"]').textContent`); !strings.HasPrefix(got, fmt.Sprintf("#%d ", root)) {
		t.Errorf("current flag in the tree: %q", got)
	}
	// j and k walk the chain from the flag itself: j to the next flag in
	// the tree, again to the one after, k back. The root is the chain's
	// first flag: k from it goes nowhere (not on to the next flag).
	keys := func(k string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatal(err)
		}
		return eval(`document.activeElement.getAttribute('href') || document.activeElement.tagName`)
	}
	for i, step := range []struct {
		key  string
		want int64
	}{{"k", 0}, {"j", root + 1}, {"j", root + 2}, {"k", root + 1}} {
		want := fmt.Sprintf("/board/flags/%d", step.want)
		if step.want == 0 {
			want = "BODY"
		}
		if got := keys(step.key); got != want {
			t.Errorf("key %d (%s) on a flag's page: focus on %s, want %s", i+1, step.key, got, want)
		}
	}
	eval(`document.activeElement.blur(); ''`)
	shot("flag-narrow.png", 360)
	shot("flag-wide.png", 1600)

	// A chain 24 levels deep reads at 360 px: no sideways scrolling, and
	// the deepest node keeps a line's width for its text.
	deep, parent := root, int64(0)
	for i := range 24 {
		args := flagArgs("@database.postgres")
		args["change_description"] = fmt.Sprintf("Step %d of a long migration: the orders service hands the next table over.", i+1)
		args["chain_origin_id"] = deep
		parent, deep = deep, create(args)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 640), chromedp.Navigate(fmt.Sprintf("%s/board/flags/%d", base, deep)),
		chromedp.WaitVisible(chromedp.CSS(`ul.tree [aria-current="page"]`))); err != nil {
		t.Fatal(err)
	}
	if got := eval(`String(document.documentElement.scrollWidth)`); got != "360" {
		t.Errorf("a 24-deep chain is %s px wide at 360 px", got)
	}
	if got, _ := strconv.Atoi(eval(`String(Math.round(document.querySelector('ul.tree [aria-current="page"]').closest('.node').getBoundingClientRect().width))`)); got < 200 {
		t.Errorf("the deepest node of the chain is %d px wide at 360 px, want 200 or more", got)
	}
	if got := eval(`document.querySelector('ul.tree [aria-current="page"]').closest('.node').querySelector('.depth').textContent`); got != "↳ depth 24" {
		t.Errorf("the deepest node says %q, want its depth", got)
	}
	// The deepest flag is the chain's last: j from it goes nowhere (not
	// back to the flag before it), and k to the flag before.
	if got := keys("j"); got != "BODY" {
		t.Errorf("j on the last flag of a chain: focus on %s, want it left alone", got)
	}
	if got, want := keys("k"), fmt.Sprintf("/board/flags/%d", parent); got != want {
		t.Errorf("k on the last flag of a chain: focus on %s, want %s, the flag before it", got, want)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(requests) < 5 {
		t.Errorf("only %d requests seen: %v", len(requests), requests)
	}
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Scheme+"://"+u.Host != origin.Scheme+"://"+origin.Host {
			t.Errorf("a request left the board's origin %s: %s", origin.Host, r)
		}
	}
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
}

// browserPage evaluates script in a test's Chromium.
type browserPage struct {
	t   *testing.T
	ctx context.Context
}

// eval is the string expr evaluates to.
func (b browserPage) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor waits up to 10 s for expr to be true, asking again while pages
// load (a navigation ends chromedp's own Poll).
func (b browserPage) waitFor(what, expr string) {
	b.t.Helper()
	var err error
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		var ok bool
		if ok, err = chromedp.Run(b.ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
	}
	b.t.Fatalf("%s: not within 10 s (at %s: %.300s): %v", what, b.eval(`location.href`), b.eval(`document.body ? document.body.innerText : ''`), err)
}

// TestBoardSignOutInABrowser signs in to the team server's board in
// Chromium and out again with the page's own "Sign out" button, which must
// end the session; a form on another origin that posts to the logout (a
// page on another port of the same host: same site, so the SameSite=Strict
// cookie goes along) is refused, and the session holds.
func TestBoardSignOutInABrowser(t *testing.T) {
	chrome := findChromium(t)
	s := newSandbox(t)
	secret, _ := s.token(t, "@people.ops", "observer")
	hs := s.startHTTP(t)
	ctx := startChromium(t, chrome)

	b := browserPage{t, ctx}
	eval, waitFor := b.eval, b.waitFor
	signedIn := func() bool {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(hs.base+"/board/")); err != nil {
			t.Fatal(err)
		}
		return eval(`location.pathname + (document.querySelector('form.signout button') ? ' signed in' : '')`) == "/board/ signed in"
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(hs.base+"/board/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), secret),
		chromedp.Submit(chromedp.CSS("#token")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor("signed in", `location.pathname === '/board/' && !!document.querySelector('form.signout button')`)

	// Another origin's form posting to the logout.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/board/logout"><button id="go">go</button></form>`, hs.base)
	}))
	defer evil.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(evil.URL), chromedp.Click(chromedp.CSS("#go"))); err != nil {
		t.Fatal(err)
	}
	waitFor("the cross-site logout answered", `location.pathname === '/board/logout'`)
	if got := eval(`document.body.innerText`); !strings.Contains(got, "posted from the board's own page") {
		t.Errorf("a logout posted from another origin: %q, want it refused", got)
	}
	if !signedIn() {
		t.Fatal("a logout posted from another origin ended the session")
	}

	// The board's own button.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.signout button`))); err != nil {
		t.Fatal(err)
	}
	waitFor("the login form after signing out", `location.pathname === '/board/login'`)
	if signedIn() {
		t.Error("Sign out left the session signed in")
	}
}

// TestBoardLiveUpdateKeepsFocusInABrowser: a live update leaves the focus
// on the same control, though the page around it changed. A link with no
// key of its own (an inbox's agent) is found again in its own section and
// row, not by counting the links alike across the page, which a new flag
// naming the same agent further up would shift; a pager's link is found by
// its key, though its URL changed (a new event moves "older"'s before=).
func TestBoardLiveUpdateKeepsFocusInABrowser(t *testing.T) {
	chrome := findChromium(t)
	s := newSandbox(t)
	c := s.start(t)
	create := func(args map[string]any) int64 {
		t.Helper()
		var created struct {
			Flag struct {
				ID int64 `json:"id"`
			} `json:"flag"`
		}
		callTool(t, c, "create_flag", args, &created)
		return created.Flag.ID
	}
	// From @backend.api, a critical flag under a lease (a Locked row
	// linking @backend.api) and, to fill the events past a page, 50 more;
	// and one to @backend.api, for its inbox row.
	crit := flagArgs("@frontend.react")
	crit["flag_type"], crit["impact_level"] = "breaking_change", "critical"
	callTool(t, c, "lock_flag", map[string]any{"flag_id": create(crit), "agent": "@frontend.react"}, &struct{}{})
	for range 50 {
		create(flagArgs("@frontend.react"))
	}
	toBackend := flagArgs("@backend.api")
	toBackend["source_agent"] = "@web.ui"
	create(toBackend)

	base := s.startBoard(t)
	ctx := startChromium(t, chrome)
	b := browserPage{t, ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/board/")); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the stream opened", `document.getElementById('live-status').textContent.startsWith('Live:')`)

	where := `(function () {
		var el = document.activeElement, sec = el.closest('section[id]');
		return el.tagName + (el === document.body ? '' : ' ' + el.textContent) + ' in ' + (sec ? sec.id : 'no section');
	})()`
	focus := func(sel string) string {
		t.Helper()
		got := b.eval(`(function () {
			var el = document.querySelector('` + sel + `');
			if (!el) { return 'none'; }
			el.focus();
			return ` + where + `;
		})()`)
		if got == "none" || strings.HasPrefix(got, "BODY") {
			t.Fatalf("cannot focus %s: %s", sel, got)
		}
		return got
	}
	// shown waits for the live update that shows flag id in the events.
	shown := func(id int64) {
		t.Helper()
		b.waitFor("a live update", fmt.Sprintf(`!!document.querySelector('#events a[href="/board/flags/%d"]')`, id))
	}

	// A new critical flag from @backend.api: one more link to its agent
	// page, above the inbox row's.
	want := focus(`#inboxes a[href="/board/?agent=%40backend.api"]`)
	crit2 := flagArgs("@cloud.aws")
	crit2["flag_type"], crit2["impact_level"] = "security", "critical"
	shown(create(crit2))
	if got := b.eval(where); got != want {
		t.Errorf("after a new flag naming the same agent the focus is on %q, want %q", got, want)
	}

	// A new event: the events' "older" link now reads on from another
	// event, and keeps the focus.
	want = focus(`#events h2 .more a:last-child`) // "older"
	href := b.eval(`document.activeElement.getAttribute('href') || ''`)
	shown(create(flagArgs("@cloud.aws")))
	if got := b.eval(where); got != want {
		t.Errorf("after a new event the focus is on %q, want %q", got, want)
	}
	if got := b.eval(`document.activeElement.getAttribute('href') || ''`); got == href {
		t.Errorf("the older link still reads on from the same event (%s): the test shows nothing", got)
	}
}

// TestBoardSaysWhenItsSignInEndsInABrowser: once the token behind a board
// session is revoked, the live-update stream is refused (401), which
// EventSource never retries; the page must say that the sign-in ended and
// link to the sign-in form, which comes back to this page (filters and
// all), not say "reconnecting…" forever.
func TestBoardSaysWhenItsSignInEndsInABrowser(t *testing.T) {
	chrome := findChromium(t)
	s := newSandbox(t)
	secret, id := s.token(t, "@people.ops", "observer")
	hs := s.startHTTP(t)
	ctx := startChromium(t, chrome)
	b := browserPage{t, ctx}

	if err := chromedp.Do(ctx, chromedp.Navigate(hs.base+"/board/?impact=critical"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), secret),
		chromedp.Submit(chromedp.CSS("#token")),
	); err != nil {
		t.Fatal(err)
	}
	// The stream's opening refreshes the page once.
	b.waitFor("the stream opened", `location.pathname === '/board/' && document.body.hasAttribute('data-updated')`)

	if _, stderr, code := s.cli(t, "tokens", "revoke", "--db", s.db, id); code != 0 {
		t.Fatalf("tokens revoke: exit %d: %s", code, stderr)
	}
	b.waitFor("the page saying the sign-in ended", `document.getElementById('live-status').textContent.includes('sign-in has ended')`)
	link := `document.querySelector('#live-status a')`
	if got, want := b.eval(`(function () { var a = `+link+`; return a ? a.pathname + a.search : 'no link'; })()`),
		"/board/login?next="+url.QueryEscape("/board/?impact=critical"); got != want {
		t.Errorf("the sign-in link is %s, want %s", got, want)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#live-status a`))); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the sign-in form", `location.pathname === '/board/login' && !!document.querySelector('#token')`)
	if got := b.eval(`document.querySelector('input[name=next]').value`); got != "/board/?impact=critical" {
		t.Errorf("the sign-in form goes back to %q, want the page it came from", got)
	}
}
