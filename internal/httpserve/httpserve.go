// Package httpserve serves the MCP server over Streamable HTTP (mcp-go's
// transport) for a team: bearer-token authentication, per-token rate
// limits, sessions bound to the principal that opened them, a request body
// bound, health endpoints and a graceful shutdown. The principal goes into
// the request context; the tools ask the context (package auth), so the
// server package stays transport-free.
package httpserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// Defaults of the transport (see the team server issue).
const (
	DefaultSessionTTL = 30 * time.Minute
	DefaultHeartbeat  = 30 * time.Second
	DefaultRateLimit  = 50
	DefaultRateBurst  = 100
	// maxSessionsPerToken bounds the live sessions of one token: past it,
	// an initialize ends the token's least recently used session.
	maxSessionsPerToken = 64
	// MaxBody bounds a request body: mcp-go reads bodies unbounded.
	MaxBody = 4 << 20
	// drainTimeout is how long in-flight calls may finish after SIGTERM.
	drainTimeout = 10 * time.Second
	// Path is where the MCP endpoint is mounted.
	Path = "/mcp"
)

// ProtocolVersions are the versions served, newest first: 2026-07-28 has
// no sessions, so neither session binding nor the inbox rules would hold
// there, and 2024-11-05 predates Streamable HTTP.
var ProtocolVersions = []string{mcp.ProtocolVersion20251125, mcp.ProtocolVersion20250618, mcp.ProtocolVersion20250326}

// Tokens authenticates bearer tokens; *store.Store implements it.
type Tokens interface {
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
	TouchToken(ctx context.Context, id string) error
}

// Config is what `serve --http` was given.
type Config struct {
	Addr             string
	TLSCert, TLSKey  string
	PublicURL        string // the resource; default scheme://Addr/mcp
	NoAuth           bool
	RateLimit        float64 // per token per second; 0 = off
	RateBurst        int
	SessionTTL       time.Duration
	Heartbeat        time.Duration
	Log              *slog.Logger
	ProtocolVersions []string // default ProtocolVersions
}

// Server is the HTTP side of one serving process.
type Server struct {
	cfg          Config
	mcp          *mcpserver.StreamableHTTPServer
	tokens       Tokens      // the board checks here: a revocation ends its sessions at once
	cached       *tokenCache // /mcp checks here: no database read per request
	ready        func(context.Context) error
	onShutdown   func()
	resource     string
	publicHost   string // the --public-url's HOST[:PORT] (canonHost): the Host and Origin of requests a proxy passes on
	publicScheme string // and its scheme, which a browser's Origin for that host has too
	metaURL      string
	limits       limiter
	sessions     sessions
	touched      sync.Map // token id → time.Time of the last last-used write
	// evictWarned: token id → time.Time of the last warning that its
	// sessions went over the bound.
	evictWarned sync.Map
	handler     http.Handler
}

// New builds the server. ready reports whether the process can serve
// (catalog loaded, database writable); onShutdown runs first on shutdown
// (it ends pending waits). tokens may be nil only with cfg.NoAuth.
func New(cfg Config, srv *mcpserver.MCPServer, tokens Tokens, ready func(context.Context) error, onShutdown func()) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if len(cfg.ProtocolVersions) == 0 {
		cfg.ProtocolVersions = ProtocolVersions
	}
	if !cfg.NoAuth && tokens == nil {
		return nil, errors.New("httpserve: authentication needs a token store")
	}
	if onShutdown == nil {
		onShutdown = func() {}
	}
	s := &Server{cfg: cfg, tokens: tokens, ready: ready, onShutdown: onShutdown}
	if tokens != nil {
		s.cached = newTokenCache(tokens, TokenCacheTTL)
	}
	s.resource = cfg.PublicURL
	if s.resource == "" {
		scheme := "http"
		if cfg.TLSCert != "" {
			scheme = "https"
		}
		s.resource = scheme + "://" + cfg.Addr + Path
	}
	u, err := url.Parse(s.resource)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("--public-url %q must be an absolute URL such as https://mcp.example.com/mcp", s.resource)
	}
	s.publicHost, s.publicScheme = canonHost(u.Host, u.Scheme), u.Scheme
	metaPath := mcpserver.ProtectedResourceMetadataPath(s.resource)
	s.metaURL = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: metaPath}).String()
	s.limits = limiter{rate: cfg.RateLimit, burst: max(cfg.RateBurst, 1)}
	s.sessions.ttl = cfg.SessionTTL

	s.mcp = mcpserver.NewStreamableHTTPServer(srv,
		mcpserver.WithStateful(true),
		mcpserver.WithSessionIdleTTL(cfg.SessionTTL),
		mcpserver.WithHeartbeatInterval(cfg.Heartbeat),
		mcpserver.WithStreamableHTTPProtocolVersions(cfg.ProtocolVersions...),
		mcpserver.WithStreamableHTTPLogger(cfg.Log),
		// refuseForeignOrigin checks the Host, knowing --public-url.
		mcpserver.WithDisableLocalhostProtection(true),
	)

	meta := mcpserver.NewProtectedResourceMetadataHandler(mcpserver.ProtectedResourceMetadataConfig{
		Resource:               s.resource,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "mcp-agents",
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	// The metadata is outside authentication: a client without a token
	// reads it to learn how to get one.
	mux.Handle(metaPath, meta)
	if metaPath != mcpserver.WellKnownProtectedResourcePath {
		mux.Handle(mcpserver.WellKnownProtectedResourcePath, meta)
	}
	var h http.Handler = s.mcp
	h = pinVersion(cfg.ProtocolVersions, h)
	h = invalidURIs(h)
	if !cfg.NoAuth {
		// After limitBody, which reads the body only once the token is
		// good: bindSession must see whether a POST is an initialize.
		h = s.bindSession(h)
	} else {
		h = s.trackStreams(h)
	}
	h = limitBody(h)
	if !cfg.NoAuth {
		h = s.rateLimit(h)
		h = s.authenticate(h)
	}
	h = s.refuseForeignOrigin(h)
	mux.Handle(Path, h)
	s.handler = mux
	return s, nil
}

// Handler is the whole HTTP surface: /mcp, /healthz, /readyz and the
// protected-resource metadata.
func (s *Server) Handler() http.Handler { return s.handler }

// Resource is the resource identifier (the MCP endpoint's public URL).
func (s *Server) Resource() string { return s.resource }

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.cfg.Log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// Serve answers on ln until ctx ends, then shuts down gracefully: no new
// connections, pending waits end at once with their current result,
// sessions close (their GET streams end), and in-flight calls get 10 s to
// finish. It returns nil after a graceful shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln = &onceCloseListener{Listener: ln}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
	}
	s.cfg.Log.Info("shutting down: closing sessions, waiting up to 10 s for calls in flight")
	ln.Close() // stop accepting before anything else
	s.onShutdown()
	drain, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	s.mcp.CloseSessions(drain)
	err := hs.Shutdown(drain)
	if err != nil {
		s.cfg.Log.Warn("calls still in flight after 10 s; closing their connections", "err", err)
		hs.Close()
	}
	<-served
	return nil
}

// onceCloseListener lets Serve close the listener first and http.Server
// close it again.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
