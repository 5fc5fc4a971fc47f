package search

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// fixture is a small hand-written catalog for behaviour tests.
func fixture() []*agent.Agent {
	return []*agent.Agent{
		{
			Name:         "ops.containers",
			Description:  "Container orchestration expert for production Kubernetes clusters",
			Tags:         []string{"kubernetes", "docker", "helm"},
			Capabilities: []string{"Helm charts", "Kubernetes clusters"},
			Examples:     []string{"deploying services to a cluster"},
			Body:         "# Containers\n\nRuns workloads on Kubernetes.\n",
		},
		{
			Name:        "kubernetes-specialist",
			Description: "Use this agent to design and troubleshoot Kubernetes clusters.",
			Body:        "You are a Kubernetes specialist.\n\n## Capabilities\n\n### Cluster upgrades\n### Workload security\n",
		},
		{
			Name:        "database.postgres",
			Description: "PostgreSQL performance and replication expert",
			Tags:        []string{"postgres", "postgresql", "replication"},
			Body:        "Tunes PostgreSQL queries and indexes.\n",
		},
		{
			Name:        "terraform-engineer",
			Description: "Builds infrastructure as code with Terraform modules",
			Aliases:     []string{"tf"},
			Body:        "Terraform state, modules and providers.\n",
		},
		{
			Name:        "frontend.react",
			Description: "React component architect",
			Tags:        []string{"react", "javascript"},
			Body:        "Builds React applications with hooks.\n",
		},
		{
			Name:        "accessibility-expert",
			Description: "Makes interfaces usable with screen readers; WCAG audits",
			Body:        "Accessibility reviews.\n",
		},
	}
}

