package board

import (
	"context"
	"encoding/json"
	"html"
	"maps"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// pagedBoard holds more of every list than a page shows: 130 pending
// medium flags, 30 of them locked, 30 low flags completed, and their 220
// events.
func pagedBoard(t *testing.T) (*httptest.Server, []int64, []int64, []int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir()+"/agents.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := store.NewFlag{FlagType: "change", SourceAgent: "@backend.api", TargetAgent: "@web.ui",
		ChangeDescription: "The orders API returns amounts in minor units from now on.",
		ActionRequired:    "Update every consumer of the orders endpoint to read amount_minor, and delete the decimal parsing helpers."}
	var pending, locked, completed []int64
	for i := range 130 {
		f, err := st.CreateFlag(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, f.ID)
		if i%4 == 0 && len(locked) < 30 {
			if _, err := st.LockFlag(ctx, f.ID, "@web.ui", time.Hour); err != nil {
				t.Fatal(err)
			}
			locked = append(locked, f.ID)
		}
	}
	low := n
	low.ImpactLevel = "low"
	for range 30 {
		f, err := st.CreateFlag(ctx, low)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CompleteFlag(ctx, f.ID, "@web.ui", ""); err != nil {
			t.Fatal(err)
		}
		completed = append(completed, f.ID)
	}
	srv := httptest.NewServer(New(Config{Store: st}))
	t.Cleanup(srv.Close)
	return srv, pending, locked, completed
}

// section is the HTML of one of the page's sections.
func section(body, id string) string {
	start := strings.Index(body, `<section id="`+id+`"`)
	if start < 0 {
		return ""
	}
	rest := body[start:]
	if end := strings.Index(rest[1:], `<section id="`); end > 0 {
		rest = rest[:end+1]
	}
	return rest
}

// pagerLinks are the links of a section's "(… shown; …)" note, by label.
func pagerLinks(sec string) map[string]string {
	out := map[string]string{}
	for _, note := range regexp.MustCompile(`<span class="more">\(.*?\)</span>`).FindAllString(sec, -1) {
		for _, m := range regexp.MustCompile(`<a (?:data-key="[^"]*" )?href="([^"]+)">([^<]+)</a>`).FindAllStringSubmatch(note, -1) {
			out[m[2]] = html.UnescapeString(m[1])
		}
	}
	return out
}

// Every cut list says how much it shows and links on, page after page,
// to its last row, on the page and in the JSON.
func TestListsPageOn(t *testing.T) {
	srv, pending, locked, completed := pagedBoard(t)
	get := func(path string) string {
		t.Helper()
		res, body := get(t, srv.URL+path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		return body
	}
	home := get("/board/")
	for _, want := range []string{"(1–25 of 130 shown, oldest first; ", "(1–25 of 30 shown, soonest to run out first; ", "(1–25 of 30 shown, newest first; ", "(50 shown, newest first; "} {
		if !strings.Contains(home, want) {
			t.Errorf("the board does not say %q", want)
		}
	}
	// Follow each list's links from the board to its end, as a person
	// would, collecting the flags.
	follow := func(list, first string, want []int64) {
		t.Helper()
		var got []string
		body, path := home, ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatalf("%s: the pages never end", list)
			}
			sec := section(body, list)
			if path != "" {
				got = append(got, flagsIn(body, list)...)
			}
			links := pagerLinks(sec)
			next := ""
			for label, u := range links {
				if label == first || strings.HasPrefix(label, "next ") {
					next = u
				}
			}
			if path != "" && strings.Contains(path, "page=2") && links["previous 100"] == "" {
				t.Errorf("%s: page 2 has no link back to the first: %v", path, links)
			}
			if next == "" {
				break
			}
			path = strings.TrimPrefix(next, srv.URL)
			body = get(path)
			if section(body, "inboxes") != "" {
				t.Errorf("%s shows more than its list", path)
			}
		}
		var ids []string
		for _, id := range want {
			ids = append(ids, strconv.FormatInt(id, 10))
		}
		if !slices.Equal(got, ids) {
			t.Errorf("%s: paging showed %d flags %v,\nwant %d %v", list, len(got), got, len(ids), ids)
		}
	}
	follow("pending", "more", pending)
	slices.Reverse(completed)
	follow("completed", "more", completed)
	lockedPage := get("/board/?list=locked")
	var lockedIDs []string
	for _, id := range locked {
		lockedIDs = append(lockedIDs, strconv.FormatInt(id, 10))
	}
	if got := flagsIn(lockedPage, "locked"); !slices.Equal(got, lockedIDs) {
		t.Errorf("list=locked shows %v, want %v", got, lockedIDs)
	}
	if l := pagerLinks(section(home, "locked"))["more"]; l != "/board/?list=locked" {
		t.Errorf("locked's link = %q", l)
	}

	// The impact filter's page shows 100 and goes on with the next 30.
	medium := get("/board/?impact=medium")
	if !strings.Contains(medium, "(1–100 of 130 shown, oldest first; ") || pagerLinks(section(medium, "pending"))["next 30"] != "/board/?impact=medium&list=pending&page=2" {
		t.Errorf("the impact page does not go on: %v", pagerLinks(section(medium, "pending")))
	}

	// Events go on by key: older, and back to the newest.
	older := pagerLinks(section(home, "events"))["older"]
	if !strings.HasPrefix(older, "/board/?before=") || !strings.Contains(older, "list=events") {
		t.Fatalf("events' older link = %q", older)
	}
	ev := get(older)
	if n := len(regexp.MustCompile(`<tr data-row="e-\d+"><td><time`).FindAllString(section(ev, "events"), -1)); n != 100 {
		t.Errorf("a page of events shows %d, want 100", n)
	}
	if l := pagerLinks(section(ev, "events")); l["newest"] != "/board/?list=events" || l["older"] == "" {
		t.Errorf("older events' links %v", l)
	}

	// The JSON links on too, each list's next after the last row shown
	// (the summary's 25 as a page's 100), so every row comes once: from the
	// summary and from the impact filter's page.
	type jsonSum struct {
		store.BoardSummary
		Next map[string]string `json:"next"`
	}
	for _, tc := range []struct {
		start, list string
		rows        func(jsonSum) []int64
		want        []int64
	}{
		{"/board/api/summary?impact=medium", "pending/medium", func(s jsonSum) []int64 { return boardIDs(s.Pending[0].Flags) }, pending},
		{"/board/api/summary", "pending/medium", func(s jsonSum) []int64 { return boardIDs(s.Pending[0].Flags) }, pending},
		{"/board/api/summary", "locked", func(s jsonSum) []int64 { return boardIDs(s.Locked) }, locked},
		{"/board/api/summary", "completed", func(s jsonSum) []int64 { return boardIDs(s.Completed) }, completed},
	} {
		var ids []int64
		u := tc.start
		for pages := 0; u != ""; pages++ {
			if pages > 5 {
				t.Fatalf("%s: the JSON pages of %s never end", tc.start, tc.list)
			}
			var sum jsonSum
			if err := json.Unmarshal([]byte(get(u)), &sum); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tc.rows(sum)...)
			if pages == 0 && sum.Next["events"] == "" {
				t.Errorf("%s: no link to older events: %v", u, sum.Next)
			}
			u = sum.Next[tc.list]
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("JSON pages of %s from %s gave %d rows %v,\nwant %d %v", tc.list, tc.start, len(ids), ids, len(tc.want), tc.want)
		}
	}

	for _, bad := range []string{"/board/?page=2", "/board/?list=events&page=2", "/board/?list=pending&page=x", "/board/?before=3", "/board/api/summary?list=nope",
		"/board/?offset=25", "/board/?list=pending&offset=x", "/board/?list=pending&offset=-1", "/board/?list=pending&offset=25&page=2"} {
		if res, _ := get2(t, srv.URL+bad); res != 400 {
			t.Errorf("%s: %d, want 400", bad, res)
		}
	}
}

