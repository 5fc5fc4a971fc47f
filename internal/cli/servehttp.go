package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/board"
	"github.com/mcp-agents/mcp-agents/internal/httpserve"
	mcpagents "github.com/mcp-agents/mcp-agents/internal/server"
)

// httpFlags are serve's options for the team server.
type httpFlags struct {
	addr, tlsCert, tlsKey, publicURL string
	insecure, noAuth                 bool
	rateLimit                        float64
	rateBurst                        int
	sessionTTL                       time.Duration
}

func (h *httpFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.addr, "http", "", "serve MCP over Streamable HTTP on `ADDR` (such as 127.0.0.1:8765) at /mcp, with bearer tokens, instead of stdio")
	fs.StringVar(&h.tlsCert, "tls-cert", "", "with --http: TLS certificate `FILE` (PEM)")
	fs.StringVar(&h.tlsKey, "tls-key", "", "with --http: TLS private key `FILE` (PEM)")
	fs.StringVar(&h.publicURL, "public-url", "", "with --http: the MCP endpoint's `URL` as clients reach it (default scheme://ADDR/mcp)")
	fs.BoolVar(&h.insecure, "insecure-http", false, "with --http: allow a non-loopback address without TLS (behind a TLS-terminating proxy)")
	fs.BoolVar(&h.noAuth, "no-auth", false, "with --http on a loopback address: no tokens; identity comes from the arguments, as over stdio")
	h.rateLimit, h.rateBurst = httpserve.DefaultRateLimit, httpserve.DefaultRateBurst
	fs.Var(numberFlag{&h.rateLimit}, "rate-limit", "with --http: requests per second per token, `N` (a number; 0 = off)")
	fs.Var(plainInt{&h.rateBurst}, "rate-burst", "with --http: burst of requests per token, `M` (an integer)")
	fs.DurationVar(&h.sessionTTL, "session-ttl", httpserve.DefaultSessionTTL, "with --http: idle MCP sessions end after `DURATION`")
	// Package flag says only "parse error" of a value it cannot read.
	checked(fs, "session-ttl", func(s string) error {
		if _, err := time.ParseDuration(s); err != nil {
			return errors.New("must be a duration such as 30m or 2h")
		}
		return nil
	})
}

// numberFlag is a decimal number option. strconv also reads NaN and
// infinities, and "--rate-limit NaN" turned the rate limit off.
type numberFlag struct{ p *float64 }

func (f numberFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if errors.Is(err, strconv.ErrRange) {
		return errOutOfRange // 1e999
	}
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("must be a number")
	}
	*f.p = v
	return nil
}

func (f numberFlag) String() string {
	if f.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

// plainInt is a base-10 integer option: package flag's own reads 0x10 and
// 1_0 too, and says only "parse error" of the rest.
type plainInt struct{ p *int }

func (f plainInt) Set(s string) error {
	v, err := parseInteger(s)
	if err != nil {
		return err
	}
	if int64(int(v)) != v {
		return errOutOfRange
	}
	*f.p = int(v)
	return nil
}

func (f plainInt) String() string {
	if f.p == nil {
		return "0"
	}
	return strconv.Itoa(*f.p)
}

// check refuses combinations that would expose tokens or data, before
// anything is opened; opt names an option as it was typed (env.option).
func (h *httpFlags) check(fs *flag.FlagSet, opt func(string) string) error {
	if h.addr == "" {
		var given []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "tls-cert", "tls-key", "public-url", "insecure-http", "no-auth", "rate-limit", "rate-burst", "session-ttl":
				given = append(given, opt(f.Name))
			}
		})
		if len(given) > 0 {
			return usagef("%s: only with --http ADDR", strings.Join(given, ", "))
		}
		return nil
	}
	host, port, err := net.SplitHostPort(h.addr)
	if err != nil || port == "" {
		return usagef("%s %q: want HOST:PORT, such as 127.0.0.1:8765", opt("http"), h.addr)
	}
	if (h.tlsCert == "") != (h.tlsKey == "") {
		return usagef("%s and %s go together", opt("tls-cert"), opt("tls-key"))
	}
	loopback := httpserve.IsLoopback(host)
	if h.noAuth && !loopback {
		return usagef("%s is only for a loopback address (such as 127.0.0.1, ::1 or localhost): anyone reaching %s could act as any agent", opt("no-auth"), h.addr)
	}
	if !loopback && h.tlsCert == "" && !h.insecure {
		return usagef("%s %s is not a loopback address: tokens would cross the network in clear; give --tls-cert and --tls-key, or --insecure-http when a proxy in front terminates TLS", opt("http"), h.addr)
	}
	for _, n := range []struct {
		name     string
		negative bool
	}{{"rate-limit", h.rateLimit < 0}, {"rate-burst", h.rateBurst < 0}} {
		if n.negative {
			return usagef("%s must be 0 or positive", opt(n.name))
		}
	}
	if h.sessionTTL <= 0 {
		return usagef("%s must be positive, such as 30m", opt("session-ttl"))
	}
	return nil
}