func names(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestSearchBasics(t *testing.T) {
	ix := NewIndex(fixture())
	res, total := ix.Search("kubernetes", 10)
	if total != 2 || len(res) != 2 {
		t.Fatalf("kubernetes: got %d results of %d, want 2 of 2: %q", len(res), total, names(res))
	}
	for i, r := range res {
		if r.Rank != i+1 {
			t.Errorf("result %d has rank %d", i, r.Rank)
		}
		if r.Score <= 0 || r.Score != float64(int64(r.Score*1000+0.5))/1000 {
			t.Errorf("%s: score %v is not positive with 3 decimals", r.Name, r.Score)
		}
		if i > 0 && r.Score > res[i-1].Score {
			t.Errorf("scores not descending: %v", res)
		}
		if r.Description == "" || !strings.HasPrefix(r.Name, "@") {
			t.Errorf("result %+v lacks handle or description", r)
		}
	}
}

func TestSearchEmptyAndLimits(t *testing.T) {
	ix := NewIndex(fixture())
	for _, q := range []string{"", "   ", "!!! ---", "the and of", "12345"} {
		if res, total := ix.Search(q, 10); len(res) != 0 || total != 0 {
			t.Errorf("Search(%q) = %d results, total %d; want none", q, len(res), total)
		}
	}
	if res, total := ix.Search("kubernetes", 1); len(res) != 1 || total != 2 {
		t.Errorf("limit 1: got %d results, total %d; want 1, 2", len(res), total)
	}
	if res, total := ix.Search("kubernetes", 0); len(res) != 0 || total != 2 {
		t.Errorf("limit 0: got %d results, total %d; want 0, 2", len(res), total)
	}
	if res, _ := ix.Search("kubernetes", -5); len(res) != 0 {
		t.Errorf("negative limit returned %d results", len(res))
	}
	if res, total := NewIndex(nil).Search("kubernetes", 5); len(res) != 0 || total != 0 {
		t.Errorf("empty index returned results")
	}
	var nilIx *Index
	if res, _ := nilIx.Search("kubernetes", 5); len(res) != 0 {
		t.Errorf("nil index returned results")
	}
	long := strings.Repeat("kubernetes postgres react ", 500)
	if res, _ := ix.Search(long, 50); len(res) == 0 {
		t.Errorf("long query matched nothing")
	}
}

func TestSearchExactNameFirst(t *testing.T) {
	ix := NewIndex(fixture())
	tests := []struct{ query, want string }{
		{"@ops.containers", "@ops.containers"},
		{"ops.containers", "@ops.containers"},
		{"OPS.Containers", "@ops.containers"},
		// Named inside a request, and by alias.
		{"ask @database.postgres about kubernetes clusters", "@database.postgres"},
		{"tf", "@terraform-engineer"},
		// A name whose words are weak still wins when named exactly.
		{"kubernetes-specialist", "@kubernetes-specialist"},
		// Misspelt names.
		{"@ops.containrs", "@ops.containers"},
		{"kubernetes-specalist", "@kubernetes-specialist"},
		// A name written with spaces for its separators, misspelt too.
		{"ops containers", "@ops.containers"},
		{"Kubernetes Specialist", "@kubernetes-specialist"},
		{"terraform engineer", "@terraform-engineer"},
		{"kubernetes specalist", "@kubernetes-specialist"},
	}
	for _, tt := range tests {
		res, _ := ix.Search(tt.query, 5)
		if len(res) == 0 || res[0].Name != tt.want {
			t.Errorf("Search(%q) = %q, want %s first", tt.query, names(res), tt.want)
		}
	}
}

// TestSearchWordForms checks that typos, abbreviations, synonyms and
// inflections find the right agent first and say how in its reasons.
func TestSearchWordForms(t *testing.T) {
	ix := NewIndex(fixture())
	tests := []struct{ query, want, reason string }{
		{"kubernets", "@kubernetes-specialist", "typo: kubernets→kubernetes"},
		{"postgress", "@database.postgres", "typo: postgress→postgres"},
		{"terafrom modules", "@terraform-engineer", "typo: terafrom→terraform"},
		{"k8s", "@kubernetes-specialist", "synonym: k8s→kubernetes"},
		{"pg replication", "@database.postgres", "synonym: pg→postgres"},
		{"iac", "@terraform-engineer", "related: iac → terraform"},
		{"a11y", "@accessibility-expert", "synonym: a11y→accessibility"},
		{"deploy a service", "@ops.containers", "stem: deploy→deploying"},
	}
	for _, tt := range tests {
		res, _ := ix.Search(tt.query, 5)
		if len(res) == 0 || res[0].Name != tt.want {
			t.Errorf("Search(%q) = %q, want %s first", tt.query, names(res), tt.want)
			continue
		}
		if !slices.Contains(res[0].Reasons, tt.reason) {
			t.Errorf("Search(%q) reasons %q lack %q", tt.query, res[0].Reasons, tt.reason)
		}
	}
}

// TestSearchShortTypoOneWord checks that a short misspelling whose near
// spellings are forms of one word ("dockr": dock, docker) is corrected, to
// the word's usual spelling.
func TestSearchShortTypoOneWord(t *testing.T) {
	ix := NewIndex(append(fixture(),
		&agent.Agent{Name: "harbor.pilot", Description: "Brings ships to the dock"},
		&agent.Agent{Name: "image.builder", Description: "Builds Docker images", Body: "Docker layers and Docker caches."}))
	res, _ := ix.Search("dockr", 5)
	if len(res) == 0 || !slices.Contains(res[0].Reasons, "typo: dockr→docker") || !slices.Contains(names(res), "@image.builder") {
		t.Errorf("Search(dockr) = %v, want it read as docker", res)
	}
}

func TestSearchReasons(t *testing.T) {
	ix := NewIndex(fixture())
	res, _ := ix.Search("helm kubernetes", 5)
	if len(res) == 0 || res[0].Name != "@ops.containers" {
		t.Fatalf("got %q, want @ops.containers first", names(res))
	}
	r := res[0].Reasons
	for _, want := range []string{"tag: helm", "capability: helm", "tag: kubernetes", "capability: kubernetes"} {
		if !slices.Contains(r, want) {
			t.Errorf("reasons %q lack %q", r, want)
		}
	}
	if len(r) > maxReasons {
		t.Errorf("%d reasons, want at most %d", len(r), maxReasons)
	}
	seen := map[string]bool{}
	for _, s := range r {
		if seen[s] {
			t.Errorf("duplicate reason %q", s)
		}
		seen[s] = true
	}
	// Exact names explain themselves first.
	res, _ = ix.Search("@kubernetes-specialist", 1)
	if len(res) != 1 || res[0].Reasons[0] != "name: kubernetes-specialist" {
		t.Errorf("exact name reasons = %q", res[0].Reasons)
	}
	// Every result of a broad query has at least one reason.
	res, _ = ix.Search("clusters react postgres", 10)
	for _, r := range res {
		if len(r.Reasons) == 0 {
			t.Errorf("%s has no reasons", r.Name)
		}
	}
}

// TestSearchTieBreak gives identical agents different names: they score the
// same and must come back in name order, whatever the input order.
func TestSearchTieBreak(t *testing.T) {
	mk := func(name string) *agent.Agent {
		return &agent.Agent{Name: name, Description: "Kafka streaming pipelines", Body: "Kafka."}
	}
	in := []*agent.Agent{mk("zeta.stream"), mk("alpha.stream"), mk("mid.stream")}
	for range 3 {
		ix := NewIndex(in)
		res, total := ix.Search("kafka", 10)
		want := []string{"@alpha.stream", "@mid.stream", "@zeta.stream"}
		if got := names(res); !slices.Equal(got, want) || total != 3 {
			t.Fatalf("got %q (total %d), want %q", got, total, want)
		}
		if res[0].Score != res[2].Score {
			t.Errorf("identical agents scored %v and %v", res[0].Score, res[2].Score)
		}
		slices.Reverse(in)
	}
}

func TestSearchDeterministic(t *testing.T) {
	agents := syntheticCatalog(300, 3)
	a, b := NewIndex(agents), NewIndex(slices.Clone(agents))
	for _, q := range benchQueries(agents, 60) {
		ra, ta := a.Search(q, 20)
		rb, tb := b.Search(q, 20)
		if fmt.Sprint(ra) != fmt.Sprint(rb) || ta != tb {
			t.Fatalf("query %q differs between identical indexes", q)
		}
		if again, _ := a.Search(q, 20); fmt.Sprint(again) != fmt.Sprint(ra) {
			t.Fatalf("query %q differs between runs", q)
		}
	}
}

func TestSearchConcurrent(t *testing.T) {
	agents := syntheticCatalog(200, 5)
	ix := NewIndex(agents)
	queries := benchQueries(agents, 40)
	want := make([]string, len(queries))
	for i, q := range queries {
		res, _ := ix.Search(q, 10)
		want[i] = fmt.Sprint(res)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range queries {
				j := (i + g) % len(queries)
				if res, _ := ix.Search(queries[j], 10); fmt.Sprint(res) != want[j] {
					t.Errorf("query %q changed under concurrency", queries[j])
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzSearch drives the query path (parsing, synonym and problem-lexicon
// phrases, typo correction, names, scoring, reasons) with arbitrary queries
// and limits.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"kubernetes", "@ops.containers", "ci/cd c++ .net", "kubernets postgress", "", "\x00\xff@@",
		"infrastructure as code", "we think someone broke into our servers", "our cloud bill doubled and the servers sit idle",
		"newsletters land in the spam folders", "leaks leaked leaking", "PERF-1: p95 went from 200ms to 3s after the release; suspect N+1",
		"a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a", "@@ops..containers--", "ünïcödé 日本語 slow"} {
		f.Add(s, 5)
	}
	f.Add("hacked", -1)
	f.Add("slow page", 1<<30)
	agents := append(fixture(),
		&agent.Agent{Name: "security.incident", Description: "Security incident response, intrusion forensics and breach containment", Tags: []string{"security", "incident response"}},
		&agent.Agent{Name: "cloud.cost", Description: "Cloud cost optimization, FinOps and rightsizing", Capabilities: []string{"Cost optimization"}},
		&agent.Agent{Name: "email.delivery", Description: "Email deliverability: SPF, DKIM, DMARC and spam placement", Aliases: []string{"deliverability"}},
	)
	ix := NewIndex(agents)
	labels := []string{"name: ", "alias: ", "tag: ", "capability: ", "example: ", "description: ", "heading: ", "body: ", "typo: ", "synonym: ", "related: ", "stem: "}
	f.Fuzz(func(t *testing.T, q string, limit int) {
		res, total := ix.Search(q, limit)
		if len(res) > max(limit, 0) || len(res) > total || total > len(agents) {
			t.Fatalf("Search(%q, %d): %d results, total %d", q, limit, len(res), total)
		}
		seen := make(map[string]bool)
		for i, r := range res {
			if r.Rank != i+1 || r.Score <= 0 || len(r.Reasons) > maxReasons || seen[r.Name] || !strings.HasPrefix(r.Name, "@") {
				t.Fatalf("Search(%q): bad result %+v", q, r)
			}
			seen[r.Name] = true
			if i > 0 && r.Score > res[i-1].Score {
				t.Fatalf("Search(%q): scores not descending", q)
			}
			for _, reason := range r.Reasons {
				if !slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(reason, l) }) {
					t.Fatalf("Search(%q): reason %q has no known label", q, reason)
				}
			}
		}
		again, total2 := ix.Search(q, limit)
		if total2 != total || fmt.Sprint(again) != fmt.Sprint(res) {
			t.Fatalf("Search(%q, %d) differs between two calls", q, limit)
		}
	})
}

// "go" is the language unless it is a verb of a phrase ("could go wrong"):
// dropped as request filler, "go" alone found nothing.
func TestSearchGoTheLanguage(t *testing.T) {
	ix := NewIndex(append(fixture(), &agent.Agent{
		Name:        "backend.go",
		Description: "Writes Go services: modules, goroutines and profiling",
		Tags:        []string{"go", "golang"},
		Body:        "Go backend work.\n",
	}))
	for _, q := range []string{"go", "Go", "go modules", "review my Go code"} {
		res, _ := ix.Search(q, 3)
		if len(res) == 0 || res[0].Name != "@backend.go" {
			t.Errorf("%q: %q, want @backend.go first", q, names(res))
		}
	}
	for _, q := range []string{"what could go wrong with our kubernetes cluster", "the pages go blank"} {
		res, _ := ix.Search(q, 10)
		for _, r := range res {
			if r.Name == "@backend.go" {
				t.Errorf("%q: @backend.go found (%v): go here is a verb", q, r.Reasons)
			}
		}
	}
}

// A synonym left with one word once its stopwords are gone ("log in",
// "on call") is not looked for: it matched that word anywhere and said
// it found the phrase ("tag: log in" on an agent tagged logging).
func TestSearchPhrasesOfStopwordsAreNotShortened(t *testing.T) {
	ix := NewIndex(append(fixture(), &agent.Agent{
		Name:        "ops.logs",
		Description: "Collects and searches logs",
		Tags:        []string{"log", "logging"},
		Body:        "Log pipelines.\n",
	}))
	res, _ := ix.Search("sign in", 10)
	for _, r := range res {
		if r.Name == "@ops.logs" {
			t.Errorf("sign in: @ops.logs found with %v", r.Reasons)
		}
	}
}

// The 8-reason cap leaves room for the line saying how a word was read:
// a result found through a synonym says so even when other words filled
// the fields' reasons.
func TestReasonsKeepTheExpansionLine(t *testing.T) {
	ix := NewIndex(append(fixture(), &agent.Agent{
		Name:         "team.many",
		Description:  "Alphaword, betaword and gammaword work, on kubernetes",
		Tags:         []string{"alphaword", "betaword", "gammaword"},
		Capabilities: []string{"alphaword", "betaword", "gammaword"},
		Examples:     []string{"alphaword betaword gammaword"},
		Body:         "Alphaword betaword gammaword.\n",
	}))
	res, _ := ix.Search("alphaword betaword gammaword k8s", 1)
	if len(res) == 0 || res[0].Name != "@team.many" {
		t.Fatalf("results %q", names(res))
	}
	if !slices.Contains(res[0].Reasons, "synonym: k8s→kubernetes") {
		t.Errorf("reasons %q lack the synonym that matched", res[0].Reasons)
	}
}

// "reactjs", "vuejs": a JavaScript library's name run together with "js"
// reads as Name.js, which agents write and the index holds as two words;
// it found nothing ("reactjs hooks" ranked an agent about Git hooks first).
func TestSearchJSLibraryNames(t *testing.T) {
	ix := NewIndex(append(fixture(),
		&agent.Agent{Name: "frontend.vue", Description: "Builds Vue.js single-page applications", Body: "Vue.js work.\n"},
		&agent.Agent{Name: "ops.git", Description: "Git workflows: hooks, branches and merges", Body: "Git hooks.\n"},
		&agent.Agent{Name: "web.ui", Description: "React.js components and hooks", Body: "React.js hooks.\n"},
	))
	for q, want := range map[string]string{"vuejs": "@frontend.vue", "vue.js": "@frontend.vue", "reactjs hooks": "@web.ui"} {
		res, _ := ix.Search(q, 3)
		if len(res) == 0 || res[0].Name != want {
			t.Errorf("%q: %q, want %s first", q, names(res), want)
		}
	}
	res, _ := ix.Search("vuejs", 1)
	if len(res) == 0 || !slices.Contains(res[0].Reasons, "synonym: vuejs→vue.js") {
		t.Errorf("vuejs: reasons %v, want the reading shown", res)
	}
}

// Two words run together ("springboot") read as both words when the index
// has no such word and no spelling near it; a misspelling that stems like
// one word ("enginer": engine) also reads as a word as near ("engineer").
func TestSearchRunTogetherAndEquallyNearWords(t *testing.T) {
	ix := NewIndex(append(fixture(),
		&agent.Agent{Name: "backend.java", Description: "Builds Spring Boot services in Java", Body: "Spring Boot work.\n"},
		&agent.Agent{Name: "ops.shoes", Description: "Boot camp for new hires; spring cleaning of the office", Body: "Shoes.\n"},
		&agent.Agent{Name: "game.engine", Description: "Game engine internals", Body: "Rendering engine.\n"},
		&agent.Agent{Name: "team.platform", Description: "Platform engineer for internal tooling", Body: "Platform work.\n"},
	))
	for _, tc := range []struct {
		query, want, reason string
	}{
		{"springboot", "@backend.java", "synonym: springboot→spring boot"},
		{"enginer platform", "@team.platform", "typo: enginer→engineer"},
	} {
		res, _ := ix.Search(tc.query, 3)
		if len(res) == 0 || res[0].Name != tc.want || !slices.Contains(res[0].Reasons, tc.reason) {
			t.Errorf("%q: %q (reasons %v), want %s first, read as %q", tc.query, names(res), res, tc.want, tc.reason)
		}
	}
	if res, _ := ix.Search("enginer", 5); !slices.Contains(names(res), "@game.engine") {
		t.Errorf("enginer: %q, want the stem's reading (engine) kept too", names(res))
	}
}

// Stemming cut "authority" and "author" down to authentication's "auth",
// and "localization" to "local": "oauth" ranked an SEO authority builder
// first, and "i18n" a Docker agent for its "local container setups".
func TestSearchStemsKeepUnrelatedWordsApart(t *testing.T) {
	ix := NewIndex(append(fixture(),
		&agent.Agent{Name: "seo.authority", Description: "Builds domain authority and backlinks for search rankings", Body: "Authority.\n"},
		&agent.Agent{Name: "service.login", Description: "OAuth and OpenID Connect login, token handling and auth flows", Body: "Auth.\n"},
		&agent.Agent{Name: "ops.boxes", Description: "Local container setups with Docker Compose", Body: "Local development.\n"},
		&agent.Agent{Name: "web.i18n", Description: "Localization of web apps: translations, plural rules, locales", Body: "Localization.\n"},
	))
	for q, want := range map[string]string{"auth": "@service.login", "oauth": "@service.login", "localization": "@web.i18n"} {
		res, _ := ix.Search(q, 5)
		if len(res) == 0 || res[0].Name != want {
			t.Errorf("%q: %q, want %s first", q, names(res), want)
		}
		for _, r := range res {
			if r.Name == "@seo.authority" || r.Name == "@ops.boxes" {
				t.Errorf("%q matched %s: %v", q, r.Name, r.Reasons)
			}
		}
	}
}

// "SQL injection" is a security problem, not SQL work: the SQL specialist,
// matched on "sql" alone, ranked first.
func TestSearchSQLInjectionIsSecurity(t *testing.T) {
	ix := NewIndex(append(fixture(),
		&agent.Agent{Name: "lang.sql", Description: "Writes and tunes SQL queries, joins and window functions", Body: "SQL.\n"},
		&agent.Agent{Name: "sec.appsec", Description: "Application security: OWASP Top 10, vulnerability reviews, input validation", Body: "Security reviews.\n"},
	))
	if res, _ := ix.Search("SQL injection", 3); len(res) == 0 || res[0].Name != "@sec.appsec" {
		t.Errorf("SQL injection: %q, want @sec.appsec first", names(res))
	}
}

// A name typed with spaces for its separators names the agent, even when
// another agent says its words more often: "test writer" ranked a team's
// own test.writer sixth, under agents whose tags and bodies said "test".
func TestSearchNameWrittenWithSpaces(t *testing.T) {
	ix := NewIndex([]*agent.Agent{
		{Name: "test.writer", Description: "Override of the team's writer, for Go table tests.", Body: "Body\n"},
		{Name: "test.unit", Description: "Writes unit tests and test plans; test doubles, test data, test coverage.",
			Tags: []string{"test", "testing", "unit test"}, Examples: []string{"write a test for this parser"}, Body: "Tests. Testing. Writer of tests.\n"},
		{Name: "code-reviewer", Description: "Expert code review specialist. Proactively reviews code."},
		{Name: "security.audit", Description: "Reviews code for vulnerabilities: a security review of every change.",
			Aliases: []string{"review"}, Capabilities: []string{"code review", "review"}, Examples: []string{"review this code"}},
	})
	for _, tt := range []struct{ query, want string }{
		{"test writer", "@test.writer"},
		{"code reviewer", "@code-reviewer"},
		{"code reveiwer", "@code-reviewer"},
	} {
		if res, _ := ix.Search(tt.query, 5); len(res) == 0 || res[0].Name != tt.want {
			t.Errorf("Search(%q) = %q, want %s first", tt.query, names(res), tt.want)
		}
	}
}

// Reasons name a word as the agent writes it in its name and description,
// not as most of the catalog writes its stem: "description: composables"
// was shown for an agent whose description says "compose".
func TestReasonsUseTheAgentsOwnSpelling(t *testing.T) {
	ix := NewIndex([]*agent.Agent{
		{Name: "ops.docker", Description: "Docker compose specialist for local stacks."},
		{Name: "frontend.vue", Description: "Composables, composables and more composables.", Tags: []string{"composables"}},
		{Name: "csv.helper", Description: "Fast csv parsing and cleanup."},
		{Name: "lang.tools", Description: "Writes parsers; parsers for every format.", Tags: []string{"parsers"}},
		{Name: "lang.go", Description: "Writes and reviews Go code."},
		{Name: "qa.reviewer", Description: "Review, review, review: every review counts.", Tags: []string{"review"}},
	})
	for _, tt := range []struct{ query, agent, want, notWant string }{
		{"docker compose", "@ops.docker", "description: compose", "composables"},
		{"csv parse", "@csv.helper", "stem: parse→parsing", "parsers"},
		// A spelling inside a longer word is not the agent's own.
		{"reviewing", "@lang.go", "description: reviews", "description: review;"},
	} {
		res, _ := ix.Search(tt.query, 5)
		for _, r := range res {
			if r.Name != tt.agent {
				continue
			}
			got := strings.Join(r.Reasons, "; ") + ";"
			if !slices.Contains(r.Reasons, tt.want) || strings.Contains(got, tt.notWant) {
				t.Errorf("Search(%q): %s reasons %q, want %q and no %q", tt.query, tt.agent, r.Reasons, tt.want, tt.notWant)
			}
		}
	}
}

// A phrase whose words a description holds apart is not shown as the
// phrase: the built-in AWS agent's description says "Designs and operates
// systems", not "design system".
func TestReasonsListAPhrasesWordsApart(t *testing.T) {
	ix := NewIndex(loadBuiltins(t))
	res, _ := ix.Search("web design", 5)
	for _, r := range res {
		if r.Name != "@cloud.aws" {
			continue
		}
		if !slices.Contains(r.Reasons, "description: designs, systems") || slices.Contains(r.Reasons, "description: design system") {
			t.Errorf("@cloud.aws reasons %q, want \"description: designs, systems\"", r.Reasons)
		}
		return
	}
	t.Fatalf("@cloud.aws not among %q", names(res))
}
