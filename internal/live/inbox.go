package live

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Source is what a Detector reads; *store.ChangeFeed (SQLite) and
// *postgres.Feed implement it. Each cycle of a Detector starts with
// DataVersion, then, when that moved, reads ChangesAfter from the position
// it holds (LastEventID's result, or the Pos of the last change it handled)
// until a call returns fewer than store.ChangeBatch. A cycle that fails
// keeps its old position and is read again in full by the next.
type Source interface {
	DataVersion(ctx context.Context) (int64, error)
	LastEventID(ctx context.Context) (int64, error)
	ChangesAfter(ctx context.Context, cursor int64) ([]store.FlagChange, error)
	NextLeaseExpiry(ctx context.Context) (time.Time, bool, error)
	LeasesExpired(ctx context.Context, from, to time.Time) ([]store.FlagChange, error)
	Now() time.Time
}

// Update is what one detection cycle found.
type Update struct {
	// All is set when a broadcast flag changed: every inbox is concerned.
	All bool
	// Agents are the handles whose inbox changed (targets of the changed
	// flags, not the agents who acted).
	Agents map[string]bool
	// Changes lists the changes in commit order, lease expiries last.
	Changes []store.FlagChange
}

// Concerns reports whether the inbox of handle (canonical, "@x.y") changed.
func (u Update) Concerns(handle string) bool { return u.All || u.Agents[handle] }

// DefaultPeriod is how often a Detector polls while something listens: a
// poll costs a few microseconds, and a change is reported within about one
// period.
const DefaultPeriod = 100 * time.Millisecond

// Detector reports changes to the flags database to its listeners. It polls
// only while at least one listener is registered.
type Detector struct {
	src    Source
	period time.Duration
	// onError hears about a failing poll, once per run of failures.
	onError func(error)
	observe func(Update)

	mu        sync.Mutex
	listeners map[int]func(Update)
	nextID    int
	running   bool
}

// DetectorOptions tunes a Detector; the zero value is the default.
type DetectorOptions struct {
	Period  time.Duration // 0 = DefaultPeriod
	OnError func(error)   // nil = ignore
	// Observe sees every update while the detector polls anyway, without
	// being a listener that keeps it polling (for logging).
	Observe func(Update)
}

// NewDetector makes a detector reading src.
func NewDetector(src Source, opts DetectorOptions) *Detector {
	if opts.Period <= 0 {
		opts.Period = DefaultPeriod
	}
	if opts.OnError == nil {
		opts.OnError = func(error) {}
	}
	if opts.Observe == nil {
		opts.Observe = func(Update) {}
	}
	return &Detector{src: src, period: opts.Period, onError: opts.OnError, observe: opts.Observe, listeners: map[int]func(Update){}}
}

// Listen registers fn to be called after every detection cycle that found
// a change, until stop is called. Calls come from the detector's goroutine,
// one at a time, in the order the listeners were registered: fn must
// return quickly (hand slow work to a goroutine of its own). The order
// matters over HTTP: an inbox subscription (registered when the session
// subscribed) sends its notification before a get_agent_flags wait on that
// inbox (registered by the call) is woken; mcp-go drops a notification
// that a request's own stream takes just as that request ends, so the
// other order lost about half of these pushes. When Listen returns, every commit that happens from then on
// will be reported, so a caller that listens first and reads the state
// second misses nothing.
//
// A database that cannot be read when polling starts (a PostgreSQL outage)
// does not refuse the listener: polling retries every period, and once it
// has positions it reports every inbox as changed, since what happened in
// between is unknown.
func (d *Detector) Listen(ctx context.Context, fn func(Update)) (stop func(), err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running {
		// The cursor and the data version are taken before the listener's
		// first read, so that read's state is at or after them.
		p := &poller{d: d}
		err := p.start(ctx)
		if errors.Is(err, store.ErrFeedReplaced) {
			err = p.start(ctx) // the feed has moved to the new file
		}
		if err != nil {
			d.onError(err)
			p.failing, p.restart = true, true
		}
		d.running = true
		go p.run()
	}
	id := d.nextID
	d.nextID++
	d.listeners[id] = fn
	return sync.OnceFunc(func() {
		d.mu.Lock()
		delete(d.listeners, id)
		d.mu.Unlock()
	}), nil
}

// Listening reports whether the detector is polling.
func (d *Detector) Listening() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running
}