func boardIDs(fs []store.BoardFlag) []int64 {
	var out []int64
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func get2(t *testing.T, url string) (int, string) {
	t.Helper()
	res, body := get(t, url)
	return res.StatusCode, body
}

// Each pager's link has a key naming the control, not the URL, which
// changes as rows come and go (a new event moves "older"'s before=): the
// live script keeps the focus on a link by its key.
func TestPagerLinksHaveStableKeys(t *testing.T) {
	srv, _, _, _ := pagedBoard(t)
	keys := func(path, sec string) map[string]string {
		t.Helper()
		res, body := get(t, srv.URL+path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		out := map[string]string{}
		for _, note := range regexp.MustCompile(`<span class="more">\(.*?\)</span>`).FindAllString(section(body, sec), -1) {
			for _, m := range regexp.MustCompile(`<a ([^>]*)>([^<]+)</a>`).FindAllStringSubmatch(note, -1) {
				k := regexp.MustCompile(`data-key="([^"]*)"`).FindStringSubmatch(m[1])
				if k == nil {
					t.Errorf("%s: the pager link %q has no data-key", path, m[2])
					continue
				}
				out[m[2]] = k[1]
			}
		}
		return out
	}
	for _, tc := range []struct {
		path, sec string
		want      map[string]string
	}{
		{"/board/", "pending", map[string]string{"more": "pending-medium-next"}},
		{"/board/", "locked", map[string]string{"more": "locked-next"}},
		{"/board/", "completed", map[string]string{"more": "completed-next"}},
		{"/board/", "events", map[string]string{"older": "events-older"}},
		{"/board/?list=events&before=200", "events", map[string]string{"newest": "events-newest", "older": "events-older"}},
		{"/board/?list=pending&page=2", "pending", map[string]string{"previous 100": "pending-medium-previous"}},
		{"/board/?list=pending&impact=medium&page=2", "pending", map[string]string{"previous 100": "pending-medium-previous"}},
	} {
		if got := keys(tc.path, tc.sec); !maps.Equal(got, tc.want) {
			t.Errorf("%s, %s: pager keys %v, want %v", tc.path, tc.sec, got, tc.want)
		}
	}
}

// A page past a list's end leads back to the last page with rows, not to
// the page before it, which would be past the end too.
func TestPagePastTheEndLeadsBackToRows(t *testing.T) {
	srv, _, _, _ := pagedBoard(t)
	for _, tc := range []struct {
		path, sec string
		want      map[string]string
	}{
		// 130 pending medium flags: two pages.
		{"/board/?list=pending&page=3", "pending", map[string]string{"first": "/board/?impact=medium&list=pending", "last page": "/board/?impact=medium&list=pending&page=2"}},
		// 30 locked: one page.
		{"/board/?list=locked&page=99999", "locked", map[string]string{"last page": "/board/?list=locked"}},
		{"/board/?list=completed&page=2", "completed", map[string]string{"last page": "/board/?list=completed"}},
	} {
		res, body := get(t, srv.URL+tc.path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", tc.path, res.StatusCode)
		}
		links := pagerLinks(section(body, tc.sec))
		if !maps.Equal(links, tc.want) {
			t.Errorf("%s: links %v, want %v", tc.path, links, tc.want)
		}
		if back := links["last page"]; back != "" {
			if _, body := get(t, srv.URL+back); len(flagsIn(body, tc.sec)) == 0 {
				t.Errorf("%s: its last page %s shows no flags", tc.path, back)
			}
		}
	}
}
