package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for lease tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openTest(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(context.Background(), tb.TempDir()+"/agents.db", opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openClock(tb testing.TB) (*Store, *fakeClock) {
	tb.Helper()
	c := newFakeClock()
	return openTest(tb, WithClock(c.Now)), c
}

var (
	desc   = "The users table gained a preferences JSON column used for personalisation."
	action = "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."
)

// validNew returns a flag that passes every rule; tests mutate one field.
func validNew() NewFlag {
	return NewFlag{
		FlagType:          "change",
		SourceAgent:       "@backend.api",
		TargetAgent:       "@ops.containers",
		ChangeDescription: desc,
		ActionRequired:    action,
	}
}

func mustCreate(tb testing.TB, s *Store, mod func(*NewFlag)) Flag {
	tb.Helper()
	in := validNew()
	if mod != nil {
		mod(&in)
	}
	f, err := s.CreateFlag(context.Background(), in)
	if err != nil {
		tb.Fatalf("CreateFlag: %v", err)
	}
	return f
}

func wantCode(tb testing.TB, err error, code Code, contains ...string) *Error {
	tb.Helper()
	se, ok := err.(*Error)
	if !ok {
		tb.Fatalf("error = %v (%T), want *Error with code %s", err, err, code)
	}
	if se.Code != code {
		tb.Fatalf("code = %s (%q), want %s", se.Code, se.Message, code)
	}
	for _, c := range contains {
		if !strings.Contains(se.Message, c) {
			tb.Errorf("message %q does not contain %q", se.Message, c)
		}
	}
	return se
}

func countRows(tb testing.TB, s *Store, table string) int {
	tb.Helper()
	var n int
	if err := s.cur.r.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func jsonEqual(tb testing.TB, a, b any) bool {
	tb.Helper()
	x, err := json.Marshal(a)
	if err != nil {
		tb.Fatal(err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		tb.Fatal(err)
	}
	return string(x) == string(y)
}

func itoa(n int) string { return strconv.Itoa(n) }

// withBusyTimeout shortens the busy timeout so contention tests are quick.
func withBusyTimeout(d time.Duration) Option {
	return func(s *Store) { s.busyTimeout = d }
}
