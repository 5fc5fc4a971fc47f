package live

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

const (
	desc   = "The users table gained a preferences JSON column used for personalisation."
	action = "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."
)

// twoProcesses opens one database file twice: the detector reads through
// the first handle, the test writes through the second as another process
// would.
func twoProcesses(t *testing.T) (mine, other *store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agents.db")
	var err error
	if mine, err = store.Open(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mine.Close() })
	if other, err = store.Open(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return mine, other
}

func newDetector(t *testing.T, st *store.Store, opts DetectorOptions) *Detector {
	t.Helper()
	feed, err := st.ChangeFeed()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { feed.Close() })
	if opts.Period == 0 {
		opts.Period = 20 * time.Millisecond
	}
	return NewDetector(feed, opts)
}

func create(t *testing.T, st *store.Store, target string) store.Flag {
	t.Helper()
	f, err := st.CreateFlag(context.Background(), store.NewFlag{
		FlagType: "change", SourceAgent: "@backend.api", TargetAgent: target,
		ChangeDescription: desc, ActionRequired: action,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func listen(t *testing.T, d *Detector) <-chan Update {
	t.Helper()
	ch := make(chan Update, 100)
	stop, err := d.Listen(context.Background(), func(u Update) { ch <- u })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ch
}

func next(t *testing.T, ch <-chan Update) Update {
	t.Helper()
	select {
	case u := <-ch:
		return u
	case <-time.After(20 * time.Second): // a loaded -race run can starve the poller for seconds
		t.Fatal("no update within 20s")
		return Update{}
	}
}

func quiet(t *testing.T, ch <-chan Update, d time.Duration) {
	t.Helper()
	select {
	case u := <-ch:
		t.Fatalf("unexpected update %+v", u)
	case <-time.After(d):
	}
}

func TestDetectorReportsAnotherProcessesFlags(t *testing.T) {
	mine, other := twoProcesses(t)
	before := create(t, other, "@ops.containers") // before listening: not reported
	d := newDetector(t, mine, DetectorOptions{})
	ch := listen(t, d)

	f := create(t, other, "@ops.containers")
	u := next(t, ch)
	if !u.Concerns("@ops.containers") || u.All || u.Concerns("@qa.tester") {
		t.Fatalf("targeted flag: update %+v should concern @ops.containers only", u)
	}
	if len(u.Changes) != 1 || u.Changes[0].FlagID != f.ID || u.Changes[0].Kind != store.EventCreated {
		t.Fatalf("changes = %+v, want the creation of flag %d (not flag %d from before listening)", u.Changes, f.ID, before.ID)
	}

	create(t, other, "")
	if u := next(t, ch); !u.All || !u.Concerns("@anyone.else") {
		t.Fatalf("broadcast flag: update %+v should concern every inbox", u)
	}

	// This process's own writes are seen too: the feed's connection never
	// writes, so every commit moves its data_version.
	if _, err := mine.CompleteFlag(context.Background(), f.ID, "@ops.containers", ""); err != nil {
		t.Fatal(err)
	}
	if u := next(t, ch); len(u.Changes) != 1 || u.Changes[0].Kind != store.EventCompleted {
		t.Fatalf("own completion: update %+v", u)
	}
	quiet(t, ch, 100*time.Millisecond)
}

func TestDetectorReportsLeaseExpiry(t *testing.T) {
	mine, other := twoProcesses(t)
	f := create(t, other, "@ops.containers")
	start := time.Now()
	if _, err := other.LockFlag(context.Background(), f.ID, "@ops.worker", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// No polls: only the expiry timer, armed when listening starts, can fire.
	d := newDetector(t, mine, DetectorOptions{Period: time.Hour})
	ch := listen(t, d)
	u := next(t, ch)
	if len(u.Changes) != 1 || u.Changes[0].Kind != store.KindExpired || u.Changes[0].Agent != "@ops.worker" || !u.Concerns("@ops.containers") {
		t.Fatalf("update %+v, want the expiry of @ops.worker's lease on a flag for @ops.containers", u)
	}
	if el := time.Since(start); el < 298*time.Millisecond { // stored times are whole milliseconds
		t.Fatalf("expiry reported after %v, before the lease ran out", el)
	}
}

func TestDetectorRearmsExpiryAfterAChange(t *testing.T) {
	mine, other := twoProcesses(t)
	f := create(t, other, "@ops.containers")
	d := newDetector(t, mine, DetectorOptions{})
	ch := listen(t, d)
	ctx := context.Background()
	if _, err := other.LockFlag(ctx, f.ID, "@ops.worker", time.Hour); err != nil {
		t.Fatal(err)
	}
	next(t, ch) // the lock
	// A renewal with a short lease moves the next expiry earlier.
	if _, err := other.LockFlag(ctx, f.ID, "@ops.worker", 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if u := next(t, ch); u.Changes[0].Kind != store.EventRenewed {
		t.Fatalf("update %+v, want the renewal", u)
	}
	if u := next(t, ch); u.Changes[0].Kind != store.KindExpired {
		t.Fatalf("update %+v, want the expiry of the renewed lease", u)
	}
}

func TestDetectorPollsOnlyWhileListened(t *testing.T) {
	mine, other := twoProcesses(t)
	d := newDetector(t, mine, DetectorOptions{})
	if d.Listening() {
		t.Fatal("polling before anyone listens")
	}
	ch1 := make(chan Update, 10)
	stop1, err := d.Listen(context.Background(), func(u Update) { ch1 <- u })
	if err != nil {
		t.Fatal(err)
	}
	ch2 := listen(t, d)
	create(t, other, "@ops.containers")
	next(t, ch1)
	next(t, ch2)
	stop1()
	create(t, other, "@ops.containers")
	next(t, ch2)
	quiet(t, ch1, 50*time.Millisecond)
}

func TestDetectorStopsWhenTheLastListenerLeaves(t *testing.T) {
	mine, other := twoProcesses(t)
	d := newDetector(t, mine, DetectorOptions{})
	stop, err := d.Listen(context.Background(), func(Update) {})
	if err != nil {
		t.Fatal(err)
	}
	stop()
	deadline := time.Now().Add(5 * time.Second)
	for d.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("still polling 5s after the last listener left")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A listener arriving later starts a fresh run from the current cursor.
	create(t, other, "@ops.containers")
	ch := listen(t, d)
	f := create(t, other, "@qa.tester")
	if u := next(t, ch); len(u.Changes) != 1 || u.Changes[0].FlagID != f.ID {
		t.Fatalf("update %+v, want only flag %d", u, f.ID)
	}
}

type failingSource struct {
	Source
	fail atomic.Bool
}

func (f *failingSource) DataVersion(ctx context.Context) (int64, error) {
	if f.fail.Load() {
		return 0, errors.New("disk on fire")
	}
	return f.Source.DataVersion(ctx)
}

func TestDetectorReportsAFaultOnceAndRecovers(t *testing.T) {
	mine, other := twoProcesses(t)
	feed, err := mine.ChangeFeed()
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	src := &failingSource{Source: feed}
	var faults atomic.Int32
	d := NewDetector(src, DetectorOptions{Period: 5 * time.Millisecond, OnError: func(error) { faults.Add(1) }})
	ch := listen(t, d)
	src.fail.Store(true)
	f := create(t, other, "@ops.containers")
	time.Sleep(100 * time.Millisecond)
	src.fail.Store(false)
	if u := next(t, ch); len(u.Changes) != 1 || u.Changes[0].FlagID != f.ID {
		t.Fatalf("after recovery: update %+v, want flag %d", u, f.ID)
	}
	if n := faults.Load(); n != 1 {
		t.Fatalf("%d fault reports for one run of failures, want 1", n)
	}
}

// A database file deleted under a running server: the store carries on on
// a new file, and so must the detector, telling every inbox once (what
// happened to the new file before is unknown) and then reporting its
// changes as usual.
func TestDetectorFollowsAReplacedFile(t *testing.T) {
	mine, _ := twoProcesses(t)
	d := newDetector(t, mine, DetectorOptions{})
	ch := listen(t, d)
	create(t, mine, "@ops.containers")
	next(t, ch)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(mine.Path() + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	redone := create(t, mine, "@ops.containers") // redone on a new file at the path
	if u := next(t, ch); !u.All {
		t.Fatalf("first update after the file was replaced: %+v, want every inbox", u)
	}
	f := create(t, mine, "@qa.tester")
	// The poll that noticed the new file may have run before the redone
	// create committed there; then that create is reported once more,
	// alone or with the next one. An extra report is harmless; what must
	// hold is that the new file's changes are followed.
	var u Update
	var changes []store.FlagChange
	for len(changes) == 0 {
		u = next(t, ch)
		for _, c := range u.Changes {
			if c.FlagID != redone.ID {
				changes = append(changes, c)
			}
		}
	}
	if len(changes) != 1 || changes[0].FlagID != f.ID || !u.Concerns("@qa.tester") {
		t.Fatalf("update on the new file %+v, want flag %d for @qa.tester", u, f.ID)
	}
}

// A listener arriving while the database cannot be read (a PostgreSQL
// outage) is not refused: once the database answers, every inbox is
// reported changed (what happened meanwhile is unknown), then changes as
// usual.
func TestDetectorListensThroughAnOutageAtStart(t *testing.T) {
	mine, other := twoProcesses(t)
	feed, err := mine.ChangeFeed()
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	src := &failingSource{Source: feed}
	src.fail.Store(true)
	var faults atomic.Int32
	d := NewDetector(src, DetectorOptions{Period: 5 * time.Millisecond, OnError: func(error) { faults.Add(1) }})
	ch := listen(t, d)
	create(t, other, "@ops.containers")
	time.Sleep(50 * time.Millisecond)
	quiet(t, ch, 10*time.Millisecond)
	src.fail.Store(false)
	if u := next(t, ch); !u.All {
		t.Fatalf("first update once the database answers: %+v, want every inbox", u)
	}
	f := create(t, other, "@qa.tester")
	if u := next(t, ch); len(u.Changes) != 1 || u.Changes[0].FlagID != f.ID {
		t.Fatalf("then: update %+v, want flag %d", u, f.ID)
	}
	if n := faults.Load(); n != 1 {
		t.Fatalf("%d fault reports for one outage, want 1", n)
	}
}

// Listeners hear each update in the order they were registered, whatever
// order map iteration would give: an inbox subscription registered before
// a wait is told before the wait is woken (see Detector.Listen).
func TestDetectorCallsListenersInRegistrationOrder(t *testing.T) {
	mine, other := twoProcesses(t)
	d := newDetector(t, mine, DetectorOptions{})
	var mu sync.Mutex
	var order []int
	done := make(chan struct{}, 1)
	const n = 12
	for i := range n {
		stop, err := d.Listen(context.Background(), func(Update) {
			mu.Lock()
			order = append(order, i)
			full := len(order) == n
			mu.Unlock()
			if full {
				done <- struct{}{}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	for round := range 3 {
		mu.Lock()
		order = order[:0]
		mu.Unlock()
		create(t, other, "@ops.containers")
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("no update within 20s")
		}
		mu.Lock()
		got := slices.Clone(order)
		mu.Unlock()
		if !slices.IsSorted(got) {
			t.Fatalf("round %d: listeners called in order %v, want registration order", round, got)
		}
	}
}
