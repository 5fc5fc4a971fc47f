package httpserve

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// roleTokens knows a token per role, and forgets revoked ones.
type roleTokens struct {
	mu      sync.Mutex
	revoked map[string]bool
	touched map[string]int
}

func (rt *roleTokens) Authenticate(_ context.Context, tok string) (auth.Principal, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	role, ok := strings.CutPrefix(tok, "mcpa_")
	if !ok || rt.revoked[tok] {
		return auth.Principal{}, fmt.Errorf("%w: unknown", auth.ErrBadToken)
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return auth.Principal{}, fmt.Errorf("%w: unknown", auth.ErrBadToken)
	}
	return auth.Principal{TokenID: "tok_" + role, Agent: "@people.ops", Role: r}, nil
}

func (rt *roleTokens) TouchToken(_ context.Context, id string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.touched == nil {
		rt.touched = map[string]int{}
	}
	rt.touched[id]++
	return nil
}

func (rt *roleTokens) touches(id string) int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.touched[id]
}

func boardServer(t *testing.T, cfg Config) (*httptest.Server, *roleTokens) {
	t.Helper()
	rt := &roleTokens{revoked: map[string]bool{}}
	cfg.Addr = "127.0.0.1:1"
	s, err := New(cfg, mcpserver.NewMCPServer("t", "1"), rt, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A stand-in board that says who it serves.
	err = s.MountBoard(func(wrap func(http.Handler) http.Handler) http.Handler {
		return wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := auth.From(r.Context())
			fmt.Fprintf(w, "board %s for %s", r.URL.Path, p.Role)
		}))
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, rt
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func TestBoardLogin(t *testing.T) {
	srv, rt := boardServer(t, Config{})
	plain := &http.Client{CheckRedirect: noRedirects}

	res, err := plain.Get(srv.URL + "/board/?impact=critical")
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/board/login?next=%2Fboard%2F%3Fimpact%3Dcritical" {
		t.Errorf("without a session: %d to %q, want the login form", res.StatusCode, loc)
	}
	for _, p := range []string{"/board/api/summary", "/board/events"} {
		if res, _ := plain.Get(srv.URL + p); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a session: %d, want 401", p, res.StatusCode)
		}
	}
	if res, _ := plain.Get(srv.URL + "/board/static/board.css"); res.StatusCode != 200 {
		t.Errorf("static assets need no session: %d", res.StatusCode)
	}
	res, _ = plain.Get(srv.URL + "/board/login")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("login form: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	// The form's own post keeps its Origin (no-referrer would make it
	// "null", which sameOrigin refuses).
	if got := res.Header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("login form: Referrer-Policy %q, want same-origin", got)
	}

	postAs := func(c *http.Client, ctype, body, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/board/login", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	post := func(c *http.Client, token, origin string) *http.Response {
		t.Helper()
		return postAs(c, "application/x-www-form-urlencoded", url.Values{"token": {token}, "next": {"/board/?impact=critical"}}.Encode(), origin)
	}
	for _, tc := range []struct {
		token, origin string
		status        int
		says          string
	}{
		{"mcpa_agent", "", http.StatusForbidden, "this one is an agent token"},
		{"mcpa_nonsense", "", http.StatusUnauthorized, "That token is unknown, revoked or expired."},
		{"", "", http.StatusBadRequest, "A token is required"},
		{"  ", "", http.StatusBadRequest, "A token is required"},
		{"\u200b\u200b", "", http.StatusBadRequest, "A token is required"},
		{"mcpa_observer", "https://evil.example", http.StatusForbidden, "posted from the board's own page"},
		{strings.Repeat("x", 9<<10), "", http.StatusRequestEntityTooLarge, "at most 8 KiB"},
	} {
		res := post(plain, tc.token, tc.origin)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || len(res.Cookies()) != 0 || !strings.Contains(string(body), tc.says) {
			t.Errorf("login with %.20q from %q: %d with cookies %v, %.200q, want %d and none, saying %q", tc.token, tc.origin, res.StatusCode, res.Cookies(), body, tc.status, tc.says)
		}
	}
	// A form the page did not send: multipart (read as no token at all by
	// ParseForm) is refused as such, not as a bad token.
	var mp strings.Builder
	mw := multipart.NewWriter(&mp)
	mw.WriteField("token", "mcpa_observer")
	mw.Close()
	for ctype, body := range map[string]string{mw.FormDataContentType(): mp.String(), "": "token=mcpa_observer", "text/plain": "token=mcpa_observer"} {
		res := postAs(plain, ctype, body, "")
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType || len(res.Cookies()) != 0 || !strings.Contains(string(msg), "application/x-www-form-urlencoded") {
			t.Errorf("login posted as %q: %d %q, want 415 naming the form's encoding", ctype, res.StatusCode, msg)
		}
	}

	for _, role := range []string{"observer", "admin"} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: noRedirects}
		res := post(c, "mcpa_"+role, srv.URL)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/board/?impact=critical" {
			t.Fatalf("%s login: %d to %q", role, res.StatusCode, res.Header.Get("Location"))
		}
		ck := res.Cookies()
		if len(ck) != 1 || ck[0].Name != BoardCookie || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/board" || ck[0].Secure {
			t.Errorf("%s cookie: %+v", role, ck)
		}
		if strings.Contains(ck[0].Value, "mcpa_") || strings.Contains(res.Header.Get("Location"), "mcpa_") {
			t.Error("the token leaked into the cookie or a URL")
		}
		if res, err := c.Get(srv.URL + "/board/"); err != nil || res.StatusCode != 200 {
			t.Errorf("%s with a session: %v %v", role, err, res)
		}
		// Revoking the token ends the session at once.
		rt.mu.Lock()
		rt.revoked["mcpa_"+role] = true
		rt.mu.Unlock()
		if res, _ := c.Get(srv.URL + "/board/api/summary"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s after revocation: %d", role, res.StatusCode)
		}
	}

	// Logging out forgets the session, when posted as the board's page
	// posts it under Referrer-Policy same-origin (Origin: the board's own);
	// not from another origin, nor from an opaque one ("null": a sandboxed
	// frame, or a page under no-referrer).
	rt.revoked = map[string]bool{}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: noRedirects}
	post(c, "mcpa_observer", "")
	logout := func(origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/board/logout", nil)
		req.Header.Set("Origin", origin)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, origin := range []string{"https://evil.example", "null"} {
		if res := logout(origin); res.StatusCode != http.StatusForbidden {
			t.Errorf("logout from Origin %q: %d, want 403", origin, res.StatusCode)
		}
	}
	if res, _ := c.Get(srv.URL + "/board/api/summary"); res.StatusCode != http.StatusOK {
		t.Fatalf("a refused logout ended the session: %d", res.StatusCode)
	}
	// The forms' routes answer another method 405, naming theirs, not 404.
	for _, tc := range []struct{ method, path, allow string }{
		{"GET", "/board/logout", "POST"},
		{"PUT", "/board/logout", "POST"},
		{"PUT", "/board/login", "GET, HEAD, POST"},
		{"DELETE", "/board/login", "GET, HEAD, POST"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s signed in: %d, Allow %q, want 405 allowing %s", tc.method, tc.path, res.StatusCode, res.Header.Get("Allow"), tc.allow)
		}
	}
	if res, _ := c.Get(srv.URL + "/board/api/summary"); res.StatusCode != http.StatusOK {
		t.Fatalf("a GET of the logout ended the session: %d", res.StatusCode)
	}
	if res := logout(srv.URL); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := c.Get(srv.URL + "/board/api/summary"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: %d", res.StatusCode)
	}
}

