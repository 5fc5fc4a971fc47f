package httpserve

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"golang.org/x/time/rate"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/flagtext"
	"github.com/mcp-agents/mcp-agents/internal/resourceuri"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

// touchEvery bounds the writes of a token's last-used time from this
// process (the store bounds them across processes as well).
const touchEvery = time.Minute

// authenticate admits a request carrying a valid bearer token, with its
// principal in the context; anything else is 401 pointing at the
// protected-resource metadata (RFC 9728, RFC 6750).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, p, ok := s.checkBearer(w, r)
		if !ok {
			return
		}
		ctx := auth.With(r.Context(), p)
		if r.Method == http.MethodGet {
			// A GET is a stream that lasts (notifications for a session):
			// its token is checked again as it runs, so revoking it or its
			// expiry ends the stream too, as they end the board's.
			// The watcher ends before the request does: nothing of a
			// request outlives it (tests change streamRecheck between
			// requests, and a watcher still starting raced with them).
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			watched := make(chan struct{})
			go func() {
				defer close(watched)
				s.endWhenRefused(ctx, cancel, token, p.Expires)
			}()
			defer func() { cancel(); <-watched }()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// checkBearer checks the request's bearer token (through the cache) and
// records its use; without one, or with a bad one, it answers 401 pointing
// at the protected-resource metadata (503 when the token cannot be checked)
// and reports false.
func (s *Server) checkBearer(w http.ResponseWriter, r *http.Request) (string, auth.Principal, bool) {
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer resource_metadata=%q`, s.metaURL))
		http.Error(w, "missing bearer token: send Authorization: Bearer <token> (create one with `mcp-agents tokens create`)", http.StatusUnauthorized)
		return "", auth.Principal{}, false
	}
	p, err := s.cached.Authenticate(r.Context(), token)
	if err != nil {
		if !errors.Is(err, auth.ErrBadToken) {
			s.cfg.Log.Error("authenticating a token failed", "err", err)
			http.Error(w, "cannot check the token now; retry", http.StatusServiceUnavailable)
			return "", auth.Principal{}, false
		}
		s.cfg.Log.Info("token refused", "reason", err, "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", error_description="the token is unknown, revoked or expired", resource_metadata=%q`, s.metaURL))
		http.Error(w, "invalid token: unknown, revoked or expired", http.StatusUnauthorized)
		return "", auth.Principal{}, false
	}
	s.touch(p.TokenID)
	return token, p, true
}

// endWhenRefused calls end once token is refused (revoked, say) or at its
// expiry. It asks the database itself, not the cache, as the board does;
// a database that cannot answer leaves the stream open.
func (s *Server) endWhenRefused(ctx context.Context, end context.CancelFunc, token string, expires time.Time) {
	endWhen(ctx, end, expires, func() bool {
		_, err := s.tokens.Authenticate(ctx, token)
		return errors.Is(err, auth.ErrBadToken)
	})
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// touch records the token's use at most once a minute, off the request's
// path.
func (s *Server) touch(id string) {
	now := time.Now()
	if last, ok := s.touched.Load(id); ok && now.Sub(last.(time.Time)) < touchEvery {
		return
	}
	s.touched.Store(id, now)
	go func() {
		if err := s.tokens.TouchToken(context.Background(), id); err != nil {
			s.cfg.Log.Debug("recording a token's last use failed", "token", id, "err", err)
		}
	}()
}

// limiter holds one token bucket per token id.
type limiter struct {
	rate  float64
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

func (l *limiter) get(id string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*rate.Limiter{}
	}
	lim, ok := l.m[id]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(l.rate), l.burst)
		l.m[id] = lim
	}
	return lim
}

