// Package board serves the flag board: a page where the people who run the
// agents see who owes whom what — pending flags by impact, leases, inboxes,
// recent completions and events, and each flag with its history and chain.
//
// Pages are rendered on the server with html/template, because flag text is
// written by agents and must be escaped for its context; a small embedded
// script (no build step, nothing fetched from elsewhere) swaps in a fresh
// rendering when the change feed reports a commit, so the page stays live
// without a reload and still works with JavaScript off. The same data is
// served as JSON for scripts.
//
// The handler knows nothing about who may see it: the local `board`
// command serves it on loopback, and a server with tokens mounts it behind
// its own authentication (Config.Wrap).
package board

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Store is what the board reads; *store.Store implements it.
type Store interface {
	Board(ctx context.Context, q store.BoardQuery) (store.BoardSummary, error)
	GetFlag(ctx context.Context, id int64) (store.FlagDetail, error)
}

// Feed reports commits to the database; *live.Detector implements it.
type Feed interface {
	Listen(ctx context.Context, fn func(live.Update)) (stop func(), err error)
}

// Config configures New.
type Config struct {
	Store Store
	// Feed drives live updates; nil serves the pages without them.
	Feed Feed
	// Prefix is where the board is mounted ("" = "/board").
	Prefix string
	// Wrap, when set, wraps every board route, such as an authentication
	// check of a server with tokens. The local command leaves it nil.
	Wrap func(http.Handler) http.Handler
	Log  *slog.Logger
	// Canonical, when set, turns an agent filter given by an alias into
	// the agent's handle, as every tool argument is.
	Canonical func(handle string) string
	// Now is the clock for ages and lease times on the detail page
	// (nil = time.Now); the main page uses the store's.
	Now func() time.Time
	// Done, when it closes, ends the open event streams (a server shutting
	// down gracefully would otherwise wait for them).
	Done <-chan struct{}
}

//go:embed assets
var assets embed.FS

// csp allows nothing but the board's own script, style sheet and icon, and
// requests to its own origin.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type handler struct {
	cfg   Config
	views *views
}

// New returns the board's handler. It serves only paths under the prefix;
// mount it on a mux at prefix + "/".
func New(cfg Config) http.Handler {
	if cfg.Prefix == "" {
		cfg.Prefix = "/board"
	}
	cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &handler{cfg: cfg, views: newViews(cfg.Prefix)}
	p := cfg.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"/{$}", h.page)
	mux.HandleFunc("GET "+p+"/flags/{id}", h.flagPage)
	mux.HandleFunc("GET "+p+"/api/summary", h.apiSummary)
	mux.HandleFunc("GET "+p+"/api/flags/{id}", h.apiFlag)
	mux.HandleFunc("GET "+p+"/events", h.events)
	mux.HandleFunc("GET "+p+"/static/{name}", h.static)
	// Any other path is the board's own 404: a page with a way back (JSON
	// under api/), not the mux's bare "404 page not found".
	mux.HandleFunc("GET "+p+"/", h.notFound)
	mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
		u := p + "/"
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, u, http.StatusMovedPermanently)
	})
	var out http.Handler = secure(mux)
	if cfg.Wrap != nil {
		out = cfg.Wrap(out)
	}
	return readOnly(out)
}

// readOnly answers a method other than GET and HEAD with 405 before Wrap
// sees it: every board route only reads, and Wrap's "sign in" would send a
// person after a login that cannot make such a request right.
func readOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the board only reads: "+r.Method+" is not allowed here (GET or HEAD)", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// secure sets the headers every board response carries.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: under no-referrer Chromium posts
		// the page's forms (the team server's "Sign out") with
		// "Origin: null", which a same-origin check must refuse. Other
		// sites still get no referrer.
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// query reads the filters, list and page of a board URL.
func query(r *http.Request) (store.BoardQuery, error) {
	v := r.URL.Query()
	q := store.BoardQuery{
		Agent:       strings.TrimSpace(v.Get("agent")),
		FlagType:    strings.TrimSpace(v.Get("type")),
		ImpactLevel: strings.TrimSpace(v.Get("impact")),
		Status:      strings.TrimSpace(v.Get("status")),
		List:        strings.TrimSpace(v.Get("list")),
	}
	var err error
	if s := strings.TrimSpace(v.Get("page")); s != "" {
		if q.Page, err = strconv.Atoi(s); err != nil || q.Page < 1 {
			return q, &store.Error{Code: store.CodeInvalid, Field: "page", Message: "page must be a positive integer, got " + strconv.Quote(s)}
		}
	}
	if s := strings.TrimSpace(v.Get("offset")); s != "" {
		if q.Skip, err = strconv.Atoi(s); err != nil || q.Skip < 0 {
			return q, &store.Error{Code: store.CodeInvalid, Field: "offset", Message: "offset must be a number of rows, got " + strconv.Quote(s)}
		}
	}
	if s := strings.TrimSpace(v.Get("before")); s != "" {
		if q.Before, err = strconv.ParseInt(s, 10, 64); err != nil || q.Before < 1 {
			return q, &store.Error{Code: store.CodeInvalid, Field: "before", Message: "before must be an event id, got " + strconv.Quote(s)}
		}
	}
	return q, nil
}

