package search

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// techWords and plainWords seed the synthetic catalog's vocabulary; the rest
// is made of generated words so the vocabulary has a realistic size (tens of
// thousands of distinct words) and a Zipf-like frequency curve.
var techWords = strings.Fields(`kubernetes docker helm terraform ansible postgres mysql redis mongodb
kafka rabbitmq graphql rest grpc react vue angular svelte nextjs typescript javascript python golang
rust java kotlin swift flutter django fastapi rails laravel spring node express prometheus grafana
opentelemetry jaeger elasticsearch opensearch nginx envoy istio linkerd aws gcp azure lambda s3 ec2
cloudfront cdn oauth jwt saml sso rbac owasp xss csrf sql nosql etl airflow spark dbt snowflake
bigquery pandas numpy pytorch tensorflow llm rag embeddings vector pgvector pinecone openai
anthropic prompt agent webhook stripe paypal billing invoice subscription checkout accessibility
wcag aria seo analytics dashboard metrics logging tracing alerting incident postmortem sre slo
latency throughput cache queue scheduler cron bash shell powershell git github gitlab jenkins
argocd flux gitops ci cd pipeline build test unit integration e2e playwright cypress jest pytest
mock fixture benchmark profiling memory cpu gpu cuda firmware embedded rtos iot mqtt bluetooth
android ios mobile desktop electron wasm webassembly compiler parser lexer regex unicode i18n
migration schema index replication sharding backup restore disaster recovery compliance gdpr
hipaa soc2 audit security vulnerability pentest threat encryption tls certificate secrets vault`)

var plainWords = strings.Fields(`design build deploy optimize review write analyze monitor manage
scale secure test debug refactor migrate document plan implement integrate automate validate
configure troubleshoot maintain improve measure report architect develop support operate production
enterprise modern advanced comprehensive robust scalable reliable efficient performance quality
system service application platform infrastructure data team workflow process strategy pattern
practice standard tool framework library module component interface layer cluster environment
cloud network storage server client user customer product feature release version change issue
error failure bug fix root cause analysis insight report decision risk cost budget time`)

// syntheticCatalog returns n agents generated deterministically from seed.
func syntheticCatalog(n int, seed uint64) []*agent.Agent {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	vocab := syntheticVocab(r, 20000)
	zipf := rand.NewZipf(r, 1.1, 4, uint64(len(vocab)-1))
	word := func() string {
		if r.IntN(4) == 0 {
			return techWords[r.IntN(len(techWords))]
		}
		if r.IntN(3) == 0 {
			return plainWords[r.IntN(len(plainWords))]
		}
		return vocab[zipf.Uint64()]
	}
	phrase := func(lo, hi int) string {
		k := lo + r.IntN(hi-lo+1)
		ws := make([]string, k)
		for i := range ws {
			ws[i] = word()
		}
		return strings.Join(ws, " ")
	}
	list := func(lo, hi, wlo, whi int) []string {
		out := make([]string, lo+r.IntN(hi-lo+1))
		for i := range out {
			out[i] = phrase(wlo, whi)
		}
		return out
	}
	agents := make([]*agent.Agent, n)
	for i := range agents {
		domain := plainWords[r.IntN(len(plainWords))]
		tech := techWords[r.IntN(len(techWords))]
		a := &agent.Agent{
			Name:        fmt.Sprintf("%s.%s-%d", domain, tech, i),
			Description: "Expert " + tech + " " + domain + " specialist: " + phrase(12, 30),
			Tags:        list(0, 12, 1, 2),
			Examples:    list(0, 8, 3, 7),
		}
		if r.IntN(3) == 0 {
			a.Capabilities = list(3, 10, 4, 12)
		}
		a.Body = syntheticBody(r, phrase, a)
		agents[i] = a
	}
	return agents
}

// syntheticBody builds a markdown body of roughly 2-9 KB shaped like the
// real corpora: headings, a capability section, lists and paragraphs.
func syntheticBody(r *rand.Rand, phrase func(lo, hi int) string, a *agent.Agent) string {
	var b strings.Builder
	b.WriteString("You are " + a.Description + ".\n\n")
	b.WriteString("## Capabilities\n\n")
	for range 2 + r.IntN(5) {
		b.WriteString("### " + phrase(2, 4) + "\n\n")
		for range 3 + r.IntN(5) {
			b.WriteString("- " + phrase(4, 12) + "\n")
		}
		b.WriteString("\n")
	}
	for range 2 + r.IntN(6) {
		b.WriteString("## " + phrase(1, 3) + "\n\n" + phrase(40, 120) + ".\n\n")
		for range r.IntN(6) {
			b.WriteString("- **" + phrase(1, 3) + "**: " + phrase(5, 14) + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// syntheticVocab makes n pronounceable lowercase words.
func syntheticVocab(r *rand.Rand, n int) []string {
	onset := strings.Fields("b c d f g h j k l m n p r s t v w z br cr dr fl gr pl pr st tr sk sp")
	nucleus := strings.Fields("a e i o u ai ea io ou")
	coda := strings.Fields("n r s t l m x nd st rk ng")
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(onset[r.IntN(len(onset))])
			b.WriteString(nucleus[r.IntN(len(nucleus))])
		}
		if r.IntN(2) == 0 {
			b.WriteString(coda[r.IntN(len(coda))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
