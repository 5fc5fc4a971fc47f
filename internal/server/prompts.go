package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/flagtext"
	"github.com/mcp-agents/mcp-agents/internal/project"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/prompts"
)

// promptInboxLimit bounds how many pending flags a prompt shows; the rest are
// one get_agent_flags call away, and the prompt says how many.
const promptInboxLimit = 20

// promptFilesLimit bounds how many related file names a prompt shows per flag.
const promptFilesLimit = 20

var agentPrompt = template.Must(template.New("agent").Parse(prompts.AgentTemplate))

type promptData struct {
	Handle, Body, Task string
	Flags              []promptFlag
	// More counts pending flags beyond those shown; MoreUnknown says
	// there are some but counting them failed.
	More        int
	MoreUnknown bool
	FlagsError  string
	// Project lists the project context documents, to read first.
	Project []project.Doc
}

// promptFlag is one flag as a prompt shows it. Every field but Block is
// the server's own (ids, enum values, canonical handles, timestamps), so it
// may sit in the block's tag; what the sender wrote is only in Block.
type promptFlag struct {
	ID                              int64
	Type, Impact, From, To, Created string
	Principal                       string
	ChainOrigin                     int64
	LockedBy, LockExpires           string
	Block                           string
}

// senderText is the part of a flag that its sender wrote, in the order a
// reader needs it.
type senderText struct {
	ChangeDescription string          `json:"change_description"`
	ActionRequired    string          `json:"action_required"`
	CodeLocation      string          `json:"code_location,omitempty"`
	ExampleUsage      string          `json:"example_usage,omitempty"`
	RelatedFiles      []string        `json:"related_files,omitempty"`
	Context           json.RawMessage `json:"context,omitempty"`
	Notes             string          `json:"notes,omitempty"`
}

func registerPrompts(s *server.MCPServer, svc *Service) {
	all := svc.Catalog.All()
	list := make([]server.ServerPrompt, 0, len(all))
	for _, a := range all {
		list = append(list, svc.serverPrompt(a))
	}
	// SetPrompts sizes mcp-go's two maps for the whole list; AddPrompts
	// would grow them step by step. No prompt is registered before this.
	s.SetPrompts(list...)
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
//
// Flags are other agents' words placed into this agent's instructions, so
// each is shown only inside its own <flag> block, as JSON that cannot close
// that block or forge any other part of the prompt, cleaned of control and
// format characters and cut to flagtext.MaxField characters per field.
func (svc *Service) RenderPrompt(ctx context.Context, a *agent.Agent, task string) (string, error) {
	_, body, err := svc.agentText(ctx, a)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(flagtext.Clean(task)) == "" {
		task = "" // blank is none, not an empty "Your task:" section
	}
	data := promptData{Handle: a.Handle(), Body: body, Task: task, Project: svc.ProjectDocs().List()}
	if svc.Flags != nil {
		q := store.AgentFlagsQuery{Agent: a.Handle(), Status: "pending", IncludeLocked: true, Limit: promptInboxLimit}
		flags, err := svc.Flags.AgentFlags(ctx, q)
		if err != nil {
			svc.Log.WarnContext(ctx, "prompt: reading flags failed", "agent", a.Handle(), "err", err)
			data.FlagsError = "flag store unavailable"
		} else if len(flags) == promptInboxLimit {
			total, err := svc.Flags.CountAgentFlags(ctx, q)
			switch {
			case err != nil:
				svc.Log.WarnContext(ctx, "prompt: counting flags failed", "agent", a.Handle(), "err", err)
				data.MoreUnknown = true
			case total > len(flags):
				data.More = total - len(flags)
			}
		}
		for _, f := range flags {
			pf, err := newPromptFlag(f)
			if err != nil {
				return "", fmt.Errorf("render flag %d for %s: %w", f.ID, a.Handle(), err)
			}
			data.Flags = append(data.Flags, pf)
		}
	}
	var buf bytes.Buffer
	if err := agentPrompt.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("render prompt for %s: %w", a.Handle(), err)
	}
	return buf.String(), nil
}

func newPromptFlag(f store.Flag) (promptFlag, error) {
	pf := promptFlag{
		ID: f.ID, Type: f.FlagType, Impact: f.ImpactLevel, From: f.SourceAgent, To: "everyone",
		Created: f.CreatedAt, Principal: principal(f),
	}
	if f.TargetAgent != nil {
		pf.To = *f.TargetAgent
	}
	if f.ChainOriginID != nil {
		pf.ChainOrigin = *f.ChainOriginID
	}
	if f.Locked && f.LockedBy != nil && f.LockExpiresAt != nil {
		pf.LockedBy, pf.LockExpires = *f.LockedBy, *f.LockExpiresAt
	}
	// Stored as written; shown without the white space around it.
	text := senderText{
		ChangeDescription: flagtext.Field(strings.TrimSpace(f.ChangeDescription)),
		ActionRequired:    flagtext.Field(strings.TrimSpace(f.ActionRequired)),
		CodeLocation:      optField(f.CodeLocation),
		ExampleUsage:      optField(f.ExampleUsage),
		RelatedFiles:      promptFiles(f.RelatedFiles),
		Context:           flagtext.JSONField(f.Context),
		Notes:             optField(f.Notes),
	}
	block, err := flagtext.JSONBlock(text)
	if err != nil {
		return promptFlag{}, err
	}
	pf.Block = block
	return pf, nil
}

// principal says who vouches for a flag's source (store.Flag.Principal,
// the wording the board uses too). Its token id and role are the server's
// own values, so they may sit in the block's tag.
func principal(f store.Flag) string { return f.Principal() }

func optField(s *string) string {
	if s == nil {
		return ""
	}
	return flagtext.Field(strings.TrimSpace(*s))
}

// promptFiles bounds related_files as one field: at most
// promptFilesLimit names of flagtext.MaxField characters in all (each name
// bounded alone, 20 names made a 40,000-character field).
func promptFiles(files []string) []string {
	var out []string
	left := flagtext.MaxField
	for i, f := range files {
		if i == promptFilesLimit || left <= 0 {
			out = append(out, "…, "+strconv.Itoa(len(files)-i)+" more files: call get_flag")
			break
		}
		f = flagtext.Clean(f)
		shown := flagtext.Bound(f, left)
		left -= min(utf8.RuneCountInString(f), left)
		out = append(out, shown)
	}
	return out
}
