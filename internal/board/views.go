package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/flagtext"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// views holds the parsed templates.
type views struct {
	prefix string
	tmpl   *template.Template
}

func staticFS() fs.FS {
	sub, err := fs.Sub(assets, "assets/static")
	if err != nil {
		panic(err)
	}
	return sub
}

func newViews(prefix string) *views {
	v := &views{prefix: prefix}
	funcs := template.FuncMap{
		// line is one line of agent text: terminal escape sequences removed
		// whole (no "[31m" left), other control and format characters
		// (bidi overrides, zero-width) too, and long text cut.
		// html/template does the HTML escaping.
		"line": func(s string) string { return flagtext.Line(s, 160) },
		// firstLine is the first line with text of a whole description, as
		// the lists' rows show it (the store cuts theirs the same way).
		"firstLine": func(s string) string { return flagtext.Line(flagtext.FirstLine(s), 160) },
		"clean":     flagtext.Clean,
		"deref": func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		},
		"flagURL":  func(id int64) string { return prefix + "/flags/" + strconv.FormatInt(id, 10) },
		"agentURL": func(a string) string { return prefix + "/?" + url.Values{"agent": {a}}.Encode() },
		"static":   func(name string) string { return prefix + "/static/" + name },
		"derefInt": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"row":   func(key string, f store.BoardFlag, now time.Time) flagRow { return flagRow{F: f, Now: now, Key: key} },
		"ago":   ago,
		"left":  left,
		"clock": clock,
	}
	v.tmpl = template.Must(template.New("").Funcs(funcs).ParseFS(assets, "assets/*.html"))
	return v
}

