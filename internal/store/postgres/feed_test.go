package postgres

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

const (
	feedDesc   = "The users table gained a preferences JSON column used for personalisation."
	feedAction = "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."
)

// newFeed opens s's change feed, closed at the end of the test.
func newFeed(t *testing.T, s *Store) *Feed {
	t.Helper()
	f, err := s.ChangeFeed(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// feedWithFlag opens a store and its feed, with one flag (for target; ""
// for everyone) to hang events on, and returns the feed's position after it.
func feedWithFlag(t *testing.T, target string) (*Store, *Feed, int64, int64) {
	t.Helper()
	s := openTest(t)
	f := newFeed(t, s)
	flag := insertFlag(t, s.pool, target)
	pos, err := f.LastEventID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, f, flag, pos
}

// execer is a pool or a transaction.
type execer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// insertFlag writes a flag as another tool (or replica) would, in SQL.
func insertFlag(t *testing.T, db execer, target string) int64 {
	t.Helper()
	var id int64
	var tgt *string
	if target != "" {
		tgt = &target
	}
	err := db.QueryRow(context.Background(), `INSERT INTO flags (flag_type, source_agent, target_agent, change_description, action_required)
		VALUES ('change', '@backend.api', $1, $2, $3) RETURNING id`, tgt, feedDesc, feedAction).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// insertEvent writes one event of flag and returns its id.
func insertEvent(t *testing.T, db execer, flag int64, kind string) int64 {
	t.Helper()
	var id int64
	err := db.QueryRow(context.Background(), `INSERT INTO flag_events (flag_id, kind, agent) VALUES ($1, $2, '@qa.tester') RETURNING id`,
		flag, kind).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// changesAfter runs one Detector cycle's reads: DataVersion, then every
// batch after pos. It returns the event ids and the new position.
func changesAfter(t *testing.T, f *Feed, pos int64) ([]int64, int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.DataVersion(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for {
		chs, err := f.ChangesAfter(ctx, pos)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chs {
			ids = append(ids, ch.EventID)
			pos = ch.Pos
		}
		if len(chs) < store.ChangeBatch {
			return ids, pos
		}
	}
}

// TestFeedDoesNotSkipAnEventCommittedOutOfIdOrder holds a transaction open
// with a lower event id while a higher one commits and is read; the lower
// one is reported once it commits, and nothing twice. A reader with a
// cursor by id alone would never report it.
func TestFeedDoesNotSkipAnEventCommittedOutOfIdOrder(t *testing.T) {
	ctx := context.Background()
	s, f, flag, pos := feedWithFlag(t, "@ops.containers")

	slow, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	early := insertEvent(t, slow, flag, store.EventLocked)
	late := insertEvent(t, s.pool, flag, store.EventCreated) // commits at once
	if late <= early {
		t.Fatalf("ids %d then %d: the test needs the held id to be the lower", early, late)
	}

	ids, pos := changesAfter(t, f, pos)
	if !slices.Equal(ids, []int64{late}) {
		t.Fatalf("while %d is uncommitted: changes %v, want [%d]", early, ids, late)
	}
	// Another read while it is still open: it stays in view.
	later := insertEvent(t, s.pool, flag, store.EventRenewed)
	if ids, pos = changesAfter(t, f, pos); !slices.Equal(ids, []int64{later}) {
		t.Fatalf("while %d is still uncommitted: changes %v, want [%d]", early, ids, later)
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ids, pos = changesAfter(t, f, pos)
	if !slices.Equal(ids, []int64{early}) {
		t.Fatalf("after %d committed: changes %v, want [%d]", early, ids, early)
	}
	if ids, _ := changesAfter(t, f, pos); len(ids) != 0 {
		t.Fatalf("nothing new: changes %v, want none", ids)
	}
}

// TestFeedReportsEachCommittedEventOnce: an aborted event never appears,
// and the events a cycle read are not reported again by the next.
func TestFeedReportsEachCommittedEventOnce(t *testing.T) {
	ctx := context.Background()
	s, f, flag, pos := feedWithFlag(t, "")
	aborted, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	insertEvent(t, aborted, flag, store.EventLocked)
	var want []int64
	for range 3 {
		want = append(want, insertEvent(t, s.pool, flag, store.EventRenewed))
	}
	aborted.Rollback(ctx)
	ids, pos := changesAfter(t, f, pos)
	if !slices.Equal(ids, want) {
		t.Fatalf("changes %v, want %v", ids, want)
	}
	if ids, _ := changesAfter(t, f, pos); len(ids) != 0 {
		t.Fatalf("second read: changes %v, want none", ids)
	}
}

// TestFeedRereadsAFailedCycle: a Detector whose cycle failed after reading
// asks again from its old position, and must get the same changes.
func TestFeedRereadsAFailedCycle(t *testing.T) {
	s, f, flag, pos := feedWithFlag(t, "@ops.containers")
	e1 := insertEvent(t, s.pool, flag, store.EventLocked)
	first, _ := changesAfter(t, f, pos) // the cycle then fails: pos stays
	e2 := insertEvent(t, s.pool, flag, store.EventUnlocked)
	again, next := changesAfter(t, f, pos)
	if !slices.Equal(first, []int64{e1}) || !slices.Equal(again, []int64{e1, e2}) {
		t.Fatalf("first cycle %v, repeated cycle %v; want [%d] then [%d %d]", first, again, e1, e1, e2)
	}
	if ids, _ := changesAfter(t, f, next); len(ids) != 0 {
		t.Fatalf("after the repeated cycle: changes %v, want none", ids)
	}
}

func TestFeedBatchesABacklog(t *testing.T) {
	ctx := context.Background()
	s, f, flag, pos := feedWithFlag(t, "")
	if _, err := s.pool.Exec(ctx, `INSERT INTO flag_events (flag_id, kind, agent)
		SELECT $1, 'renewed', '@qa.tester' FROM generate_series(1, $2)`, flag, store.ChangeBatch+5); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DataVersion(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := f.ChangesAfter(ctx, pos)
	if err != nil || len(first) != store.ChangeBatch {
		t.Fatalf("first batch: %d changes, %v; want %d", len(first), err, store.ChangeBatch)
	}
	rest, err := f.ChangesAfter(ctx, first[len(first)-1].Pos)
	if err != nil || len(rest) != 5 {
		t.Fatalf("second batch: %d changes, %v; want 5", len(rest), err)
	}
}

// TestFeedNotifiesEachEventWithItsID listens as another replica would:
// one notification per committed event on the lowercase channel, carrying
// the event id, and none for a rolled-back one.
func TestFeedNotifiesEachEventWithItsID(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		t.Fatal(err)
	}
	flag := insertFlag(t, s.pool, "")
	aborted, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	insertEvent(t, aborted, flag, store.EventLocked)
	aborted.Rollback(ctx)
	id := insertEvent(t, s.pool, flag, store.EventLocked)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Channel != "mcp_agents_events" || n.Payload != fmt.Sprint(id) {
		t.Fatalf("notification on %q with payload %q, want mcp_agents_events with %d", n.Channel, n.Payload, id)
	}
}

// TestFeedVersionMovesOnAnotherReplicasCommit: the Detector's cheap poll
// sees a commit made through another pool soon after it happens.
func TestFeedVersionMovesOnAnotherReplicasCommit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := newFeed(t, s)
	other := otherReplica(t, s)
	flag := insertFlag(t, other, "")
	waitListening(t, f)
	v, _ := f.DataVersion(ctx)
	if v2, _ := f.DataVersion(ctx); v2 != v {
		t.Fatalf("version moved from %d to %d with nothing committed", v, v2)
	}
	insertEvent(t, other, flag, store.EventLocked)
	deadline := time.Now().Add(2 * time.Second)
	for {
		if v2, _ := f.DataVersion(ctx); v2 != v {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the version did not move within 2s of another replica's commit")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// otherReplica is a second pool on s's database, as another server
// process would have.
func otherReplica(t *testing.T, s *Store) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.NewWithConfig(context.Background(), s.pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func waitListening(t *testing.T, f *Feed) {
	t.Helper()
	f.DataVersion(context.Background()) // starts listening
	deadline := time.Now().Add(10 * time.Second)
	for !f.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("the feed is not listening after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFeedReconnectsAndCatchesUp kills the feed's LISTEN connection from
// the server side; an event committed while it is down is still reported
// and the feed listens again.
func TestFeedReconnectsAndCatchesUp(t *testing.T) {
	ctx := context.Background()
	s, f, flag, pos := feedWithFlag(t, "")
	waitListening(t, f)
	listener := func() (pid int) {
		err := s.pool.QueryRow(ctx, `SELECT coalesce(max(pid), 0) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN `+NotifyChannel+`'`).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	old := listener()
	var ok bool
	if err := s.pool.QueryRow(ctx, "SELECT pg_terminate_backend($1)", old).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminating the LISTEN connection (pid %d): %v, %v", old, ok, err)
	}
	id := insertEvent(t, s.pool, flag, store.EventLocked)
	deadline := time.Now().Add(10 * time.Second)
	for pid := listener(); pid == 0 || pid == old; pid = listener() {
		if time.Now().After(deadline) {
			t.Fatal("the feed did not listen again within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitListening(t, f)
	if ids, _ := changesAfter(t, f, pos); !slices.Equal(ids, []int64{id}) {
		t.Fatalf("after reconnecting: changes %v, want [%d]", ids, id)
	}
}

func TestFeedLeaseExpiryUsesTheDatabaseClock(t *testing.T) {
	ctx := context.Background()
	// The database's clock runs an hour ahead of this machine's.
	s := openTest(t, WithClockOffset(func() time.Duration { return time.Hour }))
	f := newFeed(t, s)
	flag := insertFlag(t, s.pool, "@ops.containers")
	if _, err := s.pool.Exec(ctx, `UPDATE flags SET locked_by = '@qa.tester', locked_at = now() + interval '1 hour',
		lock_expires_at = now() + interval '1 hour 2 seconds' WHERE id = $1`, flag); err != nil {
		t.Fatal(err)
	}
	next, ok, err := f.NextLeaseExpiry(ctx)
	if err != nil || !ok {
		t.Fatalf("NextLeaseExpiry = %v, %v, %v; want the lease", next, ok, err)
	}
	if d := next.Sub(f.Now()); d < time.Second || d > 3*time.Second {
		t.Fatalf("the lease runs out in %s by the feed's clock, want about 2s (the database's clock)", d)
	}
	got, err := f.LeasesExpired(ctx, next.Add(-time.Millisecond), next)
	if err != nil || len(got) != 1 || got[0].FlagID != flag || got[0].Kind != store.KindExpired ||
		got[0].Agent != "@qa.tester" || got[0].Target == nil || *got[0].Target != "@ops.containers" {
		t.Fatalf("LeasesExpired = %+v, %v; want flag %d's lease", got, err, flag)
	}
	if got, _ := f.LeasesExpired(ctx, next, next.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("LeasesExpired after it = %+v, want none", got)
	}
}

// TestDetectorOnPostgres runs the process's Detector on the feed: a flag
// event committed by another replica reaches a listener, with its inbox.
func TestDetectorOnPostgres(t *testing.T) {
	s := openTest(t)
	f := newFeed(t, s)
	other := otherReplica(t, s)
	d := live.NewDetector(f, live.DetectorOptions{Period: 10 * time.Millisecond})
	updates := make(chan live.Update, 10)
	stop, err := d.Listen(context.Background(), func(u live.Update) { updates <- u })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	flag := insertFlag(t, other, "@ops.containers")
	insertEvent(t, other, flag, store.EventCreated)
	select {
	case u := <-updates:
		if !u.Concerns("@ops.containers") || u.Concerns("@qa.tester") || len(u.Changes) != 1 || u.Changes[0].FlagID != flag {
			t.Fatalf("update %+v, want flag %d for @ops.containers", u, flag)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no update within 2s")
	}
}

func TestParseSnapshot(t *testing.T) {
	for _, c := range []struct {
		in   string
		want feedSnapshot
		bad  bool
	}{
		{in: "748:748:", want: feedSnapshot{xmax: 748, inProgress: []int64{}}},
		{in: "745:750:745,747", want: feedSnapshot{xmax: 750, inProgress: []int64{745, 747}}},
		{in: "4294967300:4294967310:4294967301", want: feedSnapshot{xmax: 4294967310, inProgress: []int64{4294967301}}},
		{in: "748:748", bad: true},
		{in: "1:x:", bad: true},
		{in: "1:5:3,y", bad: true},
	} {
		got, err := parseSnapshot(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("parseSnapshot(%q) = %+v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got.xmax != c.want.xmax || !slices.Equal(got.inProgress, c.want.inProgress) {
			t.Errorf("parseSnapshot(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

// BenchmarkFeedRead measures a Detector cycle's read on a table of
// 200,000 events with one new event each time (the insert is not timed):
// what every replica pays per notification burst.
func BenchmarkFeedRead(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	f, err := s.ChangeFeed(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var flag int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO flags (flag_type, source_agent, change_description, action_required)
		VALUES ('change', '@backend.api', $1, $2) RETURNING id`, feedDesc, feedAction).Scan(&flag); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO flag_events (flag_id, kind, agent)
		SELECT $1, 'renewed', '@qa.tester' FROM generate_series(1, 200000)`, flag); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE flag_events"); err != nil {
		b.Fatal(err)
	}
	pos, err := f.LastEventID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if _, err := s.pool.Exec(ctx, `INSERT INTO flag_events (flag_id, kind, agent) VALUES ($1, 'renewed', '@qa.tester')`, flag); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		f.DataVersion(ctx)
		chs, err := f.ChangesAfter(ctx, pos)
		if err != nil || len(chs) != 1 {
			b.Fatalf("%d changes, %v; want 1", len(chs), err)
		}
		pos = chs[0].Pos
	}
}

// silentProxy forwards TCP connections to target until cut, after which
// the connections open then neither deliver nor close, as when a peer
// vanishes without a word; connections made after cut work again.
type silentProxy struct {
	ln       net.Listener
	gen      atomic.Int64
	accepted atomic.Int64

	mu    sync.Mutex
	conns []net.Conn
}

func startSilentProxy(t *testing.T, target string) *silentProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &silentProxy{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			gen := p.gen.Load()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if err != nil {
						return
					}
					if p.gen.Load() == gen {
						dst.Write(buf[:n])
					}
				}
			}
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	return p
}

func (p *silentProxy) cut() { p.gen.Add(1) }

// TestFeedNoticesASilentlyDeadConnection: the LISTEN connection's peer
// stops answering without closing it; after its silence the feed pings,
// gets no answer, connects again and reports what committed meanwhile.
func TestFeedNoticesASilentlyDeadConnection(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	cfg := s.pool.Config().ConnConfig
	proxy := startSilentProxy(t, fmt.Sprintf("%s:%d", cfg.Host, cfg.Port))
	_, port, _ := net.SplitHostPort(proxy.ln.Addr().String())
	p, _ := strconv.Atoi(port)
	cfg.Host, cfg.Port = "127.0.0.1", uint16(p)
	f := newFeed(t, s)
	f.listen, f.probe = cfg, 200*time.Millisecond
	flag := insertFlag(t, s.pool, "")
	pos, err := f.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitListening(t, f)
	v, _ := f.DataVersion(ctx)
	proxy.cut()
	id := insertEvent(t, s.pool, flag, store.EventLocked)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if now, _ := f.DataVersion(ctx); now != v && f.Listening() && proxy.accepted.Load() >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5s after the connection went silent: listening %v, %d connections made; the feed did not reconnect",
				f.Listening(), proxy.accepted.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ids, _ := changesAfter(t, f, pos); !slices.Equal(ids, []int64{id}) {
		t.Fatalf("after reconnecting: changes %v, want [%d]", ids, id)
	}
}

// TestDetectorReadsTheDatabaseWhileItCannotListen: with no LISTEN
// connection to be had, the Detector still hears another replica's
// commit, by reading the database every poll.
func TestDetectorReadsTheDatabaseWhileItCannotListen(t *testing.T) {
	s := openTest(t)
	f := newFeed(t, s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // nothing answers there now
	p, _ := strconv.Atoi(port)
	f.listen = s.pool.Config().ConnConfig
	f.listen.Host, f.listen.Port = "127.0.0.1", uint16(p)
	d := live.NewDetector(f, live.DetectorOptions{Period: 10 * time.Millisecond})
	updates := make(chan live.Update, 10)
	stop, err := d.Listen(context.Background(), func(u live.Update) { updates <- u })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	flag := insertFlag(t, otherReplica(t, s), "@ops.containers")
	insertEvent(t, s.pool, flag, store.EventCreated)
	select {
	case u := <-updates:
		if !u.Concerns("@ops.containers") || f.Listening() {
			t.Fatalf("update %+v (listening %v), want flag %d's for @ops.containers without a LISTEN connection", u, f.Listening(), flag)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no update within 2s without a LISTEN connection")
	}
}

// TestFeedReportsEveryEventOnceUnderConcurrentWriters: writers commit
// (or roll back) transactions of one to three events, holding each open
// for a random while, as a reader runs cycle after cycle. Every committed
// event is reported exactly once, and no rolled-back one.
func TestFeedReportsEveryEventOnceUnderConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s, f, flag, pos := feedWithFlag(t, "")
	const writers, txs = 8, 30
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range txs {
				tx, err := s.pool.Begin(ctx)
				if err != nil {
					errs <- err
					return
				}
				for range 1 + (w+i)%3 {
					if _, err := tx.Exec(ctx, `INSERT INTO flag_events (flag_id, kind, agent) VALUES ($1, 'renewed', '@qa.tester')`, flag); err != nil {
						errs <- err
						return
					}
					time.Sleep(time.Duration((w*7+i*13)%10) * time.Millisecond)
				}
				if (w+i)%5 == 0 {
					err = tx.Rollback(ctx)
				} else {
					err = tx.Commit(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[int64]int{}
	read := func() {
		var ids []int64
		ids, pos = changesAfter(t, f, pos)
		for _, id := range ids {
			seen[id]++
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			read()
			time.Sleep(time.Millisecond)
		}
	}
	read()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(ctx, "SELECT id FROM flag_events")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range committed {
		if seen[id] != 1 {
			t.Errorf("event %d reported %d times, want once", id, seen[id])
		}
		delete(seen, id)
	}
	if len(seen) > 0 {
		t.Errorf("reported events that did not commit: %v", seen)
	}
	t.Logf("%d committed events from %d writers, each reported once", len(committed), writers)
}
