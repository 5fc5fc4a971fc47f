package server

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/sahilm/fuzzy"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// completionMax is the protocol's limit on values per completion.
const completionMax = 100

// completer answers completion/complete: agent names for the name of
// agent://{name} and flags://inbox/{+name}, each named with or without the
// "+" (see plainTemplate). Anything else (a prompt's task,
// an unknown prompt, template or argument) completes to an empty list.
type completer struct{ svc *Service }

func (c completer) CompletePromptArgument(context.Context, string, mcp.CompleteArgument, mcp.CompleteContext) (*mcp.Completion, error) {
	return &mcp.Completion{Values: []string{}}, nil
}

// plainTemplate spells a URI template without the reserved-expansion
// operator ("flags://inbox/{+name}" → "flags://inbox/{name}"): a client
// may name a template either way (the README and issues write
// flags://inbox/{name}), and the variable is the same. Only the exact
// spelling was completed; the other got an empty list.
func plainTemplate(uri string) string {
	return strings.ReplaceAll(uri, "{+", "{")
}

func (c completer) CompleteResourceArgument(_ context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	uri = plainTemplate(uri)
	inbox := uri == plainTemplate(inboxTemplate)
	if arg.Name != "name" || (uri != agentTemplate && !inbox) {
		return &mcp.Completion{Values: []string{}}, nil
	}
	// An inbox also takes an @handle: answer in the form being typed.
	prefix := ""
	value := strings.ToLower(strings.TrimSpace(arg.Value))
	if inbox && strings.HasPrefix(value, "@") {
		prefix, value = "@", value[1:]
	}
	names := completeNames(c.svc.Catalog.All(), value)
	out := &mcp.Completion{Values: make([]string, 0, min(len(names), completionMax)), Total: len(names)}
	for _, n := range names[:min(len(names), completionMax)] {
		out.Values = append(out.Values, prefix+n)
	}
	out.HasMore = len(names) > completionMax
	return out, nil
}

// completeNames returns the agent names starting with value, in name
// order, then the other names fuzzily matching it (its letters in order),
// best first.
func completeNames(agents []*agent.Agent, value string) []string {
	var prefixed, rest []string
	for _, a := range agents {
		if n := a.Name; strings.HasPrefix(n, value) {
			prefixed = append(prefixed, n)
		} else {
			rest = append(rest, n)
		}
	}
	if value == "" {
		return prefixed
	}
	for _, m := range fuzzy.Find(value, rest) {
		prefixed = append(prefixed, m.Str)
	}
	return prefixed
}