func (v *views) render(w http.ResponseWriter, log *slog.Logger, status int, name string, data any) {
	var b bytes.Buffer
	if err := v.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		log.Error("board: rendering", "template", name, "err", err)
		http.Error(w, "internal error: the board could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// flagRow is a flag in one of the main page's lists; Key tells the lists
// apart, so the live script can keep focus on the same link.
type flagRow struct {
	F   store.BoardFlag
	Now time.Time
	Key string
}

// Page is what every template gets.
type Page struct {
	Title  string
	Prefix string
	Live   string // the event stream's URL; "" without live updates
	// Viewer names who signed in (a server with tokens), with a way to
	// sign out; "" on the local board.
	Viewer string
}

func (v *views) page(title string, live bool) Page {
	p := Page{Title: title, Prefix: v.prefix}
	if live {
		p.Live = v.prefix + "/events"
	}
	return p
}

// choice is one value of a filter, as a link.
type choice struct {
	Label   string
	URL     string
	Current bool
	// Key names a pager's link for the live script ("events-older",
	// "pending-critical-next"): its URL changes as rows come and go, and
	// the same control must keep the focus.
	Key string
}

// filter is one dimension of the filters.
type filter struct {
	Name, Label string
	Choices     []choice
}

type boardData struct {
	Page
	Sum     store.BoardSummary
	Now     time.Time
	Filters []filter
	// Active lists the filters in force, each with a link removing it;
	// ClearAll removes them all.
	Active   []choice
	ClearAll string
	// Showing, under list=, names the list shown alone, with a link to
	// every list.
	Showing *choice
	// Groups, Locked, Completed and Events say how much of each list is
	// shown and link to the rest.
	Groups                    map[string]pager
	Locked, Completed, Events pager
	// Summary is this page without its list and page: every section.
	Summary string
	// Nothing, when the list asked for cannot hold a flag under the status
	// asked for (list=pending&status=completed), says so, with ways on;
	// the page would otherwise show no section at all.
	Nothing *nothing
}

// nothing says why a page shows no list, and links to the pages that do.
type nothing struct {
	Text  string
	Links []choice
}

// pager says how much of a list a page shows and links to the rest: the
// next rows (or, past a short summary, the list's own pages of
// store.BoardPageRows), the previous ones and the first.
type pager struct {
	Show            bool // the list is cut: say so
	From, To, Total int  // rows shown, 1-based, of Total (events: Total 0, not counted)
	Order           string
	Links           []choice
}

// boardURL is base (the page, or the JSON) under q's filters, list, page
// and before, changed by edit.
func boardURL(base string, q store.BoardQuery, edit func(url.Values)) string {
	vals := url.Values{}
	for k, v := range map[string]string{"agent": q.Agent, "type": q.FlagType, "impact": q.ImpactLevel, "status": q.Status, "list": q.List} {
		if v != "" && !(k == "status" && v == "all") {
			vals.Set(k, v)
		}
	}
	if q.Page > 1 {
		vals.Set("page", strconv.Itoa(q.Page))
	}
	if q.Skip > 0 {
		vals.Set("offset", strconv.Itoa(q.Skip))
	}
	if q.Before > 0 {
		vals.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if edit != nil {
		edit(vals)
	}
	if len(vals) == 0 {
		return base
	}
	return base + "?" + vals.Encode()
}

// flagPager pages a flag list (list, and impact for a pending group) of
// total rows, shown of them from offset on. Its next link goes to the
// list's page holding the next row; exact, it goes to that row itself
// (offset=) when no page starts there, as a script reading on needs.
func flagPager(base string, q store.BoardQuery, list, impact string, total, offset, shown int, order string, exact bool) pager {
	p := pager{Total: total, From: offset + 1, To: offset + shown, Order: order}
	if total == 0 || (offset == 0 && shown >= total) {
		return p
	}
	p.Show = true
	at := func(page int) string {
		return boardURL(base, q, func(v url.Values) {
			v.Del("before")
			v.Del("offset")
			v.Set("list", list)
			if impact != "" {
				v.Set("impact", impact)
			}
			if page > 1 {
				v.Set("page", strconv.Itoa(page))
			} else {
				v.Del("page")
			}
		})
	}
	// from is the list from its row skip+1 on.
	from := func(skip int) string {
		return boardURL(base, q, func(v url.Values) {
			v.Del("before")
			v.Del("page")
			v.Set("offset", strconv.Itoa(skip))
			v.Set("list", list)
			if impact != "" {
				v.Set("impact", impact)
			}
		})
	}
	key := list
	if impact != "" {
		key += "-" + impact
	}
	rows := store.BoardPageRows
	switch {
	case offset >= total:
		// A page past the list's end (a URL kept while the list shrank, or
		// typed): the way back is to the last page with rows, not to the
		// page before this one, which may be past the end too.
		last := (total-1)/rows + 1
		if last > 1 {
			p.Links = append(p.Links, choice{Label: "first", URL: at(1), Key: key + "-first"})
		}
		p.Links = append(p.Links, choice{Label: "last page", URL: at(last), Key: key + "-previous"})
	case offset > 0:
		prev := (offset-1)/rows + 1 // the page holding the row before this one
		if prev > 1 {
			p.Links = append(p.Links, choice{Label: "first", URL: at(1), Key: key + "-first"})
		}
		p.Links = append(p.Links, choice{Label: "previous " + strconv.Itoa(rows), URL: at(prev), Key: key + "-previous"})
	}
	if next := offset + shown; next < total {
		label, u := "next "+strconv.Itoa(min(rows, total-next)), at(next/rows+1)
		if next%rows != 0 {
			label = "more" // a short summary: the list's own first page holds these rows again
			if exact {
				u = from(next)
			}
		}
		p.Links = append(p.Links, choice{Label: label, URL: u, Key: key + "-next"})
	}
	return p
}

// eventPager pages the events by key: older ones, and back to the newest.
func eventPager(base string, q store.BoardQuery, sum store.BoardSummary) pager {
	p := pager{From: 1, To: len(sum.Events), Order: "newest first"}
	at := func(before int64) string {
		return boardURL(base, q, func(v url.Values) {
			v.Del("page")
			v.Del("offset")
			v.Set("list", "events")
			if before > 0 {
				v.Set("before", strconv.FormatInt(before, 10))
			} else {
				v.Del("before")
			}
		})
	}
	if q.Before > 0 {
		p.Links = append(p.Links, choice{Label: "newest", URL: at(0), Key: "events-newest"})
	}
	if sum.EventsOlder != nil {
		p.Links = append(p.Links, choice{Label: "older", URL: at(*sum.EventsOlder), Key: "events-older"})
	}
	p.Show = len(p.Links) > 0
	return p
}

// pagers pages each list of sum that was read, with links to base (exact:
// see flagPager).
func pagers(base string, sum store.BoardSummary, exact bool) (groups map[string]pager, locked, completed, events pager) {
	q := sum.Query
	groups = map[string]pager{}
	for _, g := range sum.Pending {
		groups[g.Impact] = flagPager(base, q, "pending", g.Impact, g.Total, g.Offset, len(g.Flags), "oldest first", exact)
	}
	if q.Shows("locked") {
		locked = flagPager(base, q, "locked", "", sum.LockedTotal, sum.LockedOffset, len(sum.Locked), "soonest to run out first", exact)
	}
	if q.Shows("completed") {
		completed = flagPager(base, q, "completed", "", sum.CompletedTotal, sum.CompletedOffset, len(sum.Completed), "newest first", exact)
	}
	if q.Shows("events") {
		events = eventPager(base, q, sum)
	}
	return
}

// nextLinks are the JSON's links to the rows that follow each list, by
// the list's name ("pending/medium" for a group): each goes on after the
// last row the summary holds, as events' does, so a script reads every row
// once.
func (v *views) nextLinks(sum store.BoardSummary) map[string]string {
	next := map[string]string{}
	groups, locked, completed, events := pagers(v.prefix+"/api/summary", sum, true)
	add := func(name string, p pager) {
		for _, l := range p.Links {
			if strings.HasSuffix(l.Key, "-next") || l.Key == "events-older" {
				next[name] = l.URL
			}
		}
	}
	for impact, p := range groups {
		add("pending/"+impact, p)
	}
	add("locked", locked)
	add("completed", completed)
	add("events", events)
	return next
}

func (v *views) boardData(sum store.BoardSummary, live bool) boardData {
	now, _ := time.Parse(time.RFC3339, sum.Now)
	d := boardData{Page: v.page("Flag board", live), Sum: sum, Now: now}
	q := sum.Query
	base := v.prefix + "/"
	cur := map[string]string{"agent": q.Agent, "type": q.FlagType, "impact": q.ImpactLevel, "status": q.Status, "list": q.List}
	if cur["status"] == "all" {
		cur["status"] = ""
	}
	// A filter's link keeps the others and the list, and starts the list
	// over: its pages would count other rows.
	link := func(name, value string) string {
		return boardURL(base, q, func(vals url.Values) {
			vals.Del("page")
			vals.Del("offset")
			vals.Del("before")
			if name == "list" {
				vals.Del("list")
			}
			if value != "" {
				vals.Set(name, value)
			} else {
				vals.Del(name)
			}
		})
	}
	dims := []struct {
		name, label string
		values      []string
	}{
		{"status", "Status", []string{"pending", "completed"}},
		{"impact", "Impact", store.ImpactLevels},
		{"type", "Type", store.FlagTypes},
	}
	for _, dim := range dims {
		f := filter{Name: dim.name, Label: dim.label}
		f.Choices = append(f.Choices, choice{Label: "any", URL: link(dim.name, ""), Current: cur[dim.name] == ""})
		for _, val := range dim.values {
			f.Choices = append(f.Choices, choice{Label: val, URL: link(dim.name, val), Current: cur[dim.name] == val})
		}
		d.Filters = append(d.Filters, f)
	}
	d.Groups, d.Locked, d.Completed, d.Events = pagers(base, sum, false)
	d.Summary = link("list", "")
	// Pending and locked flags are not completed, and completed ones are
	// neither pending nor locked: such a list under such a status is empty
	// by definition.
	if st := cur["status"]; (st == "completed" && (q.List == "pending" || q.List == "locked")) || (st == "pending" && q.List == "completed") {
		d.Nothing = &nothing{
			Text: strings.ToUpper(st[:1]) + st[1:] + " flags are never " + q.List + ": there is no " + q.List + " list under status " + st + ".",
			Links: []choice{
				{Label: "The " + q.List + " list, any status", URL: link("status", "")},
				{Label: "Every list under status " + st, URL: link("list", "")},
			},
		}
	}
	for _, name := range []string{"agent", "status", "impact", "type"} {
		if cur[name] != "" {
			d.Active = append(d.Active, choice{Label: name + ": " + cur[name], URL: link(name, "")})
		}
	}
	// The list is not a filter (it picks a section, whose rows the filters
	// choose): it is shown apart, and clearing the filters keeps it.
	d.ClearAll = base
	if q.List != "" {
		d.Showing = &choice{Label: q.List, URL: d.Summary}
		d.ClearAll = base + "?" + url.Values{"list": {q.List}}.Encode()
	}
	if len(d.Active) > 0 {
		d.Title = "Flag board (filtered)"
	}
	if q.List != "" {
		d.Title = "Flag board: " + q.List
		if q.Page > 1 {
			d.Title += ", page " + strconv.Itoa(q.Page)
		}
	}
	return d
}

// node is one flag of a chain tree.
type node struct {
	Flag     store.Flag
	Current  bool
	Depth    int // the root's is 0
	Children []*node
}

// chainIndent is how many levels a chain tree indents. Deeper levels stay
// nested lists (for assistive technology) but are drawn flush, each node
// saying its depth instead: a chain a dozen levels deep would otherwise
// leave no width for text at 360 px.
const chainIndent = 4

// Flat reports whether the node's children are drawn without indentation.
func (n *node) Flat() bool { return n.Depth >= chainIndent }

// ShowDepth reports whether the node says its depth in words, because its
// indentation no longer does.
func (n *node) ShowDepth() bool { return n.Depth > chainIndent }

type flagData struct {
	Page
	D       store.FlagDetail
	Now     time.Time
	Context string // the context object, indented
	Tree    []*node
}

func (v *views) flagData(d store.FlagDetail, now time.Time, live bool) flagData {
	fd := flagData{Page: v.page(fmt.Sprintf("Flag #%d", d.Flag.ID), live), D: d, Now: now}
	if len(d.Flag.Context) > 0 {
		var b bytes.Buffer
		if json.Indent(&b, d.Flag.Context, "", "  ") == nil {
			fd.Context = b.String()
		}
	}
	fd.Tree = chainTree(d.Chain, d.Flag.ID)
	return fd
}

// chainTree arranges a chain (ordered by id, so parents come first) as a
// tree under its root.
func chainTree(chain []store.Flag, current int64) []*node {
	byID := make(map[int64]*node, len(chain))
	var roots []*node
	for _, f := range chain {
		n := &node{Flag: f, Current: f.ID == current}
		byID[f.ID] = n
		if f.ChainOriginID != nil {
			if p := byID[*f.ChainOriginID]; p != nil {
				n.Depth = p.Depth + 1
				p.Children = append(p.Children, n)
				continue
			}
		}
		roots = append(roots, n)
	}
	return roots
}

type errorData struct {
	Page
	Status  int
	Message string
	// Clear, for a board URL with a bad parameter, is the same URL
	// without it; Agent, when the bad one is the agent (typed by hand),
	// is the agent form again, holding what was typed.
	Clear *choice
	Agent *agentForm
}

// agentForm is the board's agent filter: the value, and the other
// parameters it keeps.
type agentForm struct {
	Action string
	Value  string
	Keep   []param
}

// param is a URL parameter a form keeps.
type param struct{ Name, Value string }

// fieldParams maps the store's names for a board query's fields to the
// URL's.
var fieldParams = map[string]string{"agent": "agent", "flag_type": "type", "impact_level": "impact", "status": "status",
	"list": "list", "page": "page", "offset": "offset", "before": "before"}

// recover offers a way on from a board URL whose parameter field the store
// refused: the URL without it (and without a page of lists it changes).
func (v *views) recover(q url.Values, field string) (*choice, *agentForm) {
	name, ok := fieldParams[field]
	if !ok {
		return nil, nil
	}
	bad := q.Get(name)
	q.Del(name)
	if name != "page" && name != "offset" && name != "before" {
		q.Del("page")
		q.Del("offset")
		q.Del("before")
	}
	clear := &choice{Label: "Show the board without " + name + " " + strconv.Quote(bad), URL: v.prefix + "/"}
	if len(q) > 0 {
		clear.URL += "?" + q.Encode()
	}
	if name != "agent" {
		return clear, nil
	}
	form := &agentForm{Action: v.prefix + "/", Value: bad}
	for _, k := range []string{"type", "impact", "status", "list"} {
		if val := q.Get(k); val != "" {
			form.Keep = append(form.Keep, param{k, val})
		}
	}
	return clear, form
}

func (v *views) errorData(status int, msg string) errorData {
	return errorData{Page: v.page(http.StatusText(status), false), Status: status, Message: msg}
}

// ago says how long before now the stored time at was, roughly.
func ago(at string, now time.Time) string {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return at
	}
	return span(now.Sub(t))
}

// left says how long after now the stored time at is.
func left(at *string, now time.Time) string {
	if at == nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339, *at)
	if err != nil {
		return *at
	}
	d := t.Sub(now)
	if d <= 0 {
		return "expired"
	}
	return span(d)
}

// clock shows a stored time to a person: UTC, to the minute.
func clock(at string) string {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return at
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func span(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
