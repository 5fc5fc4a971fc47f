package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/resourceuri"
)

// CatalogEntry is one agent in the agents://catalog resource.
type CatalogEntry struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Source      string   `json:"source"`
}

// agentTemplate is the agent resource's URI template.
const agentTemplate = "agent://{name}"

func registerResources(s *server.MCPServer, svc *Service) {
	s.AddResource(mcp.NewResource("agents://catalog", "Agent catalog",
		mcp.WithResourceDescription("Every loaded agent: name, description, tags and source, as JSON."),
		mcp.WithMIMEType("application/json"),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		body, err := json.Marshal(svc.CatalogEntries())
		if err != nil {
			return nil, err
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(body)}}, nil
	})

	s.AddResourceTemplate(mcp.NewResourceTemplate(agentTemplate, "Agent identity",
		mcp.WithTemplateDescription("An agent's markdown file (frontmatter and identity body), by bare lowercase name."),
		mcp.WithTemplateMIMEType("text/markdown"),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		// A malformed name is refused by the transports first, as invalid
		// params (package resourceuri); the same rule holds here.
		name, err := resourceuri.AgentName(req.Params.URI)
		if err != nil {
			return nil, invalidf("name", "%v", err)
		}
		a, err := svc.lookup("name", name)
		if d, ok := AsDomain(err); ok && d.Code == CodeNotFound {
			return nil, resourceuri.NotFound(req.Params.URI, "%s", strings.TrimPrefix(d.Message, "name: "))
		}
		if err != nil {
			return nil, err
		}
		raw, _, err := svc.agentText(ctx, a)
		if err != nil {
			return nil, err
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/markdown", Text: raw}}, nil
	})

	s.AddResourceTemplate(mcp.NewResourceTemplate("flag://{id}", "Flag",
		mcp.WithTemplateDescription("One flag with its events and whole chain, as JSON (the same as get_flag)."),
		mcp.WithTemplateMIMEType("application/json"),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		id, err := resourceuri.FlagID(req.Params.URI)
		if err != nil {
			return nil, invalidf("id", "%v", err)
		}
		detail, err := svc.GetFlag(ctx, GetFlagInput{FlagID: &id})
		if err != nil {
			if d, ok := AsDomain(err); ok && d.Code == CodeNotFound {
				return nil, resourceuri.NotFound(req.Params.URI, "no flag has id %d", id)
			}
			if d, ok := AsDomain(err); ok {
				svc.logFault(ctx, req.Params.URI, err)
				return nil, fmt.Errorf("%s", d.Message)
			}
			svc.Log.ErrorContext(ctx, "flag resource failed", "uri", req.Params.URI, "err", err)
			return nil, fmt.Errorf("internal error reading %s", req.Params.URI)
		}
		body, err := json.Marshal(detail)
		if err != nil {
			return nil, err
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(body)}}, nil
	})
}

// CatalogEntries lists the catalog in name order.
func (svc *Service) CatalogEntries() []CatalogEntry {
	all := svc.Catalog.All()
	out := make([]CatalogEntry, 0, len(all))
	for _, a := range all {
		out = append(out, CatalogEntry{Name: a.Handle(), Description: a.Description, Tags: nonNil(a.Tags), Source: a.Source})
	}
	return out
}