// A board login records the token's use, as a bearer call to /mcp does, so
// `tokens list` shows when an observer last looked.
func TestBoardRecordsTokenUse(t *testing.T) {
	srv, rt := boardServer(t, Config{})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: noRedirects}
	res, err := c.PostForm(srv.URL+"/board/login", url.Values{"token": {"mcpa_observer"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", err, res)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rt.touches("tok_observer") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a board login did not record the token's use")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Revoking a token also ends a live-update stream that is already open.
func TestBoardStreamEndsWhenTheTokenIsRevoked(t *testing.T) {
	defer func(d time.Duration) { streamRecheck = d }(streamRecheck)
	streamRecheck = 20 * time.Millisecond
	rt := &roleTokens{revoked: map[string]bool{}}
	s, err := New(Config{Addr: "127.0.0.1:1"}, mcpserver.NewMCPServer("t", "1"), rt, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A stand-in stream: open until its request's context ends.
	err = s.MountBoard(func(wrap func(http.Handler) http.Handler) http.Handler {
		return wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, ": listening\n\n")
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
		}))
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: noRedirects}
	form := url.Values{"token": {"mcpa_observer"}, "next": {"/board/"}}
	req, _ := http.NewRequest("POST", srv.URL+"/board/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	if res, err := c.Do(req); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", err, res)
	}
	res, err := c.Get(srv.URL + "/board/events")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, res)
	}
	defer res.Body.Close()
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, res.Body); close(ended) }()
	select {
	case <-ended:
		t.Fatal("the stream ended before the token was revoked")
	case <-time.After(100 * time.Millisecond):
	}
	rt.mu.Lock()
	rt.revoked["mcpa_observer"] = true
	rt.mu.Unlock()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after the token was revoked")
	}
}

