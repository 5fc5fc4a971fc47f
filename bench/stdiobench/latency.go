package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// queries are the kind of thing a model types into search_agents: task
// descriptions, stack names, a few typos and single words.
var queries = []string{
	"kubernetes helm deployment",
	"PostgreSQL schema migration",
	"REST API endpoints Node.js",
	"JWT authentication implementation",
	"React components TypeScript",
	"docker container security hardening",
	"terraform infrastructure as code aws",
	"python data pipeline etl",
	"kuberntes ingress",
	"graphql federation",
	"security audit owasp",
	"performance profiling go service",
	"machine learning model deployment",
	"ci/cd github actions",
	"mobile app flutter",
	"database query optimization",
	"write unit tests for legacy code",
	"incident response on-call",
	"accessibility review of a web page",
	"rust",
	"refactor a large monolith into microservices",
	"prometheus grafana monitoring alerts",
	"technical documentation writer",
	"payment integration stripe",
	"vector database embeddings",
	"seo content marketing",
	"llm prompt engineering",
	"redis caching strategy",
	"compliance gdpr audit",
	"frontend performance core web vitals",
}

func searchArgs(i int) map[string]any {
	return map[string]any{"query": queries[i%len(queries)], "limit": []int{3, 5, 10}[i%3]}
}

var flagTypes = []string{"breaking_change", "new_feature", "refactor", "deprecation", "enhancement", "change", "information_request"}

// flagArgs builds a create_flag request that passes the length rules with
// realistic, varying text.
// The impact level follows the server's rules: breaking changes are at least
// medium, and high-impact flags need a target (they cannot be broadcast).
func flagArgs(source, target string, i int) map[string]any {
	ft := flagTypes[i%len(flagTypes)]
	impact := []string{"medium", "low", "high"}[i%3]
	if (impact == "low" && ft == "breaking_change") || (impact == "high" && target == "") {
		impact = "medium"
	}
	args := map[string]any{
		"flag_type":    ft,
		"source_agent": source,
		"change_description": fmt.Sprintf(
			"Benchmark change %d: the /api/v%d/orders endpoint now returns paginated results with a cursor field.", i, i%4+1),
		"action_required": fmt.Sprintf(
			"Update every caller of /api/v%d/orders to follow next_cursor until it is empty, adjust integration tests "+
				"to cover the multi-page case, and remove the old offset parameter before release %d.", i%4+1, i),
		"impact_level": impact,
	}
	if target != "" {
		args["target_agent"] = target
	}
	return args
}

// flagID digs the id out of a create_flag/lock_flag result ({flag:{id,...}}),
// keeping its JSON type so it can be sent back unchanged.
func flagID(r toolResult) (any, error) {
	p := r.payload()
	if p == nil {
		return nil, fmt.Errorf("no JSON payload in result: %.200q", r.text())
	}
	var v struct {
		Flag struct {
			ID json.RawMessage `json:"id"`
		} `json:"flag"`
	}
	if err := json.Unmarshal(p, &v); err != nil || len(v.Flag.ID) == 0 {
		return nil, fmt.Errorf("no flag.id in result: %.200q", p)
	}
	var id any
	if err := json.Unmarshal(v.Flag.ID, &id); err != nil {
		return nil, err
	}
	return id, nil
}

// lockedBy reads flag.locked_by from a lock_flag result ("" when absent).
func lockedBy(r toolResult) string {
	var v struct {
		Flag struct {
			LockedBy string `json:"locked_by"`
		} `json:"flag"`
	}
	if p := r.payload(); p != nil {
		_ = json.Unmarshal(p, &v)
	}
	return v.Flag.LockedBy
}

