package board

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// TestEventStreamOnPostgres: the board of one replica streams a change
// event for a flag another replica (its own pool) commits.
func TestEventStreamOnPostgres(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	st, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	feed, err := st.ChangeFeed(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	srv := httptest.NewServer(New(Config{Store: st, Feed: live.NewDetector(feed, live.DetectorOptions{})}))
	defer srv.Close()

	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", srv.URL+"/board/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() && lines.Text() != "" {
	}
	other, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	t0 := time.Now()
	if _, err := other.CreateFlag(ctx, store.NewFlag{FlagType: "change", SourceAgent: "@backend.api",
		ChangeDescription: "The orders API returns amounts in minor units from now on, in every response.",
		ActionRequired:    "Update every consumer of the orders endpoint to read amount_minor, and delete the decimal parsing helpers afterwards."}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for lines.Scan() && lines.Text() != "" {
		got = append(got, lines.Text())
	}
	if !cmp.Equal(got, []string{"event: change", `data: {"changes":1}`}) {
		t.Errorf("event %q", got)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("the event came %s after the commit", d)
	}
}