// rateLimit answers 429 with Retry-After once a token exceeds its rate.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.limits.rate <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.From(r.Context())
		res := s.limits.get(p.TokenID).Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			http.Error(w, fmt.Sprintf("rate limit: at most %g requests a second (burst %d) per token; retry later", s.limits.rate, s.limits.burst), http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sessions binds each MCP session id to the token that initialised it.
type sessions struct {
	ttl time.Duration
	// perToken bounds the live sessions one token holds (maxSessionsPerToken
	// unless a test says otherwise).
	perToken  int
	mu        sync.Mutex
	m         map[string]*binding
	byToken   map[string]map[string]*binding // token id → its sessions, by id
	lastSweep time.Time
}

type binding struct {
	token string
	seen  time.Time
	// streams are the GET streams open on the session: mcp-go's
	// heartbeats keep such a session alive, and mcp-go never ends them
	// itself when the session ends (DELETE, idle TTL), so ending the
	// session cancels them.
	streams map[*context.CancelFunc]struct{}
	ended   bool
}

func (ss *sessions) lookup(id string) (*binding, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	b, ok := ss.m[id]
	if ok {
		b.seen = time.Now()
	}
	return b, ok
}

// bind records that token initialised session id. When that makes more
// than the bound of the token's sessions, its least recently used one is
// dropped here and named, for the caller to end in mcp-go too: a client
// that initialises in a loop and never DELETEs would otherwise pile up
// sessions, each queueing notifications nobody reads.
func (ss *sessions) bind(id, token string) (evicted string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	if ss.m == nil {
		ss.m = map[string]*binding{}
		ss.byToken = map[string]map[string]*binding{}
	}
	b := &binding{token: token, seen: now}
	ss.m[id] = b
	owned := ss.byToken[token]
	if owned == nil {
		owned = map[string]*binding{}
		ss.byToken[token] = owned
	}
	owned[id] = b
	if len(owned) > ss.limit() {
		var victim *binding
		for k, o := range owned {
			if k != id && (victim == nil || lessUsed(o, victim)) {
				victim, evicted = o, k
			}
		}
		ss.drop(evicted, victim)
	}
	// mcp-go forgets sessions idle past the TTL; so do we. Every write on a
	// GET stream (a heartbeat at least) counts as activity to mcp-go, so a
	// session with a stream open is never idle.
	if now.Sub(ss.lastSweep) > min(time.Minute, ss.ttl) {
		ss.lastSweep = now
		for k, b := range ss.m {
			if len(b.streams) == 0 && now.Sub(b.seen) > ss.ttl {
				ss.drop(k, b)
			}
		}
	}
	return evicted
}

func (ss *sessions) limit() int { return cmp.Or(ss.perToken, maxSessionsPerToken) }

// lessUsed orders sessions for eviction: those without a GET stream open
// first (one with a stream is in use now, whatever its last request's
// time), then by their last request.
func lessUsed(a, b *binding) bool {
	if (len(a.streams) == 0) != (len(b.streams) == 0) {
		return len(a.streams) == 0
	}
	return a.seen.Before(b.seen)
}

// drop forgets session id, bound as b, and ends its GET streams; ss.mu is
// held.
func (ss *sessions) drop(id string, b *binding) {
	delete(ss.m, id)
	if owned := ss.byToken[b.token]; owned != nil {
		delete(owned, id)
		if len(owned) == 0 {
			delete(ss.byToken, b.token)
		}
	}
	b.ended = true
	for cancel := range b.streams {
		(*cancel)()
	}
}

// streaming records a GET stream open on b, to be ended with its session,
// until the returned func runs; it serves the stream under the returned
// context. It reports false when the session ended since b was looked up.
func (ss *sessions) streaming(ctx context.Context, b *binding) (_ context.Context, closed func(), ok bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if b.ended {
		return nil, nil, false
	}
	ctx, closed = ss.addStream(ctx, b)
	return ctx, closed, true
}

// addStream is streaming's, with ss.mu held.
func (ss *sessions) addStream(ctx context.Context, b *binding) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	if b.streams == nil {
		b.streams = map[*context.CancelFunc]struct{}{}
	}
	b.streams[&cancel] = struct{}{}
	return ctx, func() {
		cancel()
		ss.mu.Lock()
		delete(b.streams, &cancel)
		b.seen = time.Now()
		ss.mu.Unlock()
	}
}

// streamingUnbound is streaming for a session no token is bound to
// (--no-auth): the entry lasts while a stream is open.
func (ss *sessions) streamingUnbound(ctx context.Context, id string) (context.Context, func()) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[string]*binding{}
	}
	b, ok := ss.m[id]
	if !ok {
		b = &binding{seen: time.Now()}
		ss.m[id] = b
	}
	ctx, closed := ss.addStream(ctx, b)
	return ctx, func() {
		closed()
		ss.mu.Lock()
		if ss.m[id] == b && len(b.streams) == 0 {
			delete(ss.m, id)
		}
		ss.mu.Unlock()
	}
}

// trackStreams, under --no-auth where no session is bound, records each
// GET stream by the session id it names, so that ending the session ends
// it as with tokens.
func (s *Server) trackStreams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(mcpserver.HeaderKeySessionID)
		if r.Method != http.MethodGet || id == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, closed := s.sessions.streamingUnbound(r.Context(), id)
		defer closed()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// end drops the session's binding, so that a later request on it gets 404,
