package resourceuri

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		uri  string
		rule string // "" = accepted
	}{
		{"flag://1", ""},
		{"flag://9223372036854775807", ""},
		{"flag://-1", "positive integer flag id"},
		{"flag://0", "positive integer flag id"},
		{"flag://abc", "positive integer flag id"},
		{"flag://+3", "positive integer flag id"},
		{"flag://3/", "positive integer flag id"},
		{"flag://1.5", "positive integer flag id"},
		{"flag://", "positive integer flag id"},
		{"flag://9223372036854775808", "positive integer flag id"},
		{"agent://ops.containers", ""},
		{"agent://Ops.Containers", ""},
		{"agent://", "needs an agent name"},
		{"agent://@ops.containers", "without the @: agent://ops.containers"},
		{"agent://No Such Name!", "must match"},
		{"agent://../../etc/passwd", "must match"},
		{"agent://ops%2Econtainers", ""},
		{"agent://%40ops.containers", "without the @"},
		{"agent://No%20Such%20Name", "must match"},
		{"flags://inbox/@ops.containers", ""},
		{"flags://inbox/%40ops.containers", ""},
		{"flags://inbox/", "is not an inbox"},
		{"flags://inbox/No%20Such%20Name!", "does not name an agent"},
		{"project://context/", "needs a document name"},
		{"project://context/vision", ""},
		{"project://context/../x", "not a path"},
		{"project://context/docs/vision", "not a path"},
		{`project://context/..\x`, "not a path"},
		{"project://context/team%20prefs", ""},
		{"project://context/%C3%BCber", ""},
		{"project://context/%c3%bcber", ""},
		{"project://context/100%25", ""},
		{"project://context/100%", "percent-encoded"},
		{"project://context/a%2Fb", "not a path"},
		{"project://context/..%2Fx", "not a path"},
		{"project://context/a%5Cb", "not a path"},
		{"project://context/..", "not a path"},
		{"project://context/%2E%2E", "not a path"},
		{"project://context/.", "not a path"},
		// Unencoded, mcp-go's template matched nothing: "handler not found".
		{"project://context/team prefs", "percent-encoded, as project://context lists it: project://context/team%20prefs"},
		{"project://context/über", "project://context/%C3%BCber"},
		{"project://context/arch?x=1", "percent-encoded"},
		{"project://context/a#b", "percent-encoded"},
		{"project://context/a+b", ""},
		// Not this server's schemes, or not malformed: the server decides.
		{"agents://catalog", ""},
		{"flags://outbox/x", ""},
		{"file:///etc/passwd", ""},
		{"", ""},
	}
	for _, tt := range tests {
		err := Validate(tt.uri)
		if tt.rule == "" && err != nil {
			t.Errorf("Validate(%q) = %v, want accepted", tt.uri, err)
		}
		if tt.rule != "" && (err == nil || !strings.Contains(err.Error(), tt.rule)) {
			t.Errorf("Validate(%q) = %v, want an error naming %q", tt.uri, err, tt.rule)
		}
	}
}

