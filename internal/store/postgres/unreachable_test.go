package postgres

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
)

// proxy forwards TCP to the database until cut, which drops every
// connection and refuses new ones, as a database server that went away;
// restore listens again on the same port.
type proxy struct {
	t        *testing.T
	upstream string
	addr     string

	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	frozen chan struct{} // while not nil, bytes wait until it is closed
}

func newProxy(t *testing.T, upstream string) *proxy {
	p := &proxy{t: t, upstream: upstream}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { p.pipe(u, c); u.Close() }()
			go func() { p.pipe(c, u); c.Close() }()
		}
	}()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() { p.listen(p.addr) }

// pipe copies src to dst, holding what it reads while the proxy is frozen.
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			frozen := p.frozen
			p.mu.Unlock()
			if frozen != nil {
				<-frozen
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freeze stops every byte where it is, connections left open: a database
// host that hangs, or a network path lost without a reset. thaw lets them
// go on.
func (p *proxy) freeze() {
	p.mu.Lock()
	p.frozen = make(chan struct{})
	p.mu.Unlock()
}

func (p *proxy) thaw() {
	p.mu.Lock()
	close(p.frozen)
	p.frozen = nil
	p.mu.Unlock()
}

func wantUnavailable(t *testing.T, what string, err error, msgs ...string) {
	t.Helper()
	var se *store.Error
	if errors.As(err, &se) && se.Code == store.CodeUnavailable && slices.Contains(msgs, se.Message) {
		return
	}
	t.Fatalf("%s with the database gone: %v (%T), want CodeUnavailable %q", what, err, err, msgs)
}

// throughProxy opens a Store on the test database through a proxy, with
// one flag created.
func throughProxy(t *testing.T) (*proxy, *Store, store.Flag) {
	t.Helper()
	direct, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, direct.Host)
	via := *direct
	via.Host = p.addr
	s, err := Open(context.Background(), via.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f, err := s.CreateFlag(context.Background(), newFlag())
	if err != nil {
		t.Fatal(err)
	}
	return p, s, f
}

// A database lost while serving: writes say nothing was stored, reads say
// nothing was read, Ready fails; when the database is back the same Store
// serves again without being reopened.
func TestDatabaseLostAndBack(t *testing.T) {
	ctx := context.Background()
	p, s, f := throughProxy(t)

	p.cut()
	// The first write meets the pooled connection the cut broke. Made a
	// moment after the loss, it is checked with a ping before anything is
	// sent (pingAfterIdle), so the answer is sure: nothing was stored.
	// (Made at the very instant of the loss, it could not know.)
	time.Sleep(3 * pingAfterIdle)
	_, err := s.CreateFlag(ctx, newFlag())
	wantUnavailable(t, "CreateFlag", err, unreachableWrite)
	_, err = s.LockFlag(ctx, f.ID, "@a", time.Minute)
	wantUnavailable(t, "LockFlag", err, "the database is unreachable; nothing was stored")
	_, err = s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers"})
	wantUnavailable(t, "AgentFlags", err, "the database is unreachable; nothing was read")
	_, err = s.GetFlag(ctx, f.ID)
	wantUnavailable(t, "GetFlag", err, "the database is unreachable; nothing was read")
	if err := s.Ready(ctx); err == nil {
		t.Fatal("Ready with the database gone: nil")
	}

	p.restore()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready once the database is back: %v", err)
	}
	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Minute); err != nil {
		t.Fatalf("LockFlag once the database is back: %v", err)
	}
	_, total, err := s.ListFlags(ctx, store.ListQuery{})
	if err != nil || total != 1 {
		t.Fatalf("after the outage: %d flags, %v; want 1 (the refused create stored nothing)", total, err)
	}

	// Connections dropped while idle (a database restart between calls):
	// a read retries on a fresh connection at once; a write is not
	// retried blind (it might have committed), but a connection idle for
	// more than pingAfterIdle is checked before use, so after a restart
	// the next write finds a live one.
	p.cut()
	p.restore()
	if _, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers"}); err != nil {
		t.Fatalf("AgentFlags right after idle connections were dropped: %v", err)
	}
	p.cut()
	p.restore()
	time.Sleep(3 * pingAfterIdle)
	if _, err := s.CreateFlag(ctx, newFlag()); err != nil {
		t.Fatalf("CreateFlag after idle connections were dropped: %v", err)
	}
}

// A database that stops answering with its connections left open (a hung
// host): each call gives up after opTimeout saying the database is
// unreachable, instead of waiting for good, and the store serves again
// once the database answers.
func TestDatabaseThatStopsAnswering(t *testing.T) {
	defer func(d time.Duration) { opTimeout = d }(opTimeout)
	opTimeout = 300 * time.Millisecond
	// Under a call's limit, as Open requires.
	defer func(d time.Duration) { lockTimeout = d }(lockTimeout)
	lockTimeout = 100 * time.Millisecond
	ctx := context.Background()
	p, s, f := throughProxy(t)

	p.freeze()
	for _, c := range []struct {
		what string
		call func() error
		msgs []string
	}{
		{"AgentFlags", func() error {
			_, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers"})
			return err
		}, []string{unreachableRead}},
		{"GetFlag", func() error { _, err := s.GetFlag(ctx, f.ID); return err }, []string{unreachableRead}},
		// Sent and unanswered: it may have committed.
		{"CreateFlag", func() error { _, err := s.CreateFlag(ctx, newFlag()); return err }, []string{unreachableWrite, lostDuringWrite}},
		{"LockFlag", func() error { _, err := s.LockFlag(ctx, f.ID, "@a", time.Minute); return err }, []string{unreachableWrite, lostDuringWrite}},
	} {
		start := time.Now()
		err := c.call()
		// pgx gives a query a second to end after its context does.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v with the database silent", c.what, d)
		}
		wantUnavailable(t, c.what, err, c.msgs...)
	}

	p.thaw()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("AgentFlags once the database answers again: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