// board reads the summary a board URL asks for.
func (h *handler) board(r *http.Request) (store.BoardSummary, error) {
	q, err := query(r)
	if err != nil {
		return store.BoardSummary{}, err
	}
	if h.cfg.Canonical != nil {
		q.Agent = h.cfg.Canonical(q.Agent)
	}
	sum, err := h.cfg.Store.Board(r.Context(), q)
	// The store names a field as the tools' arguments do (impact_level);
	// a person who typed the URL knows it by the URL's name (impact).
	var se *store.Error
	if errors.As(err, &se) && se.Code == store.CodeInvalid {
		if name := fieldParams[se.Field]; name != se.Field && strings.HasPrefix(se.Message, se.Field+" ") {
			renamed := *se
			renamed.Message = name + strings.TrimPrefix(se.Message, se.Field)
			return sum, &renamed
		}
	}
	return sum, err
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	sum, err := h.board(r)
	if err != nil {
		h.fail(w, r, err, false)
		return
	}
	d := h.views.boardData(sum, h.cfg.Feed != nil)
	d.Viewer = viewer(r)
	h.views.render(w, h.cfg.Log, http.StatusOK, "board.html", d)
}

func (h *handler) flagPage(w http.ResponseWriter, r *http.Request) {
	id, err := flagID(r)
	if err != nil {
		h.fail(w, r, err, false)
		return
	}
	d, err := h.cfg.Store.GetFlag(r.Context(), id)
	if err != nil {
		h.fail(w, r, err, false)
		return
	}
	fd := h.views.flagData(d, h.cfg.Now(), h.cfg.Feed != nil)
	fd.Viewer = viewer(r)
	h.views.render(w, h.cfg.Log, http.StatusOK, "flag.html", fd)
}

func (h *handler) apiSummary(w http.ResponseWriter, r *http.Request) {
	sum, err := h.board(r)
	if err != nil {
		h.fail(w, r, err, true)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		store.BoardSummary
		// Next links each cut list to the JSON of the rows that follow.
		Next map[string]string `json:"next"`
	}{sum, h.views.nextLinks(sum)})
}

func (h *handler) apiFlag(w http.ResponseWriter, r *http.Request) {
	id, err := flagID(r)
	if err != nil {
		h.fail(w, r, err, true)
		return
	}
	d, err := h.cfg.Store.GetFlag(r.Context(), id)
	if err != nil {
		h.fail(w, r, err, true)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// static serves the script, style sheet and icon: a file, never a
// directory's listing, and any other name is the board's own 404.
func (h *handler) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if fi, err := fs.Stat(staticFS(), name); err != nil || !fi.Mode().IsRegular() {
		h.notFound(w, r)
		return
	}
	http.ServeFileFS(w, r, staticFS(), name)
}

// notFound answers a path under the prefix that names no page.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	msg := "There is no board page at " + r.URL.Path + "."
	if strings.HasPrefix(r.URL.Path, h.cfg.Prefix+"/api/") {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such board API path: " + r.URL.Path +
			" (there are " + h.cfg.Prefix + "/api/summary and " + h.cfg.Prefix + "/api/flags/ID)"})
		return
	}
	d := h.views.errorData(http.StatusNotFound, msg)
	d.Viewer = viewer(r)
	h.views.render(w, h.cfg.Log, http.StatusNotFound, "error.html", d)
}

// viewer names the principal Wrap put in the context, if any.
func viewer(r *http.Request) string {
	p, ok := auth.From(r.Context())
	if !ok {
		return ""
	}
	return "token " + p.TokenID + " (" + string(p.Role) + ", " + p.Agent + ")"
}

func flagID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, &store.Error{Code: store.CodeInvalid, Field: "id", Message: "flag id must be a positive integer, got " + strconv.Quote(s)}
	}
	return id, nil
}

// fail answers a request the store refused: bad filters are 400, a missing
// flag 404, anything else 500 (logged, not shown).
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error, asJSON bool) {
	status, msg := http.StatusInternalServerError, "internal error: the board could not read the database"
	var se *store.Error
	if errors.As(err, &se) {
		switch se.Code {
		case store.CodeInvalid:
			status, msg = http.StatusBadRequest, se.Message
		case store.CodeNotFound:
			status, msg = http.StatusNotFound, se.Message
		case store.CodeUnavailable, store.CodeBusy:
			// The database is down, busy, read-only or damaged: a fault
			// to say as such, as the tools do, and one a reload may
			// outlast, not the board's own error.
			status, msg = http.StatusServiceUnavailable, se.Message
			w.Header().Set("Retry-After", "5")
		}
	}
	if status >= http.StatusInternalServerError {
		h.cfg.Log.Error("board: reading the database", "path", r.URL.Path, "err", err)
	}
	if asJSON {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	d := h.views.errorData(status, msg)
	if se != nil && se.Code == store.CodeInvalid && r.URL.Path == h.cfg.Prefix+"/" {
		d.Clear, d.Agent = h.views.recover(r.URL.Query(), se.Field)
	}
	h.views.render(w, h.cfg.Log, status, "error.html", d)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The default HTML escaping stays on: flag text reaches browsers.
	_ = json.NewEncoder(w).Encode(v)
}