// snapshot returns the current listeners, or stops the poller (returning
// false) when there are none left.
func (d *Detector) snapshot() ([]func(Update), bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.listeners) == 0 {
		d.running = false
		return nil, false
	}
	ids := slices.Sorted(maps.Keys(d.listeners))
	out := make([]func(Update), len(ids))
	for i, id := range ids {
		out[i] = d.listeners[id]
	}
	return out, true
}

// poller is one run of polling, from the first listener to the last.
type poller struct {
	d       *Detector
	version int64
	cursor  int64
	// expiry is when the next lease runs out (zero: none held); checked is
	// the end of the last window of expiries already reported.
	expiry  time.Time
	checked time.Time
	failing bool
	// restart is set when the database file was replaced (positions on the
	// old file mean nothing on the new one), or when positions could not be
	// taken at the start.
	restart bool
}

func (p *poller) start(ctx context.Context) error {
	var err error
	if p.version, err = p.d.src.DataVersion(ctx); err != nil {
		return err
	}
	if p.cursor, err = p.d.src.LastEventID(ctx); err != nil {
		return err
	}
	p.checked = p.d.src.Now()
	return p.armExpiry(ctx)
}

func (p *poller) armExpiry(ctx context.Context) error {
	t, ok, err := p.d.src.NextLeaseExpiry(ctx)
	if err != nil {
		return err
	}
	p.expiry = time.Time{}
	if ok {
		p.expiry = t
	}
	return nil
}

func (p *poller) run() {
	ctx := context.Background()
	tick := time.NewTicker(p.d.period)
	defer tick.Stop()
	expiry := time.NewTimer(time.Hour)
	expiry.Stop()
	arm := func() {
		expiry.Stop()
		if !p.expiry.IsZero() {
			expiry.Reset(max(0, p.expiry.Sub(p.d.src.Now())))
		}
	}
	arm()
	for {
		select {
		case <-tick.C:
		case <-expiry.C:
		}
		listeners, ok := p.d.snapshot()
		if !ok {
			expiry.Stop()
			return
		}
		var u Update
		var changed bool
		var err error
		if p.restart {
			u, changed, err = p.restartOnNewFile(ctx)
		} else {
			u, changed, err = p.cycle(ctx)
		}
		if errors.Is(err, store.ErrFeedReplaced) {
			p.restart = true
			continue
		}
		if err != nil {
			if !p.failing {
				p.d.onError(err)
			}
			p.failing = true
			continue
		}
		p.failing = false
		if changed {
			arm()
		}
		if len(u.Changes) > 0 || u.All {
			p.d.observe(u)
			for _, fn := range listeners {
				fn(u)
			}
		}
	}
}

// restartOnNewFile takes new positions on the file now at the database's
// path (or, after a start that could not read the database, at all). What
// happened before is unknown, so every inbox counts as changed: waits
// re-read, subscribers are told.
func (p *poller) restartOnNewFile(ctx context.Context) (Update, bool, error) {
	if err := p.start(ctx); err != nil {
		return Update{}, false, err
	}
	p.restart = false
	return Update{All: true, Agents: map[string]bool{}}, true, nil
}

// cycle reads what changed since the last one. changed reports that the
// database moved (so the next lease expiry may have too). The poller's
// position moves only when the whole cycle succeeded, so a failed one is
// read again in full by the next.
func (p *poller) cycle(ctx context.Context) (u Update, changed bool, err error) {
	u.Agents = map[string]bool{}
	v, err := p.d.src.DataVersion(ctx)
	if err != nil {
		return u, false, err
	}
	cursor, checked := p.cursor, p.checked
	if v != p.version {
		changed = true
		for {
			chs, err := p.d.src.ChangesAfter(ctx, cursor)
			if err != nil {
				return Update{}, false, err
			}
			for _, ch := range chs {
				u.add(ch)
				cursor = ch.Pos
			}
			if len(chs) < store.ChangeBatch {
				break
			}
		}
	}
	if now := p.d.src.Now(); !p.expiry.IsZero() && !now.Before(p.expiry) {
		chs, err := p.d.src.LeasesExpired(ctx, checked, now)
		if err != nil {
			return Update{}, false, err
		}
		for _, ch := range chs {
			u.add(ch)
		}
		checked = now
		changed = true
	}
	if changed {
		if err := p.armExpiry(ctx); err != nil {
			return Update{}, false, err
		}
	}
	p.version, p.cursor, p.checked = v, cursor, checked
	return u, changed, nil
}

func (u *Update) add(ch store.FlagChange) {
	u.Changes = append(u.Changes, ch)
	if ch.Target == nil {
		u.All = true
	} else {
		u.Agents[*ch.Target] = true
	}
}