// and ends its GET streams.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if b, ok := ss.m[id]; ok {
		ss.drop(id, b)
	}
}

// SessionEnded ends what this server keeps of an MCP session mcp-go ended
// (a DELETE, its idle TTL, shutdown): its GET streams would otherwise stay
// open, hearing heartbeats but nothing else, while every POST on it gets
// 404. Register it on the MCP server's session-unregister hook.
func (s *Server) SessionEnded(id string) { s.sessions.end(id) }

// bindSession refuses (403) a request carrying a session id that another
// principal initialised, and 404s an id it never saw (mcp-go's GET would
// otherwise open a stream for any id). The binding is recorded from the
// Mcp-Session-Id header of the initialize response.
//
// An initialize always starts a new session, whatever Mcp-Session-Id it
// carries, as mcp-go does under --no-auth (the session it names goes on,
// untouched): checking that id against the bindings, and not recording the
// new one, answered a client re-initialising on a live session with an id
// that every later request found unknown. It runs after limitBody, so the
// body is in memory.
func (s *Server) bindSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.From(r.Context())
		id := r.Header.Get(mcpserver.HeaderKeySessionID)
		if r.Method == http.MethodPost && (id == "" || isInitialize(r.Body)) {
			var evicted string
			next.ServeHTTP(&sessionRecorder{ResponseWriter: w, bind: func(sid string) { evicted = s.sessions.bind(sid, p.TokenID) }}, r)
			if evicted != "" {
				s.evict(r.Context(), evicted, p.TokenID)
			}
			return
		}
		if id == "" {
			http.Error(w, "Mcp-Session-Id is required: initialize a session with POST first", http.StatusBadRequest)
			return
		}
		b, ok := s.sessions.lookup(id)
		if !ok {
			http.Error(w, "session not found: it expired or was closed; initialize a new one", http.StatusNotFound)
			return
		}
		if b.token != p.TokenID {
			s.cfg.Log.Warn("session used by another token", "token", p.TokenID, "session_token", b.token, "remote", r.RemoteAddr)
			http.Error(w, "this session belongs to another token", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodGet {
			ctx, closed, ok := s.sessions.streaming(r.Context(), b)
			if !ok {
				http.Error(w, "session not found: it expired or was closed; initialize a new one", http.StatusNotFound)
				return
			}
			defer closed()
			r = r.WithContext(ctx)
		}
		if r.Method == http.MethodDelete {
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if rec.status < 300 {
				s.sessions.end(id)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// evict ends in mcp-go a session bind dropped for its token's bound, as a
// DELETE would: unregistering it alone would leave the transport's state of
// it (its queue of notifications included) until the idle TTL.
func (s *Server) evict(ctx context.Context, id, token string) {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodDelete, Path, nil)
	if err != nil {
		s.cfg.Log.Error("ending a session over the token's bound failed", "token", token, "session", id, "err", err)
		return
	}
	req.Header.Set(mcpserver.HeaderKeySessionID, id)
	rec := &heldResponse{header: http.Header{}}
	s.mcp.ServeHTTP(rec, req)
	if rec.status >= 300 {
		s.cfg.Log.Error("ending a session over the token's bound failed", "token", token, "session", id, "status", rec.status, "answer", rec.body.String())
	}
	// A client looping initialize would log a line each time.
	now := time.Now()
	if last, ok := s.evictWarned.Load(token); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.evictWarned.Store(token, now)
	s.cfg.Log.Warn(fmt.Sprintf("a token holds more than %d sessions: its least recently used ones end (logged at most once a minute per token)", s.sessions.limit()),
		"token", token, "session", id)
}

// isInitialize reports whether body, as limitBody left it, is an
// initialize request. A JSON string can spell "initialize" other than
// literally only with \u escapes, so other bodies (tool arguments can be
// large) are not decoded.
func isInitialize(body io.Reader) bool {
	mb, ok := body.(*memBody)
	if !ok || !bytes.Contains(mb.b, []byte("initialize")) && !bytes.Contains(mb.b, []byte(`\u`)) {
		return false
	}
	var msg struct {
		Method string `json:"method"`
	}
	return json.Unmarshal(mb.b, &msg) == nil && msg.Method == string(mcp.MethodInitialize)
}

// sessionRecorder records the session id a response assigns, before the
// header goes out (so the client's next request finds the binding). It
// keeps http.Flusher: responses may be SSE streams.
type sessionRecorder struct {
	http.ResponseWriter
	bind func(id string)
	done bool
}

func (w *sessionRecorder) WriteHeader(code int) {
	if !w.done {
		w.done = true
		if id := w.Header().Get(mcpserver.HeaderKeySessionID); id != "" && code < 300 {
			w.bind(id)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionRecorder) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *sessionRecorder) Flush() {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *sessionRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitBody refuses bodies over MaxBody with 413 before mcp-go reads them
// (it reads bodies whole, unbounded).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		tooLarge := func() {
			http.Error(w, fmt.Sprintf("request body too large: at most %d bytes (4 MiB)", MaxBody), http.StatusRequestEntityTooLarge)
		}
		if r.ContentLength > MaxBody {
			tooLarge()
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge()
				return
			}
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		// Refused here, before mcp-go runs it: invalidURIs, which answers
		// the other requests server.CheckRequest refuses, lets mcp-go
		// serve the request first, and a tool call would then have been
		// made with U+FFFD in place of the bytes.
		if !utf8.Valid(body) {
			answer := server.NotUTF8(body)
			if len(answer) == 0 {
				http.Error(w, "Bad Request: the message is not valid UTF-8; JSON text must be UTF-8, so nothing was done", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(append(answer, '\n'))
			return
		}
		r.Body = &memBody{Reader: bytes.NewReader(body), b: body}
		next.ServeHTTP(w, r)
	})
}

// memBody is a request body limitBody has read, so that the handlers after
// it can look at the bytes without another copy.
type memBody struct {
	*bytes.Reader
	b []byte
}

func (*memBody) Close() error { return nil }

// invalidURIs gives a resources/read or resources/subscribe of a malformed
// URI of this server's schemes (and the other requests server.CheckRequest
// refuses) the invalid-params answer server.CheckRequest
// makes, instead of the internal error mcp-go reports for whatever error a
// resource handler returns (see package resourceuri). The request still
// goes through mcp-go, so that its checks (DNS rebinding, session, protocol
// version header) answer first; only its JSON-RPC error is replaced. It
// runs after limitBody, so the body is in memory.
func invalidURIs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := r.Body.(*memBody)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		answer := server.CheckRequest(body.b)
		// A read of a well-formed URI that names nothing is answered by
		// its handler, which mcp-go reports as an internal error: held
		// too, to be answered "not found".
		if answer == nil && !bytes.Contains(body.b, []byte(mcp.MethodResourcesRead)) {
			next.ServeHTTP(w, r)
			return
		}
		// Without http.Flusher, mcp-go answers in one JSON body, not a
		// stream; the handler fails at once, so holding it costs nothing.
		rec := &heldResponse{header: http.Header{}}
		next.ServeHTTP(rec, r)
		rec.WriteHeader(http.StatusOK) // if nothing was written
		out := rec.body.Bytes()
		if rec.status < 300 {
			stream := strings.HasPrefix(rec.header.Get("Content-Type"), "text/event-stream")
			if answer != nil {
				out = replaceError(out, answer, stream)
			} else {
				out = eachMessage(out, stream, resourceuri.RewriteNotFound)
			}
		}
		maps.Copy(w.Header(), rec.header)
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		_, _ = w.Write(out)
	})
}