// A document's URI is valid (RFC 3986: nothing but unreserved characters
// and percent-encoding in its name, so no fragment, query or space), the
// template project://context/{name} matches it, as mcp-go must to call the
// handler, and it gives the name back.
func TestProjectURI(t *testing.T) {
	tmpl := mcp.NewResourceTemplate(ProjectPrefix+"{name}", "doc").URITemplate
	for _, tt := range []struct{ name, uri string }{
		{"vision", "project://context/vision"},
		{"plain-name_1.0~x", "project://context/plain-name_1.0~x"},
		{"team prefs", "project://context/team%20prefs"},
		{"über", "project://context/%C3%BCber"},
		{"a#b", "project://context/a%23b"},
		{"x?y", "project://context/x%3Fy"},
		{"100%", "project://context/100%25"},
		{"it's (draft)!", "project://context/it%27s%20%28draft%29%21"},
		{"a+b=c@d:e", "project://context/a%2Bb%3Dc%40d%3Ae"},
		{"\xff\x00", "project://context/%FF%00"},
	} {
		uri := ProjectURI(tt.name)
		if uri != tt.uri {
			t.Errorf("ProjectURI(%q) = %q, want %q", tt.name, uri, tt.uri)
		}
		if !tmpl.Regexp().MatchString(uri) {
			t.Errorf("the template does not match %q", uri)
		}
		if name, err := ProjectName(uri); err != nil || name != tt.name {
			t.Errorf("ProjectName(%q) = %q, %v; want %q", uri, name, err, tt.name)
		}
		if err := Validate(uri); err != nil {
			t.Errorf("Validate(%q) = %v", uri, err)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, msg string
		wantID    string // "" = no answer
	}{
		{"read bad flag", `{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"flag://-1"}}`, "7"},
		{"string id", `{"jsonrpc":"2.0","id":"a-1","method":"resources/read","params":{"uri":"flag://abc"}}`, `"a-1"`},
		{"escaped slashes", `{"jsonrpc":"2.0","id":1,"method":"resources\/read","params":{"uri":"flag:\/\/0"}}`, "1"},
		{"subscribe bad inbox", `{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"flags://inbox/No Name"}}`, "2"},
		{"subscribe a flag", `{"jsonrpc":"2.0","id":9,"method":"resources/subscribe","params":{"uri":"flag://1"}}`, "9"},
		{"subscribe the catalog", `{"jsonrpc":"2.0","id":10,"method":"resources/subscribe","params":{"uri":"agents://catalog"}}`, "10"},
		{"subscribe an inbox", `{"jsonrpc":"2.0","id":11,"method":"resources/subscribe","params":{"uri":"flags://inbox/ops.containers"}}`, ""},
		{"read good flag", `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"flag://3"}}`, ""},
		// Unsubscribing answered {} for any URI, one no subscribe takes.
		{"unsubscribe bad inbox", `{"jsonrpc":"2.0","id":12,"method":"resources/unsubscribe","params":{"uri":"flags://inbox/No Such"}}`, "12"},
		{"unsubscribe a foreign scheme", `{"jsonrpc":"2.0","id":13,"method":"resources/unsubscribe","params":{"uri":"foo://x"}}`, "13"},
		{"unsubscribe an agent", `{"jsonrpc":"2.0","id":14,"method":"resources/unsubscribe","params":{"uri":"agent://ops.containers"}}`, "14"},
		{"unsubscribe an inbox", `{"jsonrpc":"2.0","id":15,"method":"resources/unsubscribe","params":{"uri":"flags://inbox/ops.containers"}}`, ""},
		{"other method", `{"jsonrpc":"2.0","id":4,"method":"resources/templates/list","params":{"uri":"flag://-1"}}`, ""},
		{"notification", `{"jsonrpc":"2.0","method":"resources/read","params":{"uri":"flag://-1"}}`, ""},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"resources/read","params":{"uri":"flag://-1"}}`, ""},
		{"wrong version", `{"jsonrpc":"1.0","id":5,"method":"resources/read","params":{"uri":"flag://-1"}}`, ""},
		{"uri not a string", `{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":5}}`, ""},
		{"not json", `resources/read flag://-1`, ""},
		{"tool call", `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"get_flag","arguments":{"flag_id":1}}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := Check([]byte(tt.msg))
			if tt.wantID == "" {
				if answer != nil {
					t.Fatalf("Check answered %s, want nil (mcp-go serves it)", answer)
				}
				return
			}
			var got struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Error   struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(answer, &got); err != nil {
				t.Fatalf("answer %s: %v", answer, err)
			}
			if got.JSONRPC != "2.0" || string(got.ID) != tt.wantID || got.Error.Code != mcp.INVALID_PARAMS || !strings.Contains(got.Error.Message, "resources/") {
				t.Errorf("answer %s, want id %s, code -32602 and a message naming the method", answer, tt.wantID)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"flag://-1"}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":"x","method":"resources/subscribe","params":{"uri":"flags://inbox/%zz"}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"agent://a"}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		answer := Check(msg)
		if answer == nil {
			return
		}
		var got mcp.JSONRPCError
		if err := json.Unmarshal(answer, &got); err != nil || got.Error.Code != mcp.INVALID_PARAMS {
			t.Fatalf("Check(%q) = %s, want a -32602 answer", msg, answer)
		}
	})
}

func TestRewriteNotFound(t *testing.T) {
	notFound := `{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"` + NotFoundPrefix + `flag://9: no flag has id 9"}}`
	want := `{"jsonrpc":"2.0","id":7,"error":{"code":-32002,"message":"` + NotFoundPrefix + `flag://9: no flag has id 9"}}`
	for _, tc := range []struct{ in, want string }{
		{notFound + "\n", want + "\n"},
		{notFound, want},
		{strings.Replace(notFound, `"id":7`, `"id":"a"`, 1), strings.Replace(want, `"id":7`, `"id":"a"`, 1)},
		// Left alone: other errors, other codes, results that quote the
		// words, and anything that is not JSON.
		{`{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"database is busy"}}`, ""},
		{strings.Replace(notFound, "-32603", "-32602", 1), ""},
		{`{"jsonrpc":"2.0","id":7,"result":{"contents":[{"text":"\"message\":\"` + NotFoundPrefix + `\""}]}}`, ""},
		{`{"message":"` + NotFoundPrefix, ""},
	} {
		want := tc.want
		if want == "" {
			want = tc.in
		}
		if got := string(RewriteNotFound([]byte(tc.in))); got != want {
			t.Errorf("RewriteNotFound(%s)\n = %s\nwant %s", tc.in, got, want)
		}
	}
}
