package server

import (
	"bytes"
	"context"
	"fmt"
	"text/template"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/prompts"
)

// promptInboxLimit bounds how many pending flags a prompt shows; the rest are
// one get_agent_flags call away.
const promptInboxLimit = 20

var agentPrompt = template.Must(template.New("agent").Funcs(template.FuncMap{
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}).Parse(prompts.AgentTemplate))

type promptData struct {
	Handle, Body, Task string
	Flags              []store.Flag
	FlagsError         string
}

func registerPrompts(s *server.MCPServer, svc *Service) {
	all := svc.Catalog.All()
	list := make([]server.ServerPrompt, 0, len(all))
	for _, a := range all {
		list = append(list, svc.serverPrompt(a))
	}
	s.AddPrompts(list...)
}

func (svc *Service) serverPrompt(a *agent.Agent) server.ServerPrompt {
	return server.ServerPrompt{
		Prompt: mcp.NewPrompt(a.Name,
			mcp.WithPromptDescription(a.Description),
			mcp.WithArgument("task", mcp.ArgumentDescription("Optional: the task to start on once the identity is loaded.")),
		),
		Handler: svc.promptHandler(a),
	}
}

func (svc *Service) promptHandler(a *agent.Agent) server.PromptHandlerFunc {
	return func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		text, err := svc.RenderPrompt(ctx, a, req.Params.Arguments["task"])
		if err != nil {
			return nil, err
		}
		return mcp.NewGetPromptResult(a.Description, []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
		}), nil
	}
}

// RenderPrompt wraps an agent's identity, its pending flags and an optional
// task into the prompt text. A flag store that cannot be read does not stop
// the identity from loading: the prompt says so and points at the tool.
func (svc *Service) RenderPrompt(ctx context.Context, a *agent.Agent, task string) (string, error) {
	data := promptData{Handle: a.Handle(), Body: a.Body, Task: task}
	if svc.Flags != nil {
		flags, err := svc.Flags.AgentFlags(ctx, store.AgentFlagsQuery{
			Agent: a.Handle(), Status: "pending", IncludeLocked: true, Limit: promptInboxLimit,
		})
		if err != nil {
			svc.Log.WarnContext(ctx, "prompt: reading flags failed", "agent", a.Handle(), "err", err)
			data.FlagsError = "flag store unavailable"
		}
		data.Flags = flags
	}
	var buf bytes.Buffer
	if err := agentPrompt.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("render prompt for %s: %w", a.Handle(), err)
	}
	return buf.String(), nil
}
