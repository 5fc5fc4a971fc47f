package server

import (
	"context"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/project"
	"github.com/mcp-agents/mcp-agents/internal/resourceuri"
)

const (
	projectIndexURI = "project://context"
	projectPrefix   = resourceuri.ProjectPrefix
)

// ProjectDocs returns the project context documents being served.
func (svc *Service) ProjectDocs() *project.Docs { return svc.project.Load() }

// SetProjectDocs swaps in a new set of project context documents; clients
// hear resources/list_changed when it differs from the set before.
func (svc *Service) SetProjectDocs(docs *project.Docs) (changed bool) {
	old := svc.project.Swap(docs)
	if old.Equal(docs) {
		return false
	}
	if svc.srv != nil && old != nil {
		svc.srv.SendNotificationToAllClients(mcp.MethodNotificationResourcesListChanged, nil)
	}
	return true
}

func registerProject(s *server.MCPServer, svc *Service) {
	s.AddResource(mcp.NewResource(projectIndexURI, "Project context index",
		mcp.WithResourceDescription("The project's context documents (.claude/project/*.md and --context directories): "+
			"a JSON list of {name, title, uri}. Read the ones that matter to your task before starting it."),
		mcp.WithMIMEType("application/json"),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		list := svc.ProjectDocs().List()
		if list == nil {
			list = []project.Doc{}
		}
		body, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(body)}}, nil
	})
	s.AddResourceTemplate(mcp.NewResourceTemplate(projectPrefix+"{name}", "Project context document",
		mcp.WithTemplateDescription("One project context document (markdown), by name: its file name without .md, "+
			"percent-encoded (the uri project://context lists)."),
		mcp.WithTemplateMIMEType("text/markdown"),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		// A malformed name is refused by the transports first, as invalid
		// params (package resourceuri); the same rule holds here.
		name, err := resourceuri.ProjectName(req.Params.URI)
		if err != nil {
			return nil, invalidf("name", "%v", err)
		}
		d, ok := svc.ProjectDocs().Get(name)
		if !ok {
			return nil, resourceuri.NotFound(req.Params.URI, "no project context document named %q; %s lists them", name, projectIndexURI)
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/markdown", Text: d.Text}}, nil
	})
}