// heldResponse keeps a response to be rewritten. It is no http.Flusher on
// purpose.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

// replaceError replaces the JSON-RPC response in body (a JSON body, or the
// data lines of an event stream) with answer, the refusal
// server.CheckRequest made: mcp-go answers a malformed read with an internal
// error, and an unsubscribe from anything with a success ({}), which is
// not true either. Notifications and anything else are left as they are.
func replaceError(body, answer []byte, stream bool) []byte {
	isResponse := func(msg []byte) bool {
		var m struct {
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		return json.Unmarshal(msg, &m) == nil && m.Method == "" && (len(m.Error) > 0 && string(m.Error) != "null" || len(m.Result) > 0)
	}
	return eachMessage(body, stream, func(msg []byte) []byte {
		if isResponse(msg) {
			return answer
		}
		return msg
	})
}

// eachMessage returns body (a JSON body, or an event stream) with each
// JSON-RPC message in it replaced by what fn makes of it.
func eachMessage(body []byte, stream bool, fn func(msg []byte) []byte) []byte {
	if !stream {
		msg := bytes.TrimSpace(body)
		if out := fn(msg); !bytes.Equal(out, msg) {
			return append(out, '\n')
		}
		return body
	}
	lines := bytes.SplitAfter(body, []byte("\n"))
	for i, line := range lines {
		data, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		msg := bytes.TrimSpace(data)
		if out := fn(msg); !bytes.Equal(out, msg) {
			lines[i] = append(append([]byte("data: "), out...), '\n')
		}
	}
	return bytes.Join(lines, nil)
}

// pinVersion answers an initialize asking for a protocol version this
// transport does not serve (2024-11-05, which had no Streamable HTTP) with
// the newest one it does, as the specification has servers do: mcp-go
// would otherwise agree to any version it knows. It runs after limitBody,
// so the body is already in memory.
//
// An initialize that carries a session id is one too: it starts a new
// session all the same (see bindSession).
//
// It also answers 400 to any other message that comes without a session
// id, as the specification says a server that requires sessions should;
// mcp-go says 404 "Invalid session ID", which tells a client its session
// expired when it never had one.
func pinVersion(served []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A version header this transport does not serve gets 400, as the
		// specification says. mcp-go served 2024-11-05 inside a session,
		// answered it 404 without one, and called "garbage" (or its draft
		// version, which this server does not serve) a missing _meta field,
		// as it takes any value after its draft for that draft. An
		// initialize says its version in its body (and is answered with a
		// served one), so there only a header naming no version at all is
		// refused.
		if asked := r.Header.Get(mcpserver.HeaderKeyProtocolVersion); asked != "" && !slices.Contains(served, asked) &&
			!(r.Method == http.MethodPost && isInitialize(r.Body) && mcp.IsValidProtocolVersion(asked)) {
			http.Error(w, fmt.Sprintf("Bad Request: unsupported %s header %s; this server serves %s", mcpserver.HeaderKeyProtocolVersion,
				strconv.Quote(flagtext.Line(asked, 64)), strings.Join(served, ", ")), http.StatusBadRequest)
			return
		}
		if r.Method != http.MethodPost || r.Header.Get(mcpserver.HeaderKeySessionID) != "" && !isInitialize(r.Body) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		var msg map[string]json.RawMessage
		var params map[string]json.RawMessage
		var version string
		asked := r.Header.Get(mcpserver.HeaderKeyProtocolVersion)
		if json.Unmarshal(body, &msg) == nil && string(msg["method"]) != `"initialize"` && (asked == "" || slices.Contains(served, asked)) {
			http.Error(w, "Bad Request: the "+mcpserver.HeaderKeySessionID+" header is required; send initialize first", http.StatusBadRequest)
			return
		}
		if string(msg["method"]) == `"initialize"` &&
			json.Unmarshal(msg["params"], &params) == nil && json.Unmarshal(params["protocolVersion"], &version) == nil &&
			!slices.Contains(served, version) && !mcp.IsModernProtocol(version) {
			params["protocolVersion"], _ = json.Marshal(served[0])
			msg["params"], _ = json.Marshal(params)
			body, _ = json.Marshal(msg)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// refuseForeignOrigin answers 403 to a request whose Origin header names
// another site, as the MCP transport requires of servers (against DNS
// rebinding and pages that post to a server their visitor can reach). This
// server sends no CORS headers, so no cross-origin page could use an
// answer anyway.
//
// It also refuses what mcp-go's own DNS-rebinding check did (off, see New):
// a request that came in on a loopback address naming another Host than a
// loopback one, unless that Host is the --public-url's. A TLS proxy on the
// same machine that keeps the client's Host (Caddy's default, nginx with
// proxy_set_header Host) sends exactly that, and mcp-go refused it whatever
// --public-url said.
func (s *Server) refuseForeignOrigin(next http.Handler) http.Handler {
	return s.refuseForeignHost(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.sameOrigin(r) {
			http.Error(w, "Forbidden: the Origin header "+strconv.Quote(r.Header.Get("Origin"))+" is not this server's", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// refuseForeignHost is refuseForeignOrigin's Host half, which the board
// has too (its forms check Origin themselves, saying so in their words).
func (s *Server) refuseForeignHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && IsLoopback(local.String()) &&
			!IsLoopback(r.Host) && canonHost(r.Host, s.publicScheme) != s.publicHost {
			http.Error(w, "Forbidden: invalid Host header "+strconv.Quote(r.Host)+"; behind a proxy, give the server's public address as --public-url", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// canonHost is host (HOST[:PORT]) as compared with another: lowercased,
// without the port that is scheme's default. MCP.example.com:443 over
// https is mcp.example.com, as it is to a browser (RFC 6454).
func canonHost(host, scheme string) string {
	host = strings.ToLower(host)
	if h, port, err := net.SplitHostPort(host); err == nil && (scheme == "https" && port == "443" || scheme == "http" && port == "80") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}

// IsLoopback reports whether addr, a host or HOST:PORT, names this machine
// only: localhost or a loopback IP.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