// serveHTTP serves the team server until ctx ends, then shuts down
// gracefully (see httpserve.Server.Serve); the caller closes the database.
func (e *env) serveHTTP(ctx context.Context, h *httpFlags, srv *server.MCPServer, svc *mcpagents.Service, st flagDB, logger *slog.Logger) error {
	// The pair is read again to serve; reading it first means a bad path
	// fails before anything listens or says it is serving.
	if h.tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(h.tlsCert, h.tlsKey); err != nil {
			return fmt.Errorf("%s/%s: %w", e.option("tls-cert"), e.option("tls-key"), err)
		}
	}
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		return fmt.Errorf("%s %s: %w", e.option("http"), h.addr, err)
	}
	var tokens httpserve.Tokens
	if !h.noAuth {
		tokens = st
	}
	// /readyz answers without a token, so its body says only which part is
	// not ready; the cause, which can name the database's file, host, user
	// or database name, goes to the log.
	ready := func(ctx context.Context) error {
		if svc.Agents == nil || svc.Agents.Catalog() == nil {
			return errors.New("the agent catalog is not loaded")
		}
		if err := st.Ready(ctx); err != nil {
			logger.WarnContext(ctx, "readiness: the database does not take writes", "err", err)
			return errors.New("the database does not take writes (the server log says why)")
		}
		return nil
	}
	hs, err := httpserve.New(httpserve.Config{
		Addr: advertisedAddr(h.addr, ln.Addr()), TLSCert: h.tlsCert, TLSKey: h.tlsKey, PublicURL: h.publicURL, NoAuth: h.noAuth,
		RateLimit: h.rateLimit, RateBurst: h.rateBurst, SessionTTL: h.sessionTTL, Log: logger,
	}, srv, tokens, ready, svc.EndWaits)
	if err != nil {
		ln.Close()
		return usagef("%v", err)
	}
	// A session mcp-go ends (idle TTL) must end its GET streams, which
	// httpserve keeps and mcp-go does not close.
	svc.OnSessionEnd(hs.SessionEnded)
	// The flag board, for observer and admin tokens (see httpserve.MountBoard).
	if err := hs.MountBoard(func(wrap func(http.Handler) http.Handler) http.Handler {
		b := board.New(board.Config{Store: st, Feed: svc.Feed, Wrap: wrap, Log: logger, Done: ctx.Done(),
			Canonical: func(h string) string { return mcpagents.Canonical(svc.Catalog, h) }})
		if h.noAuth {
			// Without a login, as `mcp-agents board`: only to loopback
			// names, so a page elsewhere cannot reach it by DNS rebinding
			// (/mcp has its own check).
			return loopbackOnly(b)
		}
		return b
	}); err != nil {
		ln.Close()
		return err
	}
	// Exit 0 after a SIGTERM that shut the server down gracefully.
	if e.opts.Drain != nil {
		e.opts.Drain.Enable(drainGrace)
	}
	auth := "bearer tokens (mcp-agents tokens create)"
	if h.noAuth {
		auth = "no authentication (--no-auth: loopback only)"
	}
	fmt.Fprintf(e.stderr, "mcp-agents %s: serving MCP at %s with %s; database %s\n", e.opts.Version, hs.Resource(), auth, st.Path())
	return hs.Serve(ctx, ln)
}

// drainGrace is how long the process may take to shut down after SIGTERM
// in HTTP mode: 10 s for calls in flight, and closing the database.
const drainGrace = 15 * time.Second

// advertisedAddr is ADDR as given, for the resource URL clients are told
// (scheme://ADDR/mcp), with the port the listener got when ADDR asked for
// any (:0). The listener's own host is no use to a client when ADDR names
// all interfaces (0.0.0.0 becomes [::]) or a name (localhost becomes
// 127.0.0.1), so it is used only when ADDR gives none.
func advertisedAddr(given string, listening net.Addr) string {
	host, _, err := net.SplitHostPort(given)
	_, port, err2 := net.SplitHostPort(listening.String())
	if err != nil || err2 != nil || host == "" {
		return listening.String()
	}
	return net.JoinHostPort(host, port)
}