// The cookie is Secure under TLS, and behind a TLS-terminating proxy
// (--insecure-http with an https --public-url), where browsers reach the
// board over TLS though the server speaks plain HTTP.
func TestBoardCookieSecureWithTLS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		secure bool
	}{
		{"tls", Config{TLSCert: "cert.pem", TLSKey: "key.pem"}, true},
		{"behind a TLS proxy", Config{PublicURL: "https://board.example.com/mcp"}, true},
		{"plain http", Config{}, false},
	} {
		srv, _ := boardServer(t, tc.cfg)
		res, err := (&http.Client{CheckRedirect: noRedirects}).PostForm(srv.URL+"/board/login", url.Values{"token": {"mcpa_observer"}})
		if err != nil {
			t.Fatal(err)
		}
		if ck := res.Cookies(); len(ck) != 1 || ck[0].Secure != tc.secure {
			t.Errorf("%s: cookie %+v, want Secure %v", tc.name, ck, tc.secure)
		}
	}
}

func TestBoardWithoutAuth(t *testing.T) {
	srv, _ := boardServer(t, Config{NoAuth: true})
	res, err := http.Get(srv.URL + "/board/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("--no-auth board: %v %v", err, res)
	}
}

// Scripts read the board's JSON with an observer or admin bearer token, as
// /mcp clients do: refused like /mcp (401 naming the metadata) when bad,
// 403 for an agent token, and its use recorded. The pages keep the login.
func TestBoardAPIAcceptsBearerTokens(t *testing.T) {
	srv, rt := boardServer(t, Config{})
	c := &http.Client{CheckRedirect: noRedirects}
	do := func(path, authz string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, role := range []string{"observer", "admin"} {
		for _, p := range []string{"/board/api/summary", "/board/api/flags/1"} {
			if res, body := do(p, "Bearer mcpa_"+role); res.StatusCode != 200 || body != "board "+p+" for "+role {
				t.Errorf("%s with an %s token: %d %q", p, role, res.StatusCode, body)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for rt.touches("tok_observer") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a bearer call to the board's JSON did not record the token's use")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if res, _ := do("/board/api/summary", "Bearer mcpa_agent"); res.StatusCode != http.StatusForbidden {
		t.Errorf("agent token: %d, want 403", res.StatusCode)
	}
	for _, authz := range []string{"Bearer mcpa_nonsense", "Basic b2JzZXJ2ZXI=", ""} {
		res, _ := do("/board/api/summary", authz)
		wa := res.Header.Get("WWW-Authenticate")
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, "resource_metadata=") {
			t.Errorf("%q: %d with WWW-Authenticate %q, want 401 pointing at the metadata", authz, res.StatusCode, wa)
		}
		if authz == "Bearer mcpa_nonsense" && !strings.Contains(wa, `error="invalid_token"`) {
			t.Errorf("a bad token's WWW-Authenticate %q does not say invalid_token", wa)
		}
	}
	// The pages still want the login form.
	if res, _ := do("/board/", "Bearer mcpa_observer"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a page with a bearer token: %d, want the login form", res.StatusCode)
	}
}

// A login's next page stays on the board, dot segments and all.
func TestBoardLoginNextStaysOnTheBoard(t *testing.T) {
	for next, want := range map[string]string{
		"/board/?impact=critical":       "/board/?impact=critical",
		"/board/flags/12":               "/board/flags/12",
		"/board/flags/1/../2":           "/board/flags/2",
		"/board/./flags/3":              "/board/flags/3",
		"/board/../evil":                "/board/",
		"/board/%2e%2e/evil":            "/board/",
		"/board/..":                     "/board/",
		"/board/./../board/flags/4?x=1": "/board/flags/4?x=1",
		"/boardroom/":                   "/board/",
		"//evil.example/board/":         "/board/",
		"/board\\..\\evil":              "/board/",
		"https://evil.example/board/":   "/board/",
		"board/":                        "/board/",
		"":                              "/board/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
	srv, _ := boardServer(t, Config{})
	c := &http.Client{CheckRedirect: noRedirects}
	res, err := c.PostForm(srv.URL+"/board/login", url.Values{"token": {"mcpa_observer"}, "next": {"/board/../evil"}})
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/board/" {
		t.Errorf("login with next=/board/../evil: %d to %q, want /board/", res.StatusCode, loc)
	}
}

// Behind a TLS proxy on the same machine the server sees loopback
// connections. A proxy that keeps the client's Host sends the --public-url's
// host, which /mcp serves (a rebinding Host is still refused); one that
// rewrites Host to the upstream leaves the browser's Origin at the public
// URL, which the board's sign-in and /mcp accept.
func TestSameMachineProxy(t *testing.T) {
	srv, _ := boardServer(t, Config{PublicURL: "https://mcp.example.com/mcp"})
	send := func(path, host, origin, body string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if path == "/mcp" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer mcpa_agent")
			req.Header.Set("Accept", "application/json, text/event-stream")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := (&http.Client{CheckRedirect: noRedirects}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	login := url.Values{"token": {"mcpa_observer"}}.Encode()
	for _, tc := range []struct {
		path, host, origin string
		status             int
	}{
		{"/mcp", "mcp.example.com", "", http.StatusOK},                        // Host kept
		{"/mcp", "mcp.example.com", "https://mcp.example.com", http.StatusOK}, // and from the board's page
		{"/mcp", "", "https://mcp.example.com", http.StatusOK},                // Host rewritten
		{"/mcp", "rebind.attacker.test", "", http.StatusForbidden},
		{"/mcp", "mcp.example.com:8443", "", http.StatusForbidden}, // not the public URL's host
		{"/mcp", "", "https://evil.example", http.StatusForbidden},
		{"/board/login", "mcp.example.com", "https://mcp.example.com", http.StatusSeeOther},
		{"/board/login", "", "https://mcp.example.com", http.StatusSeeOther},
		{"/board/login", "", "https://evil.example", http.StatusForbidden},
	} {
		body := initBody
		if tc.path != "/mcp" {
			body = login
		}
		if got := send(tc.path, tc.host, tc.origin, body); got != tc.status {
			t.Errorf("POST %s Host %q Origin %q: %d, want %d", tc.path, tc.host, tc.origin, got, tc.status)
		}
	}
}

// The board, like /mcp, refuses a request that came in on a loopback
// address naming a Host that is neither loopback nor the --public-url's
// (DNS rebinding): its sign-in set a cookie, and its pages and JSON
// answered, for Host: evil.example.
func TestBoardRefusesARebindingHost(t *testing.T) {
	srv, _ := boardServer(t, Config{})
	c := &http.Client{CheckRedirect: noRedirects}
	for _, host := range []string{"evil.example", "127.0.0.1.nip.io:80"} {
		for _, tc := range []struct{ method, path, authz, body string }{
			{"POST", "/board/login", "", url.Values{"token": {"mcpa_observer"}}.Encode()},
			{"GET", "/board/login", "", ""},
			{"GET", "/board/", "", ""},
			{"GET", "/board/api/summary", "Bearer mcpa_observer", ""},
		} {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Host = host
			if tc.authz != "" {
				req.Header.Set("Authorization", tc.authz)
			}
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
				t.Errorf("%s %s with Host %s: %d, cookies %v; want 403 and none", tc.method, tc.path, host, res.StatusCode, res.Cookies())
			}
		}
	}
	// A loopback Host is this machine.
	req, _ := http.NewRequest("GET", srv.URL+"/board/api/summary", nil)
	req.Host = "localhost"
	req.Header.Set("Authorization", "Bearer mcpa_observer")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("Host localhost: %d, want 200", res.StatusCode)
	}
}

// A script reading the board's JSON with a bearer token is held to the
// token's rate limit, as on /mcp.
func TestBoardAPIIsRateLimited(t *testing.T) {
	srv, _ := boardServer(t, Config{RateLimit: 1, RateBurst: 2})
	var codes []int
	for range 4 {
		req, _ := http.NewRequest("GET", srv.URL+"/board/api/summary", nil)
		req.Header.Set("Authorization", "Bearer mcpa_observer")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes = append(codes, res.StatusCode)
		if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[200 200 429 429]" {
		t.Errorf("four calls at once with --rate-limit 1 --rate-burst 2: %v, want [200 200 429 429]", codes)
	}
}

// An origin is a scheme as well as a host: http://mcp.example.com is not
// an https --public-url's page, and https://HOST:PORT is not a plain-HTTP
// server's own page at that address.
func TestOriginSchemeCounts(t *testing.T) {
	srv, _ := boardServer(t, Config{PublicURL: "https://mcp.example.com/mcp"})
	post := func(srvURL, path, origin string) int {
		t.Helper()
		body, ctype := url.Values{"token": {"mcpa_observer"}}.Encode(), "application/x-www-form-urlencoded"
		if path == "/mcp" {
			body, ctype = initBody, "application/json"
		}
		req, _ := http.NewRequest("POST", srvURL+path, strings.NewReader(body))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", ctype)
		if path == "/mcp" {
			req.Header.Set("Authorization", "Bearer mcpa_agent")
			req.Header.Set("Accept", "application/json, text/event-stream")
		}
		res, err := (&http.Client{CheckRedirect: noRedirects}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tc := range []struct {
		path, origin string
		status       int
	}{
		{"/board/login", "https://mcp.example.com", http.StatusSeeOther},
		{"/board/login", "http://mcp.example.com", http.StatusForbidden},
		{"/mcp", "http://mcp.example.com", http.StatusForbidden},
		// The address it was sent to, over plain HTTP: a TLS proxy's last
		// hop may have kept the browser's Host, so either scheme.
		{"/board/login", srv.URL, http.StatusSeeOther},
		{"/board/login", strings.Replace(srv.URL, "http://", "https://", 1), http.StatusSeeOther},
	} {
		if got := post(srv.URL, tc.path, tc.origin); got != tc.status {
			t.Errorf("POST %s from Origin %s: %d, want %d", tc.path, tc.origin, got, tc.status)
		}
	}

	// Without --public-url the server's own address is its origin, and it
	// serves plain HTTP there.
	ts := httptest.NewUnstartedServer(nil)
	s, err := New(Config{Addr: ts.Listener.Addr().String()}, mcpserver.NewMCPServer("t", "1"), &roleTokens{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	if got := post(ts.URL, "/mcp", strings.Replace(ts.URL, "http://", "https://", 1)); got != http.StatusForbidden {
		t.Errorf("initialize from the https origin of a plain-HTTP server's address: %d, want 403", got)
	}
	if got := post(ts.URL, "/mcp", ts.URL); got != http.StatusOK {
		t.Errorf("initialize from the server's own origin: %d, want 200", got)
	}
}

// Hosts and origins compare as browsers compare them: a host name in any
// case, and a scheme's default port written or not, are the same. An
// --public-url with :443 refused the proxy that sent Host mcp.example.com.
func TestHostsCompareCanonically(t *testing.T) {
	for _, public := range []string{"https://mcp.example.com/mcp", "https://mcp.example.com:443/mcp", "https://MCP.Example.com/mcp"} {
		srv, _ := boardServer(t, Config{PublicURL: public})
		for _, tc := range []struct{ host, origin string }{
			{"mcp.example.com", "https://mcp.example.com"},
			{"mcp.example.com:443", "https://mcp.example.com:443"},
			{"MCP.EXAMPLE.COM", "https://Mcp.Example.Com"},
			{"", "https://mcp.example.com:443"}, // Host rewritten by the proxy
		} {
			req, _ := http.NewRequest("POST", srv.URL+"/mcp", strings.NewReader(initBody))
			if tc.host != "" {
				req.Host = tc.host
			}
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer mcpa_agent")
			req.Header.Set("Accept", "application/json, text/event-stream")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("--public-url %s, Host %q, Origin %s: %d %s, want 200", public, tc.host, tc.origin, res.StatusCode, b)
			}
		}
	}
}
