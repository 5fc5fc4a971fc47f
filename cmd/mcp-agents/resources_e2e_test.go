package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestBadResourceURIsAreInvalidParams: a malformed id or name in one of the
// server's resource URIs is the client's mistake, answered with -32602 and
// the rule (not mcp-go's -32603), over stdio and over HTTP, at both
// protocol versions with sessions that clients use; the server goes on
// serving, and a well-formed URI still reads.
func TestBadResourceURIsAreInvalidParams(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@backend.api", "admin")
	hs := s.startHTTP(t)
	bad := []struct{ uri, rule string }{
		{"flag://-1", "positive integer flag id"},
		{"flag://0", "positive integer flag id"},
		{"flag://abc", "positive integer flag id"},
		{"flag://+3", "positive integer flag id"},
		{"flag://", "positive integer flag id"},
		{"flag://99999999999999999999", "positive integer flag id"},
		{"agent://No Such Name!", "must match"},
		{"agent://", "needs an agent name"},
		{"agent://@ops.containers", "without the @"},
		{"flags://inbox/No%20Such%20Name!", "does not name an agent"},
		{"flags://inbox/", "is not an inbox"},
		{"project://context/", "needs a document name"},
		{"project://context/../x", "not a path"},
	}
	connect := map[string]func(t *testing.T, version string) *client.Client{
		"stdio": func(t *testing.T, version string) *client.Client {
			c := s.stdioClient(t, nil)
			initializeAt(t, c, version)
			return c
		},
		"http": func(t *testing.T, version string) *client.Client { return hs.clientAt(t, tok, version) },
	}
	for _, tr := range []string{"stdio", "http"} {
		for _, version := range []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125} {
			t.Run(tr+"/"+version, func(t *testing.T) {
				c := connect[tr](t, version)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				read := func(uri string) (*mcp.ReadResourceResult, error) {
					req := mcp.ReadResourceRequest{}
					req.Params.URI = uri
					return c.ReadResource(ctx, req)
				}
				for _, b := range bad {
					_, err := read(b.uri)
					if !errors.Is(err, mcp.ErrInvalidParams) || !strings.Contains(err.Error(), b.rule) {
						t.Errorf("resources/read %s: %v, want invalid params (-32602) naming the rule (%q)", b.uri, err, b.rule)
					}
				}
				sub := mcp.SubscribeRequest{}
				sub.Params.URI = "flags://inbox/Not A Name"
				if err := c.Subscribe(ctx, sub); !errors.Is(err, mcp.ErrInvalidParams) || !strings.Contains(err.Error(), "does not name an agent") {
					t.Errorf("resources/subscribe %s: %v, want invalid params naming the rule", sub.Params.URI, err)
				}
				// Unsubscribing answered {} for any URI at all.
				unsub := mcp.UnsubscribeRequest{}
				unsub.Params.URI = "foo://x"
				if err := c.Unsubscribe(ctx, unsub); !errors.Is(err, mcp.ErrInvalidParams) || !strings.Contains(err.Error(), "only agent inboxes") {
					t.Errorf("resources/unsubscribe %s: %v, want invalid params naming the rule", unsub.Params.URI, err)
				}

				// Still serving; well-formed URIs read as before.
				var created struct {
					Flag struct {
						ID int64 `json:"id"`
					} `json:"flag"`
				}
				callTool(t, c, "create_flag", flagArgs("@database.postgres"), &created)
				if res, err := read("flag://" + strconv.FormatInt(created.Flag.ID, 10)); err != nil || len(res.Contents) != 1 {
					t.Errorf("resources/read of the new flag: %v, %v", res, err)
				}
				if _, err := read("agent://database.postgres"); err != nil {
					t.Errorf("resources/read agent://database.postgres: %v", err)
				}
				if _, err := read("flags://inbox/@database.postgres"); err != nil {
					t.Errorf("resources/read of an inbox: %v", err)
				}
				// Well-formed but absent: not the client's syntax, so not
				// -32602, and not the server's fault either (mcp-go says
				// -32603): -32002, resource not found, naming what is missing.
				for uri, says := range map[string]string{
					"flag://987654":          "no flag has id 987654",
					"agent://nope.nope":      `no agent named "@nope.nope"`,
					"project://context/nope": `no project context document named "nope"`,
				} {
					if _, err := read(uri); !errors.Is(err, mcp.ErrResourceNotFound) || !strings.Contains(err.Error(), says) {
						t.Errorf("resources/read %s: %v, want resource not found (-32002) saying %q", uri, err, says)
					}
				}
			})
		}
	}
}

// clientAt is mcp-go's Streamable HTTP client of hs, as token, initialized
// at protocol version (no GET stream: these tests read, they are not told).
func (hs *httpServer) clientAt(t *testing.T, token, version string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(hs.url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initializeAt(t, c, version)
	return c
}

// initializeAt initializes c at protocol version.
func initializeAt(t *testing.T, c *client.Client, version string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e-" + version, Version: "1"}
	res, err := c.Initialize(ctx, req)
	if err != nil {
		t.Fatalf("initialize at %s: %v", version, err)
	}
	if res.ProtocolVersion != version {
		t.Fatalf("initialize at %s: the server answered %s", version, res.ProtocolVersion)
	}
}

// completion/complete of a template's name answers the same whether the
// client writes the template as the server lists it (flags://inbox/{+name})
// or as the README and issues do (flags://inbox/{name}); the other spelling
// got an empty list.
func TestResourceCompletionEitherSpelling(t *testing.T) {
	c := newSandbox(t).start(t)
	for _, uri := range []string{"flags://inbox/{+name}", "flags://inbox/{name}", "agent://{name}", "agent://{+name}"} {
		req := mcp.CompleteRequest{}
		req.Params.Ref = mcp.ResourceReference{Type: "ref/resource", URI: uri}
		req.Params.Argument = mcp.CompleteArgument{Name: "name", Value: "te"}
		res, err := c.Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("complete %s: %v", uri, err)
		}
		if v := res.Completion.Values; len(v) < 2 || v[0] != "test.e2e" || v[1] != "test.unit" {
			t.Errorf("complete %s name=te: %v, want test.e2e and test.unit first", uri, v)
		}
	}
}

