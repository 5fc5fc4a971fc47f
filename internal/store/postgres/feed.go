package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// NotifyChannel is the channel every flag event is announced on, with the
// event's id as payload (migration 0002_event_notify.sql). Lowercase: LISTEN
// folds an unquoted name, pg_notify does not.
const NotifyChannel = "mcp_agents_events"

// Reconnection backoff of the LISTEN connection: quick for a blip, at most
// a few seconds for an outage, with jitter so that replicas losing the
// database together do not return in step.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// probeAfter is how long the LISTEN connection may stay silent before it
// is pinged: a connection whose peer vanished without closing it (a
// failover, a NAT entry expired) would otherwise be waited on until TCP
// keepalive gives up, minutes during which no replica's commit is heard.
// Short, because until the ping fails nothing is heard: with 30 s (and 30 s
// for the ping) a hung connection left a minute in which waits ended empty
// although a flag had come. A ping of an idle connection every 5 s costs
// one round trip.
const probeAfter = 5 * time.Second

// Feed is the change feed of a PostgreSQL database: what a live.Detector
// reads to wake waiting calls and push inbox updates, for changes made by
// any replica.
//
// Commits are learnt of through LISTEN on one dedicated connection (not
// from the pool), opened on first use and reopened with backoff when lost;
// DataVersion moves on every notification, so the Detector's poll costs an
// atomic load. While that connection is down DataVersion moves on every
// call, so the Detector reads the database each cycle instead of missing
// what commits meanwhile.
//
// What changed is read from flag_events, never from the notifications, and
// the read cannot skip an event: ids come from a sequence, so a transaction
// holding id 41 may commit after 42 was read, and a cursor by id would pass
// 41 by. Instead each read keeps its snapshot (pg_current_snapshot()) and
// the next asks for the events of exactly the transactions that snapshot
// did not see committed: those it listed in progress and those after its
// xmax (flag_events.xact_id is the writing transaction). Each committed
// event is so read once, by the first read that sees it, however late it
// commits and however long another transaction stays open.
//
// Positions (FlagChange.Pos) number the changes in the order the feed read
// them, for one reader: the process's Detector.
type Feed struct {
	pool   *pgxpool.Pool
	listen *pgx.ConnConfig
	log    *slog.Logger
	// offset is the store's test clock offset in microseconds (see
	// WithClockOffset); nil in production.
	offset func() int64
	// probe is probeAfter (tests shorten it).
	probe time.Duration

	version   atomic.Int64
	listening atomic.Bool
	// skew is the database clock minus this machine's, in nanoseconds:
	// leases run out by the database's clock.
	skew atomic.Int64

	startOnce sync.Once
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}

	// cycleStart: DataVersion ran since the last ChangesAfter.
	cycleStart atomic.Bool

	mu sync.Mutex
	// last is the snapshot of the last read (nil before the first): the
	// transactions it saw in progress, and the first it did not see start.
	last *feedSnapshot
	// changes[i] is at position base+i+1.
	changes []store.FlagChange
	base    int64
}

// ChangeFeed opens the change feed of s's database; log hears about the
// LISTEN connection going and coming back (nil: nobody). The connection
// opens on first use, so a process that never listens pays nothing.
func (s *Store) ChangeFeed(log *slog.Logger) (*Feed, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Feed{
		pool: s.pool, listen: s.pool.Config().ConnConfig, log: log, offset: s.off, probe: probeAfter,
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}, nil
}

// Close stops listening.
func (f *Feed) Close() error {
	f.cancel()
	started := true
	f.startOnce.Do(func() { started = false })
	if started {
		<-f.done
	}
	return nil
}

// Listening reports whether the LISTEN connection is up.
func (f *Feed) Listening() bool { return f.listening.Load() }

func (f *Feed) start() {
	f.startOnce.Do(func() { go f.run() })
}

