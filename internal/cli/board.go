package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/board"
	"github.com/mcp-agents/mcp-agents/internal/httpserve"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

// runBoard serves the flag board for the database the other commands use,
// on a loopback address only: it has no login, so it must not be reachable
// from another machine.
func runBoard(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("board", "[--addr 127.0.0.1:8766] [--open]")
	addr := fs.String("addr", "127.0.0.1:8766", "listen on this loopback `HOST:PORT` (port 0 picks a free port)")
	open := fs.Bool("open", false, "open the board in the default web browser")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := checkLoopback(e.option("addr"), *addr); err != nil {
		return err
	}
	log, err := e.logger()
	if err != nil {
		return err
	}
	st, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Warn("closing database", "err", err)
		}
	}()
	defer followDB(st, log)()
	cfg := board.Config{Store: st, Log: log}
	// The agent filter takes aliases, as every command's agent does.
	if cat, err := e.loadCatalog(ctx); err != nil {
		log.Warn("cannot load the agents; the agent filter takes no aliases", "err", err)
	} else {
		cfg.Canonical = func(h string) string { return server.Canonical(cat, h) }
	}
	if feed, err := changeFeed(st, log); err != nil {
		log.Warn("cannot watch the flags database; the board will not update live", "err", err)
	} else {
		defer feed.Close()
		cfg.Feed = live.NewDetector(feed, live.DetectorOptions{OnError: func(err error) {
			log.Error("watching the flags database failed; retrying", "err", err)
		}})
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("board: listen on %s: %w", *addr, err)
	}
	h := board.New(cfg)
	mux := http.NewServeMux()
	mux.Handle("/board/", h)
	mux.Handle("/board", h)
	mux.Handle("GET /{$}", http.RedirectHandler("/board/", http.StatusFound))
	srv := &http.Server{
		Handler:           loopbackOnly(mux),
		ReadHeaderTimeout: 10 * time.Second,
		// Open event streams end when the command does.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	url := "http://" + ln.Addr().String() + "/board/"
	fmt.Fprintf(e.stderr, "mcp-agents board: serving %s for database %s (Ctrl-C to quit)\n", url, st.Path())
	if *open {
		if err := openBrowser(url); err != nil {
			log.Warn("cannot open a browser; open the address yourself", "url", url, "err", err)
		}
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("board: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("board: shutting down: %w", err)
	}
	return nil
}

// checkLoopback accepts HOST:PORT where HOST is localhost or a loopback IP;
// opt is the option that gave it, as typed.
func checkLoopback(opt, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("%s must be HOST:PORT on a loopback address, such as 127.0.0.1:8766 (got %q)", opt, addr)
	}
	if !httpserve.IsLoopback(host) {
		return usagef("%s must be a loopback address (such as 127.0.0.1, [::1] or localhost): the board has no login, so it serves this machine only (got %q)", opt, addr)
	}
	return nil
}

// loopbackOnly refuses requests whose Host is not a loopback name: a web
// page elsewhere could otherwise point its own domain at 127.0.0.1 (DNS
// rebinding) and read the board from the user's browser.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !httpserve.IsLoopback(r.Host) {
			http.Error(w, "the board answers only to localhost or a loopback address (such as 127.0.0.1 or [::1]) in the Host header", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// openBrowser asks the desktop to open url, without waiting for it.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
