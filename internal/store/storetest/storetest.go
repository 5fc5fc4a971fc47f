// Package storetest is the store contract's test suite: one definition of
// the behaviour (rules, errors and their messages, ordering, leases,
// chains, events, tokens, pagination, the board) that every engine is
// held to. Each engine's tests call Run with a function that opens an
// empty store of that engine on a test clock.
package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Opener opens an empty store whose clock (the time every lease, expiry
// and timestamp is decided by) is c, and closes it when the test ends.
type Opener func(t testing.TB, c *Clock) store.Engine

// Run runs the whole contract suite against the engine open opens.
func Run(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"LockRenewTakeover", testLockRenewTakeover},
		{"LockErrors", testLockErrors},
		{"ExpiredLeaseSameAgentIsFreshLock", testExpiredLeaseSameAgentIsFreshLock},
		{"Unlock", testUnlock},
		{"Complete", testComplete},
		{"ClaimMessages", testClaimMessages},
		{"ConcurrentLockOneWinner", testConcurrentLockOneWinner},
		{"AgentFlagsOrderingAndBroadcasts", testAgentFlagsOrderingAndBroadcasts},
		{"AgentFlagsCreatedAtTieBreaksByID", testAgentFlagsCreatedAtTieBreaksByID},
		{"AgentFlagsStatusAndLocks", testAgentFlagsStatusAndLocks},
		{"ListFlags", testListFlags},
		{"GetFlagChainTree", testGetFlagChainTree},
		{"TokenLifecycle", testTokenLifecycle},
		{"CreateTokenRejects", testCreateTokenRejects},
		{"TouchTokenAtMostOncePerMinute", testTouchTokenAtMostOncePerMinute},
		{"EventsRecordTheToken", testEventsRecordTheToken},
		{"BoardSummary", testBoardSummary},
		{"BoardFilters", testBoardFilters},
		{"BoardRejectsBadFilters", testBoardRejectsBadFilters},
		{"BoardTimeWindows", testBoardTimeWindows},
		{"BoardPages", testBoardPages},
		{"WritesReturnWhatIsStored", testWritesReturnWhatIsStored},
		{"CreateFlagValidation", testCreateFlagValidation},
		{"CreateFlagChainOriginMustExist", testCreateFlagChainOriginMustExist},
		{"CreateFlagAcceptsAndNormalises", testCreateFlagAcceptsAndNormalises},
		{"CountAgentFlags", testCountAgentFlags},
		{"ContextDepth", testContextDepth},
		{"FlagDetailJSONGolden", testFlagDetailJSONGolden},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// Clock is a settable clock for the tests of leases and time windows.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at 2026-01-02T03:04:05Z, where the
// suite's expected times start.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openClock(t *testing.T, open Opener) (store.Engine, *Clock) {
	t.Helper()
	c := NewClock()
	return open(t, c), c
}

func openTest(t *testing.T, open Opener) store.Engine {
	t.Helper()
	s, _ := openClock(t, open)
	return s
}

var (
	desc   = "The users table gained a preferences JSON column used for personalisation."
	action = "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."
)

// validNew returns a flag that passes every rule; tests mutate one field.
func validNew() store.NewFlag {
	return store.NewFlag{
		FlagType:          "change",
		SourceAgent:       "@backend.api",
		TargetAgent:       "@ops.containers",
		ChangeDescription: desc,
		ActionRequired:    action,
	}
}

func mustCreate(tb testing.TB, s store.Engine, mod func(*store.NewFlag)) store.Flag {
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

func wantCode(tb testing.TB, err error, code store.Code, contains ...string) *store.Error {
	tb.Helper()
	var se *store.Error
	if !errors.As(err, &se) {
		tb.Fatalf("error = %v (%T), want *store.Error with code %s", err, err, code)
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

func isCode(err error, code store.Code) bool {
	var se *store.Error
	return errors.As(err, &se) && se.Code == code
}

// countFlags counts every stored flag through the contract.
func countFlags(tb testing.TB, s store.Engine) int {
	tb.Helper()
	_, n, err := s.ListFlags(context.Background(), store.ListQuery{Limit: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// countEvents counts every stored event through the contract.
func countEvents(tb testing.TB, s store.Engine) int {
	tb.Helper()
	fs, _, err := s.ListFlags(context.Background(), store.ListQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		d, err := s.GetFlag(context.Background(), f.ID)
		if err != nil {
			tb.Fatal(err)
		}
		n += len(d.Events)
	}
	return n
}