// run keeps one LISTEN connection open until Close.
func (f *Feed) run() {
	defer close(f.done)
	backoff := minBackoff
	var down time.Time // when the connection was lost; zero while up
	for {
		conn, err := f.connect()
		if err != nil {
			if f.ctx.Err() != nil {
				return
			}
			if down.IsZero() {
				down = time.Now()
				f.log.Warn("cannot listen for flag changes; retrying, and reading the database every poll meanwhile", "err", err)
			}
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(backoff/2 + rand.N(backoff/2+1)):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		if !down.IsZero() {
			f.log.Info("listening for flag changes again", "after", time.Since(down).Round(time.Millisecond))
		}
		backoff, down = minBackoff, time.Time{}
		// Whatever committed while nobody listened is read by the next
		// cycle: the version moves once LISTEN is in place.
		f.listening.Store(true)
		f.version.Add(1)
		err = f.wait(conn)
		f.listening.Store(false)
		f.version.Add(1)
		conn.Close(context.Background())
		if f.ctx.Err() != nil {
			return
		}
		down = time.Now()
		f.log.Warn("lost the connection that listens for flag changes; reconnecting", "err", err)
	}
}

func (f *Feed) connect() (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, f.listen)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// wait moves the version on every notification until the connection
// fails (or, silent for f.probe, does not answer a ping within f.probe) or
// the feed closes.
func (f *Feed) wait(conn *pgx.Conn) error {
	for {
		ctx, cancel := context.WithTimeout(f.ctx, f.probe)
		_, err := conn.WaitForNotification(ctx)
		cancel()
		if err == nil {
			f.version.Add(1)
			continue
		}
		// A timeout leaves the connection usable; anything else ends it.
		if f.ctx.Err() != nil || !pgconn.Timeout(err) {
			return err
		}
		ctx, cancel = context.WithTimeout(f.ctx, f.probe)
		err = conn.Ping(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("no answer to a ping after %s of silence: %w", f.probe, err)
		}
	}
}

// DataVersion returns a number that differs from the previous call's
// whenever a flag event may have committed in between. The first call
// starts listening.
func (f *Feed) DataVersion(ctx context.Context) (int64, error) {
	f.start()
	f.cycleStart.Store(true)
	if !f.listening.Load() {
		return f.version.Add(1), nil
	}
	return f.version.Load(), nil
}

// LastEventID reads the database and returns the position after
// everything committed so far: changes committed from then on are returned
// by ChangesAfter(that position).
func (f *Feed) LastEventID(ctx context.Context) (int64, error) {
	f.start()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.read(ctx); err != nil {
		return 0, err
	}
	f.base += int64(len(f.changes))
	f.changes = nil
	return f.base, nil
}

// ChangesAfter returns up to store.ChangeBatch changes after position
// cursor, in the order the feed read them; fewer than ChangeBatch means the
// caller is up to date. The first call after DataVersion starts a cycle:
// its cursor is the reader's, so changes up to it are dropped.
func (f *Feed) ChangesAfter(ctx context.Context, cursor int64) ([]store.FlagChange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := int(min(max(cursor-f.base, 0), int64(len(f.changes))))
	if f.cycleStart.Swap(false) {
		f.changes = append([]store.FlagChange(nil), f.changes[i:]...)
		f.base += int64(i)
		i = 0
	}
	if len(f.changes)-i < store.ChangeBatch {
		if err := f.read(ctx); err != nil {
			return nil, err
		}
	}
	out := f.changes[i:min(i+store.ChangeBatch, len(f.changes))]
	return append([]store.FlagChange(nil), out...), nil
}

// read appends the events committed since the last read to f.changes.
// The new snapshot and the events come from one statement, so they agree.
// The first read only takes the snapshot: nothing before it is news.
func (f *Feed) read(ctx context.Context) error {
	const q = `WITH snap AS (SELECT pg_current_snapshot()::text AS now)
		SELECT snap.now, e.id, e.flag_id, e.kind, e.agent, fl.target_agent, coalesce(e.previous_holder, '')
		FROM snap
		LEFT JOIN flag_events e ON e.xact_id = ANY ($1::bigint[]) OR e.xact_id >= $2
		LEFT JOIN flags fl ON fl.id = e.flag_id
		ORDER BY e.id`
	if f.last == nil {
		var now string
		if err := f.pool.QueryRow(ctx, "SELECT pg_current_snapshot()::text").Scan(&now); err != nil {
			return mapFeedErr("snapshot", err)
		}
		snap, err := parseSnapshot(now)
		if err != nil {
			return mapFeedErr("snapshot", err)
		}
		f.last = &snap
		return nil
	}
	var (
		now   string
		fresh []store.FlagChange
	)
	rows, err := f.pool.Query(ctx, q, f.last.inProgress, f.last.xmax)
	if err != nil {
		return mapFeedErr("changes", err)
	}
	for rows.Next() {
		var (
			id, flagID          *int64
			kind, agent, holder *string
			target              *string
		)
		if err := rows.Scan(&now, &id, &flagID, &kind, &agent, &target, &holder); err != nil {
			rows.Close()
			return mapFeedErr("changes", err)
		}
		if id == nil {
			continue // no event: the row only carries the snapshot
		}
		if flagID == nil || kind == nil || agent == nil || holder == nil {
			rows.Close()
			return mapFeedErr("changes", fmt.Errorf("event %d names no flag", *id))
		}
		fresh = append(fresh, store.FlagChange{
			EventID: *id, FlagID: *flagID, Kind: *kind, Agent: *agent, Target: target, PreviousHolder: *holder,
		})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return mapFeedErr("changes", err)
	}
	snap, err := parseSnapshot(now)
	if err != nil {
		return mapFeedErr("changes", err)
	}
	for i := range fresh {
		fresh[i].Pos = f.base + int64(len(f.changes)) + int64(i) + 1
	}
	f.changes = append(f.changes, fresh...)
	f.last = &snap
	return nil
}

// feedSnapshot is what the feed keeps of a pg_snapshot.
type feedSnapshot struct {
	xmax       int64   // the first transaction not yet started
	inProgress []int64 // the transactions below xmax not yet committed
}

// parseSnapshot reads pg_snapshot's text form, xmin:xmax:xip,xip,...
func parseSnapshot(s string) (feedSnapshot, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return feedSnapshot{}, fmt.Errorf("snapshot %q: want xmin:xmax:xip,...", s)
	}
	var snap feedSnapshot
	var err error
	if snap.xmax, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
		return feedSnapshot{}, fmt.Errorf("snapshot %q: %w", s, err)
	}
	snap.inProgress = []int64{}
	if parts[2] != "" {
		for _, x := range strings.Split(parts[2], ",") {
			v, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return feedSnapshot{}, fmt.Errorf("snapshot %q: %w", s, err)
			}
			snap.inProgress = append(snap.inProgress, v)
		}
	}
	return snap, nil
}

