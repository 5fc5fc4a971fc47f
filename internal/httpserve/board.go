package httpserve

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/flagtext"
)

// BoardCookie is the board's session cookie. It holds a random session id,
// never the token.
const BoardCookie = "mcpa_board"

// boardSessionTTL bounds a board login; the token is checked again on
// every request, so revoking it ends the session at once.
const boardSessionTTL = 12 * time.Hour

// MountBoard serves the flag board at /board. People sign in once with an
// observer or admin token on a form (the token travels in a POST body,
// never in a URL) and get an HttpOnly, SameSite=Strict session cookie,
// Secure under TLS or behind a TLS proxy (an https --public-url). newBoard builds the board's handler
// around the wrapper that enforces this (board.Config.Wrap). Scripts reach
// the JSON under /board/api/ with an observer or admin bearer token
// instead, as /mcp clients do. Under --no-auth (loopback only) the board
// needs no login.
func (s *Server) MountBoard(newBoard func(wrap func(http.Handler) http.Handler) http.Handler) error {
	mux, ok := s.handler.(*http.ServeMux)
	if !ok {
		return errors.New("httpserve: cannot mount the board: the handler is not a ServeMux")
	}
	b := &boardAuth{s: s, sessions: map[string]boardSession{}}
	h := newBoard(b.wrap)
	// The board has the rebinding check /mcp has (with --no-auth the
	// board's own wrapper answers a foreign Host 421).
	handle := func(pattern string, h http.Handler) {
		if !s.cfg.NoAuth {
			h = s.refuseForeignHost(h)
		}
		mux.Handle(pattern, h)
	}
	if !s.cfg.NoAuth {
		handle("GET /board/login", http.HandlerFunc(b.form))
		handle("POST /board/login", http.HandlerFunc(b.login))
		handle("POST /board/logout", http.HandlerFunc(b.logout))
		// Without these, another method reached the board's own routes,
		// which answered 404 (or "sign in") for a page that exists.
		handle("/board/login", notAllowed("GET, HEAD, POST"))
		handle("/board/logout", notAllowed("POST"))
	}
	handle("/board/", h)
	handle("/board", h)
	return nil
}

// notAllowed answers 405, naming the methods allowed.
func notAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		http.Error(w, r.Method+" is not allowed here (only "+allow+"): the sign-in and sign-out are forms posted from the board's pages", http.StatusMethodNotAllowed)
	}
}

type boardSession struct {
	token   string
	expires time.Time
}

type boardAuth struct {
	s  *Server
	mu sync.Mutex
	// sessions are this process's only: a restart signs every board user
	// out, and replicas do not share them (the README says how to route
	// browsers). Worth it for a cookie that holds no token and dies with
	// the process.
	sessions map[string]boardSession
}

// secure reports whether the board's cookie is Secure: under TLS, or
// behind a TLS-terminating proxy, which --public-url https://… says.
func (b *boardAuth) secure(r *http.Request) bool {
	return b.s.cfg.TLSCert != "" || r.TLS != nil || strings.HasPrefix(b.s.resource, "https://")
}

// mayWatch reports whether a role may see the board.
func mayWatch(r auth.Role) bool { return r == auth.RoleObserver || r == auth.RoleAdmin }

