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
		// line is one line of agent text: control and format characters
		// (terminal escapes, bidi overrides, zero-width) removed and long
		// text cut. html/template does the HTML escaping.
		"line":  func(s string) string { return flagtext.Line(s, 160) },
		"clean": flagtext.Clean,
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
	// Active lists the filters in force, each with a link removing it.
	Active []choice
	// More links each impact group to the page of that impact alone.
	More map[string]string
}

func (v *views) boardData(sum store.BoardSummary, live bool) boardData {
	now, _ := time.Parse(time.RFC3339, sum.Now)
	d := boardData{Page: v.page("Flag board", live), Sum: sum, Now: now}
	q := sum.Query
	cur := map[string]string{"agent": q.Agent, "type": q.FlagType, "impact": q.ImpactLevel, "status": q.Status}
	if cur["status"] == "all" {
		cur["status"] = ""
	}
	link := func(name, value string) string {
		vals := url.Values{}
		for k, v := range cur {
			if v != "" && k != name {
				vals.Set(k, v)
			}
		}
		if value != "" {
			vals.Set(name, value)
		}
		if len(vals) == 0 {
			return v.prefix + "/"
		}
		return v.prefix + "/?" + vals.Encode()
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
	d.More = map[string]string{}
	for _, impact := range store.ImpactLevels {
		d.More[impact] = link("impact", impact)
	}
	for _, name := range []string{"agent", "status", "impact", "type"} {
		if cur[name] != "" {
			d.Active = append(d.Active, choice{Label: name + ": " + cur[name], URL: link(name, "")})
		}
	}
	if len(d.Active) > 0 {
		d.Title = "Flag board (filtered)"
	}
	return d
}

// node is one flag of a chain tree.
type node struct {
	Flag     store.Flag
	Current  bool
	Children []*node
}

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
