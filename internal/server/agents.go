package server

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
)

// SearchAgentsInput is the input of search_agents.
type SearchAgentsInput struct {
	Query string `json:"query"`
	Limit *int   `json:"limit,omitempty"`
}

// SearchAgentsOutput is the output of search_agents.
type SearchAgentsOutput struct {
	Query        string          `json:"query"`
	TotalMatches int             `json:"total_matches"`
	Results      []search.Result `json:"results"`
}

// GetAgentInput is the input of get_agent.
type GetAgentInput struct {
	Name string `json:"name"`
}

// AgentOutput is the output of get_agent: everything needed to act as the agent.
type AgentOutput struct {
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Model        string   `json:"model"`
	Color        string   `json:"color"`
	Tools        []string `json:"tools"`
	Tags         []string `json:"tags"`
	Capabilities []string `json:"capabilities"`
	Examples     []string `json:"examples"`
	Aliases      []string `json:"aliases"`
	Source       string   `json:"source"`
	Body         string   `json:"body"`
}

const (
	searchLimitDefault = 5
	searchLimitMax     = 50
)

func registerAgentTools(s *server.MCPServer, svc *Service) {
	addTool(s, svc, mcp.NewTool("search_agents",
		mcp.WithDescription("Find the specialist agent for a task. Describe the task in plain words "+
			"(\"tune slow PostgreSQL queries\", \"k8s helm chart\"); typos and abbreviations are fine. "+
			"Returns agents ranked best first, each with a score and the reasons it matched. "+
			"Hand the work (or a flag) to the top result, then load it with get_agent."),
		mcp.WithString("query", mcp.Required(), mcp.MinLength(1),
			mcp.Description("The task or topic, in plain words.")),
		mcp.WithInteger("limit", mcp.Min(1), mcp.Max(searchLimitMax), mcp.DefaultNumber(searchLimitDefault),
			mcp.Description("How many agents to return (1-50, default 5).")),
		outputSchema[SearchAgentsOutput](),
		hints("Search agents", true, false, true),
	), svc.SearchAgents)

	addTool(s, svc, mcp.NewTool("get_agent",
		mcp.WithDescription("Load an agent's full identity (its instructions body plus metadata) so you can act as it. "+
			"Accepts a handle such as \"@ops.containers\" or \"ops.containers\", case-insensitive."),
		mcp.WithString("name", mcp.Required(), mcp.MinLength(1),
			mcp.Description("Agent handle, e.g. \"@database.postgres\".")),
		outputSchema[AgentOutput](),
		hints("Get agent", true, false, true),
	), svc.GetAgent)
}

// SearchAgents ranks the catalog for a task.
func (svc *Service) SearchAgents(_ context.Context, in SearchAgentsInput) (SearchAgentsOutput, error) {
	query, err := requireText("query", in.Query)
	if err != nil {
		return SearchAgentsOutput{}, err
	}
	limit, err := intInRange("limit", in.Limit, searchLimitDefault, 1, searchLimitMax)
	if err != nil {
		return SearchAgentsOutput{}, err
	}
	results, total := svc.Search.Search(query, limit)
	if results == nil {
		results = []search.Result{}
	}
	return SearchAgentsOutput{Query: query, TotalMatches: total, Results: results}, nil
}

// GetAgent returns one agent's identity.
func (svc *Service) GetAgent(ctx context.Context, in GetAgentInput) (AgentOutput, error) {
	a, err := svc.lookup("name", in.Name)
	if err != nil {
		return AgentOutput{}, err
	}
	_, body, err := svc.agentText(ctx, a)
	if err != nil {
		return AgentOutput{}, err
	}
	return AgentOutput{
		Name:         a.Handle(),
		Description:  a.Description,
		Model:        a.Model,
		Color:        a.Color,
		Tools:        nonNil(a.Tools),
		Tags:         nonNil(a.Tags),
		Capabilities: nonNil(a.Capabilities),
		Examples:     nonNil(a.Examples),
		Aliases:      nonNil(a.Aliases),
		Source:       a.Source,
		Body:         body,
	}, nil
}

// agentText reads a's file text and body. One that cannot be read any more
// (a catalog from the start-up cache reads texts when first asked, and the
// file may have changed since: see agent.Agent.Text) is logged in full and
// reported without the file's path; the reload that follows a change
// brings the new version.
func (svc *Service) agentText(ctx context.Context, a *agent.Agent) (raw, body string, err error) {
	raw, body, err = a.Text()
	if err != nil {
		svc.Log.WarnContext(ctx, "agent text unavailable", "agent", a.Handle(), "err", err)
		return "", "", &Error{Code: CodeBusy, Field: "name", Message: a.Handle() +
			": its file changed since the catalog was loaded and is being reloaded; retry in a moment"}
	}
	return raw, body, nil
}

// lookup finds an agent by handle, or explains why not: a malformed handle
// names the rule, an unknown one suggests close names.
func (svc *Service) lookup(field, value string) (*agent.Agent, error) {
	v, err := requireText(field, value)
	if err != nil {
		return nil, err
	}
	name, err := agent.Normalize(v)
	if err != nil {
		return nil, invalidf(field, "%s: %v", field, err)
	}
	if a, ok := svc.Catalog.Get(name); ok {
		return a, nil
	}
	msg := field + ": no agent named \"@" + name + "\" in the catalog"
	if near := svc.Catalog.Suggest(name, 3); len(near) > 0 {
		msg += "; did you mean " + strings.Join(near, ", ") + "?"
	} else {
		msg += "; use search_agents to find one"
	}
	return nil, notFoundf(field, "%s", msg)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