func (b *boardAuth) wrap(next http.Handler) http.Handler {
	if b.s.cfg.NoAuth {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The script, style sheet and icon are the same for everyone, and
		// the login form uses the style sheet.
		if strings.HasPrefix(r.URL.Path, "/board/static/") {
			next.ServeHTTP(w, r)
			return
		}
		// The JSON is for scripts too, which carry a bearer token as /mcp
		// clients do (checked, refused and recorded the same way); the
		// pages keep the login, so a token never has to sit in a browser.
		if strings.HasPrefix(r.URL.Path, "/board/api/") && r.Header.Get("Authorization") != "" {
			_, p, ok := b.s.checkBearer(w, r)
			if !ok {
				return
			}
			if !mayWatch(p.Role) {
				http.Error(w, "the board's JSON is for observer and admin tokens; this is an "+string(p.Role)+" token", http.StatusForbidden)
				return
			}
			// A script's token counts against the same rate limit as on /mcp.
			b.s.rateLimit(next).ServeHTTP(w, r.WithContext(auth.With(r.Context(), p)))
			return
		}
		p, err := b.principal(r)
		if err != nil {
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/board/api/") && r.URL.Path != "/board/events" {
				http.Redirect(w, r, "/board/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if strings.HasPrefix(r.URL.Path, "/board/api/") {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer resource_metadata=%q`, b.s.metaURL))
				http.Error(w, "send Authorization: Bearer <observer or admin token>, or sign in at /board/login", http.StatusUnauthorized)
				return
			}
			http.Error(w, "sign in at /board/login with an observer or admin token", http.StatusUnauthorized)
			return
		}
		ctx := auth.With(r.Context(), p)
		if r.URL.Path == "/board/events" {
			// A stream is one request that lasts: its session is checked
			// again as it runs, so revoking the token ends it too.
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			go b.endWhenSignedOut(ctx, cancel, r)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// streamRecheck is how often a live-update stream's session is checked
// again: as often as a revoked token can still be taken on trust.
var streamRecheck = TokenCacheTTL

// endWhenSignedOut calls end once r's session or token no longer holds.
func (b *boardAuth) endWhenSignedOut(ctx context.Context, end context.CancelFunc, r *http.Request) {
	endWhen(ctx, end, time.Time{}, func() bool {
		_, err := b.principal(r)
		return err != nil
	})
}

// endWhen calls end at expires (unless zero) or once gone, asked every
// streamRecheck, reports true; it returns when ctx ends.
func endWhen(ctx context.Context, end context.CancelFunc, expires time.Time, gone func() bool) {
	var expiry <-chan time.Time
	if !expires.IsZero() {
		t := time.NewTimer(time.Until(expires))
		defer t.Stop()
		expiry = t.C
	}
	tick := time.NewTicker(streamRecheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-expiry:
			end()
			return
		case <-tick.C:
			if gone() {
				end()
				return
			}
		}
	}
}

// principal checks the request's session and its token, as of now.
func (b *boardAuth) principal(r *http.Request) (auth.Principal, error) {
	c, err := r.Cookie(BoardCookie)
	if err != nil {
		return auth.Principal{}, err
	}
	b.mu.Lock()
	sess, ok := b.sessions[c.Value]
	if ok && time.Now().After(sess.expires) {
		delete(b.sessions, c.Value)
		ok = false
	}
	b.mu.Unlock()
	if !ok {
		return auth.Principal{}, errors.New("no such session")
	}
	p, err := b.s.tokens.Authenticate(r.Context(), sess.token)
	if err != nil {
		return auth.Principal{}, err
	}
	if !mayWatch(p.Role) {
		return auth.Principal{}, errors.New("role may not watch")
	}
	b.s.touch(p.TokenID)
	return p, nil
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="same-origin">
<title>Sign in · mcp-agents flag board</title><link rel="stylesheet" href="/board/static/board.css"></head>
<body><main id="content"><h1>Flag board</h1>
<p>Sign in with an <strong>observer</strong> or <strong>admin</strong> token (<code>mcp-agents tokens create --role observer …</code>).</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/board/login">
<input type="hidden" name="next" value="{{.Next}}">
<p><label for="token">Token</label><br><input id="token" name="token" type="password" autocomplete="off" required autofocus></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>`))

func (b *boardAuth) renderForm(w http.ResponseWriter, status int, next, msg string) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	// As the board's pages: the form's Origin stays, for sameOrigin.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, struct{ Next, Error string }{next, msg})
}

// safeNext keeps a post-login redirect on the board: a path on this host
// that, cleaned of dot segments (which browsers resolve, encoded or not),
// is still under /board/.
func safeNext(next string) string {
	const home = "/board/"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, home) {
		return home
	}
	u.Path, u.RawPath = clean, ""
	return u.String()
}

func (b *boardAuth) form(w http.ResponseWriter, r *http.Request) {
	b.renderForm(w, http.StatusOK, safeNext(r.URL.Query().Get("next")), "")
}

// sameOrigin refuses a request a page of another site made: its Origin
// names neither the host it was sent to nor the --public-url's, which is
// the host a browser sees behind a proxy that rewrites Host. The board's
// forms need it (the cookie is SameSite=Strict, but the login itself has
// none yet), and /mcp (refuseForeignOrigin). A request without Origin is
// not from another site's page: a client, or a same-origin navigation that
// omits it.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	// "null" (an opaque origin: a sandboxed frame, or a page under
	// Referrer-Policy no-referrer, which the board's pages therefore do not
	// use) is refused: it says nothing of where the form was.
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	switch host := canonHost(u.Host, u.Scheme); host {
	case s.publicHost:
		// An origin is scheme, host and port: http://mcp.example.com is
		// another site than an https --public-url of that host.
		return u.Scheme == s.publicScheme
	case canonHost(r.Host, u.Scheme):
		// Plain HTTP here may be the last hop of a TLS proxy that kept
		// the browser's Host, so either scheme is this server's own.
		return r.TLS == nil || u.Scheme == "https"
	}
	return false
}

func (b *boardAuth) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if !b.s.sameOrigin(r) {
		http.Error(w, "the login form must be posted from the board's own page", http.StatusForbidden)
		return
	}
	// ParseForm reads no other body, so a token sent as multipart/form-data
	// was read as none; the page's form is urlencoded, and reading
	// multipart too would only add a parser under the 8 KiB limit.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		http.Error(w, "the login form must be sent as application/x-www-form-urlencoded, as the page at /board/login sends it", http.StatusUnsupportedMediaType)
		return
	}
	if err := r.ParseForm(); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			http.Error(w, "login form too large: at most 8 KiB", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	// Without the invisible characters a paste can carry (a zero-width
	// space from a chat or a document): no token has any.
	token := strings.TrimSpace(flagtext.Clean(r.PostForm.Get("token")))
	if token == "" {
		b.renderForm(w, http.StatusBadRequest, next, "A token is required: paste an observer or admin token.")
		return
	}
	p, err := b.s.tokens.Authenticate(r.Context(), token)
	switch {
	case err != nil && !errors.Is(err, auth.ErrBadToken):
		b.s.cfg.Log.Error("board login: checking a token failed", "err", err)
		b.renderForm(w, http.StatusServiceUnavailable, next, "The token cannot be checked now; try again.")
		return
	case err != nil:
		b.renderForm(w, http.StatusUnauthorized, next, "That token is unknown, revoked or expired.")
		return
	case !mayWatch(p.Role):
		b.renderForm(w, http.StatusForbidden, next, "The board is for observer and admin tokens; this one is an "+string(p.Role)+" token.")
		return
	}
	b.s.touch(p.TokenID)
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	b.mu.Lock()
	now := time.Now()
	for k, v := range b.sessions {
		if now.After(v.expires) {
			delete(b.sessions, k)
		}
	}
	b.sessions[id] = boardSession{token: token, expires: now.Add(boardSessionTTL)}
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: BoardCookie, Value: id, Path: "/board", MaxAge: int(boardSessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: b.secure(r)})
	b.s.cfg.Log.Info("board login", "token", p.TokenID, "role", p.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (b *boardAuth) logout(w http.ResponseWriter, r *http.Request) {
	if !b.s.sameOrigin(r) {
		http.Error(w, "the logout form must be posted from the board's own page", http.StatusForbidden)
		return
	}
	if c, err := r.Cookie(BoardCookie); err == nil {
		b.mu.Lock()
		delete(b.sessions, c.Value)
		b.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: BoardCookie, Value: "", Path: "/board", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: b.secure(r)})
	http.Redirect(w, r, "/board/login", http.StatusSeeOther)
}