// NextLeaseExpiry returns when the earliest lease still held runs out, and
// false when no lease is held. It also sets the clock Now reads.
func (f *Feed) NextLeaseExpiry(ctx context.Context) (time.Time, bool, error) {
	const q = `WITH c AS (SELECT now() + $1 * interval '1 microsecond' AS now)
		SELECT (SELECT min(lock_expires_at) FROM flags
		        WHERE status = 'pending' AND locked_by IS NOT NULL AND lock_expires_at > c.now), c.now
		FROM c`
	var next *time.Time
	var now time.Time
	if err := f.pool.QueryRow(ctx, q, f.offset()).Scan(&next, &now); err != nil {
		return time.Time{}, false, mapFeedErr("next lease expiry", err)
	}
	f.skew.Store(int64(now.Sub(time.Now())))
	if next == nil {
		return time.Time{}, false, nil
	}
	return *next, true, nil
}

// Now is the database's clock, as of the last NextLeaseExpiry: it decides
// whether a lease still holds.
func (f *Feed) Now() time.Time { return time.Now().Add(time.Duration(f.skew.Load())) }

// LeasesExpired returns a change for each lease on a pending flag that ran
// out after from and at or before to.
func (f *Feed) LeasesExpired(ctx context.Context, from, to time.Time) ([]store.FlagChange, error) {
	const q = `SELECT id, locked_by, target_agent FROM flags
		WHERE status = 'pending' AND locked_by IS NOT NULL
		  AND lock_expires_at > $1 AND lock_expires_at <= $2 ORDER BY lock_expires_at, id`
	rows, err := f.pool.Query(ctx, q, from, to)
	if err != nil {
		return nil, mapFeedErr("expired leases", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FlagChange, error) {
		ch := store.FlagChange{Kind: store.KindExpired}
		err := r.Scan(&ch.FlagID, &ch.Agent, &ch.Target)
		return ch, err
	})
	if err != nil {
		return nil, mapFeedErr("expired leases", err)
	}
	return out, nil
}

func mapFeedErr(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("postgres: change feed: %s: %w", op, err)
}