// Every project context document listed reads by the uri listed, over
// stdio and HTTP, whatever its file name: a space, a non-ASCII letter, a
// "#" or a "?" was listed unencoded (not a valid URI: mcp-go found no
// handler for it, and the encoded form named no document). The prompt
// gives the model the same URIs. A name that is a path once decoded is
// still refused, and a file of a name no URI can give is not listed.
func TestProjectDocumentsReadByTheirListedURI(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@backend.api", "admin")
	ctxDir := filepath.Join(s.cwd, "v1")
	files := map[string]string{ // file name: text
		"Team Prefs.md":     "# Team Prefs\n\nSmall PRs.\n",
		"Über.md":           "# Über\n",
		"a#b.md":            "# Hash\n",
		"x?y.md":            "# Query\n",
		"it's (draft)!.md":  "# Sub-delims\n",
		"100%.md":           "# Percent\n",
		"plain-name_1.0.md": "# Plain\n",
		".md":               "# No name\n",
		"...md":             "# Dot-dot\n",
	}
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(ctxDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hs := s.startHTTP(t, "--context", ctxDir)
	connect := map[string]func(t *testing.T) *client.Client{
		"stdio": func(t *testing.T) *client.Client { return s.start(t, "--context", ctxDir) },
		"http":  func(t *testing.T) *client.Client { return hs.clientAt(t, tok, mcp.ProtocolVersion20251125) },
	}
	for _, tr := range []string{"stdio", "http"} {
		t.Run(tr, func(t *testing.T) {
			c := connect[tr](t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			read := func(uri string) (string, error) {
				req := mcp.ReadResourceRequest{}
				req.Params.URI = uri
				res, err := c.ReadResource(ctx, req)
				if err != nil {
					return "", err
				}
				return res.Contents[0].(mcp.TextResourceContents).Text, nil
			}
			index, err := read("project://context")
			if err != nil {
				t.Fatal(err)
			}
			var docs []struct{ Name, Title, URI string }
			if err := json.Unmarshal([]byte(index), &docs); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{ // name: text
				"team prefs": files["Team Prefs.md"], "über": files["Über.md"], "a#b": files["a#b.md"],
				"x?y": files["x?y.md"], "it's (draft)!": files["it's (draft)!.md"], "100%": files["100%.md"],
				"plain-name_1.0": files["plain-name_1.0.md"],
			}
			if len(docs) != len(want) {
				t.Errorf("project://context lists %d documents, want %d: %s", len(docs), len(want), index)
			}
			for _, d := range docs {
				u, err := url.Parse(d.URI)
				if err != nil || u.Fragment != "" || u.RawQuery != "" || strings.ContainsFunc(d.URI, func(r rune) bool { return r <= ' ' || r > '~' }) {
					t.Errorf("%s is listed as %q, no valid URI of the document alone (%v)", d.Name, d.URI, err)
				}
				if got, err := read(d.URI); err != nil || got != want[d.Name] {
					t.Errorf("resources/read %s (%s): %q, %v; want %q", d.URI, d.Name, got, err, want[d.Name])
				}
			}
			if got, err := read("project://context/team%20prefs"); err != nil || got != want["team prefs"] {
				t.Errorf("project://context/team%%20prefs: %q, %v", got, err)
			}
			// Unencoded, it is the client's mistake, said with the URI to
			// use: mcp-go's template matched nothing ("handler not found").
			if _, err := read("project://context/team prefs"); !errors.Is(err, mcp.ErrInvalidParams) || !strings.Contains(err.Error(), "project://context/team%20prefs") {
				t.Errorf("project://context/team prefs: %v, want invalid params naming the encoded URI", err)
			}

			// What the prompt shows reads too.
			req := mcp.GetPromptRequest{}
			req.Params.Name = "database.postgres"
			p, err := c.GetPrompt(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			prompt := p.Messages[0].Content.(mcp.TextContent).Text
			shown := regexp.MustCompile(`(?m)^- (project://context/\S+): `).FindAllStringSubmatch(prompt, -1)
			if len(shown) != len(want) {
				t.Errorf("the prompt indexes %d documents, want %d:\n%s", len(shown), len(want), prompt)
			}
			for _, m := range shown {
				if _, err := read(m[1]); err != nil {
					t.Errorf("the prompt's %s does not read: %v", m[1], err)
				}
			}

			// Decoded, a path is still no name.
			for _, uri := range []string{"project://context/..%2Fx", "project://context/a%2Fb", "project://context/%2E%2E", "project://context/a%5Cb"} {
				if _, err := read(uri); !errors.Is(err, mcp.ErrInvalidParams) || !strings.Contains(err.Error(), "not a path") {
					t.Errorf("resources/read %s: %v, want invalid params saying it is not a path", uri, err)
				}
			}
		})
	}
}