type latencyRow struct {
	Name        string  `json:"name"`
	Calls       int     `json:"calls"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	RespBytes   int     `json:"median_response_bytes"`
	RatioP50    float64 `json:"p50_ratio_vs_noop"`
	Target      float64 `json:"target_p50_ratio,omitempty"`
	Pass        *bool   `json:"pass,omitempty"`
	FailedCalls int     `json:"failed_calls"`
}

// latencySetup names the long-lived servers of part (b).
type latencySetup struct {
	Noop, Builtin, Corpus serverConfig
	Source, Target        string
}

// runLatency times individual calls on long-lived servers, interleaving
// noop, search (built-in and corpus catalogs), create_flag and lock_flag so
// every kind of call sees the same machine conditions.
func runLatency(s latencySetup, calls int) ([]latencyRow, error) {
	var clients []*client
	defer func() {
		for _, c := range clients {
			_ = c.close()
		}
	}()
	open := func(cfg serverConfig) (*client, error) {
		c, err := cfg.start()
		if err == nil {
			clients = append(clients, c)
		}
		return c, err
	}
	noop, err := open(s.Noop)
	if err != nil {
		return nil, err
	}
	builtin, err := open(s.Builtin)
	if err != nil {
		return nil, err
	}
	corpus, err := open(s.Corpus)
	if err != nil {
		return nil, err
	}

	type series struct {
		name   string
		target float64
		d      []time.Duration
		bytes  []int
		failed int
	}
	var (
		sNoop    = &series{name: "noop"}
		sSearchB = &series{name: "search_agents (built-in)", target: 1.5}
		sSearchC = &series{name: "search_agents (corpus)", target: 1.5}
		sCreate  = &series{name: "create_flag", target: 2}
		sLock    = &series{name: "lock_flag (fresh flag)", target: 2}
	)
	var firstErr error
	timed := func(s *series, c *client, tool string, args map[string]any, record bool) (toolResult, bool) {
		t0 := time.Now()
		r, err := c.callTool(tool, args)
		d := c.lastAt.Sub(t0)
		if err == nil && r.IsError {
			err = fmt.Errorf("%s returned isError: %s", tool, r.text())
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			s.failed++
			return r, false
		}
		if record {
			s.d = append(s.d, d)
			s.bytes = append(s.bytes, c.lastSize)
		}
		return r, true
	}

	const warmup = 20
	for i := range warmup + calls {
		rec := i >= warmup
		timed(sNoop, noop, "noop", map[string]any{}, rec)
		timed(sSearchB, builtin, "search_agents", searchArgs(i), rec)
		timed(sSearchC, corpus, "search_agents", searchArgs(i), rec)
		r, ok := timed(sCreate, builtin, "create_flag", flagArgs(s.Source, s.Target, i), rec)
		if !ok {
			continue
		}
		id, err := flagID(r)
		if err != nil {
			return nil, fmt.Errorf("create_flag: %w", err)
		}
		timed(sLock, builtin, "lock_flag", map[string]any{"flag_id": id, "agent": s.Source, "lease_seconds": 600}, rec)
		if firstErr != nil && sNoop.failed+sSearchB.failed+sSearchC.failed+sCreate.failed+sLock.failed > calls/10+5 {
			return nil, fmt.Errorf("too many failed calls; first: %w", firstErr)
		}
	}

	base := percentile(sNoop.d, 50)
	var rows []latencyRow
	for _, s := range []*series{sNoop, sSearchB, sSearchC, sCreate, sLock} {
		row := latencyRow{
			Name:        s.name,
			Calls:       len(s.d),
			P50us:       usf(percentile(s.d, 50)),
			P99us:       usf(percentile(s.d, 99)),
			RespBytes:   medianInt(s.bytes),
			FailedCalls: s.failed,
		}
		if base > 0 {
			row.RatioP50 = float64(percentile(s.d, 50)) / float64(base)
		}
		if s.target > 0 {
			row.Target = s.target
			row.Pass = boolp(s.failed == 0 && row.RatioP50 <= s.target)
		}
		rows = append(rows, row)
	}
	if firstErr != nil {
		return rows, fmt.Errorf("some calls failed; first: %w", firstErr)
	}
	return rows, nil
}

// isBusyError recognises SQLite contention leaking out to the client, as
// opposed to an ordinary "someone else holds this flag" conflict.
func isBusyError(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"sqlite_busy", "sqlite_locked", "database is locked", "database table is locked", "busy"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
