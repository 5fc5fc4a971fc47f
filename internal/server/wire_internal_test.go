package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func mustResult(t testing.TB, v any) *mcp.CallToolResult {
	t.Helper()
	r, err := structuredResult(v)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkSameBytes asserts that appendMessage writes exactly what
// encoding/json writes for msg (what mcp-go's own transport sends).
func checkSameBytes(t *testing.T, msg mcp.JSONRPCMessage) {
	t.Helper()
	want, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := appendMessage(&got, msg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("appendMessage differs from json.Marshal\n got: %s\nwant: %s", got.Bytes(), want)
	}
}

func TestAppendMessageMatchesEncodingJSON(t *testing.T) {
	type out struct {
		Name  string   `json:"name"`
		Score float64  `json:"score"`
		List  []string `json:"list"`
	}
	tricky := out{
		Name:  `<script>&"quotes"\back` + "\u2028\u2029\ttab\nline\x01\x7f",
		Score: 1.5,
		List:  []string{"héllo", "日本語", "emoji 🚀", ""},
	}
	withMeta := mustResult(t, tricky)
	withMeta.Meta = &mcp.Meta{AdditionalFields: map[string]any{"k": "v"}}
	modern := mustResult(t, tricky)
	modern.ResultType = mcp.ResultTypeComplete
	structuredError := mustResult(t, tricky)
	structuredError.IsError = true
	annotated := mcp.NewToolResultText("annotated")
	annotated.Content[0] = mcp.TextContent{Annotated: mcp.Annotated{Annotations: &mcp.Annotations{Priority: ptr(0.5)}}, Type: "text", Text: "x"}
	twoBlocks := mcp.NewToolResultText("one")
	twoBlocks.Content = append(twoBlocks.Content, mcp.NewTextContent("two"))
	mapStructured := mcp.NewToolResultStructured(map[string]any{"b": 1, "a": "<>"}, "fallback")

	results := map[string]*mcp.CallToolResult{
		"structured":          mustResult(t, tricky),
		"empty results":       mustResult(t, out{}),
		"error text":          mcp.NewToolResultError(`agent "@x" not found <did you mean> & more`),
		"invalid UTF-8 text":  mcp.NewToolResultError("bad \xff\xfe bytes"),
		"structured error":    structuredError,
		"modern result type":  modern,
		"meta (generic path)": withMeta,
		"annotations":         annotated,
		"two blocks":          twoBlocks,
		"map structured":      mapStructured,
		"no content":          {Content: []mcp.Content{}},
	}
	ids := []any{int64(0), int64(7), int64(-3), int64(1) << 53, "abc", `q"uote<`}
	for name, res := range results {
		for _, id := range ids {
			t.Run(name, func(t *testing.T) {
				checkSameBytes(t, mcp.NewJSONRPCResultResponse(mcp.NewRequestId(id), res))
			})
		}
	}
	others := map[string]mcp.JSONRPCMessage{
		"error":        mcp.NewJSONRPCError(mcp.NewRequestId(int64(1)), mcp.INVALID_PARAMS, "bad <params>", nil),
		"list result":  mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(2)), &mcp.ListToolsResult{Tools: []mcp.Tool{mcp.NewTool("t")}}),
		"nil result":   mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(3)), (*mcp.CallToolResult)(nil)),
		"notification": mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{Method: "notifications/message"}},
	}
	for name, msg := range others {
		t.Run(name, func(t *testing.T) { checkSameBytes(t, msg) })
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzAppendMessage compares the one-pass writer with encoding/json on
// arbitrary text and structured content.
func FuzzAppendMessage(f *testing.F) {
	for _, s := range []string{"", "plain", `{"a":"<b>"}`, "\u2028", "\xff", "tab\there", `"\\"`} {
		f.Add(s, int64(1), false)
	}
	f.Fuzz(func(t *testing.T, s string, id int64, isError bool) {
		res := mustResult(t, map[string]string{"s": s})
		res.IsError = isError
		checkSameBytes(t, mcp.NewJSONRPCResultResponse(mcp.NewRequestId(id), res))
		plain := mcp.NewToolResultText(s)
		plain.IsError = isError
		checkSameBytes(t, mcp.NewJSONRPCResultResponse(mcp.NewRequestId(id), plain))
	})
}

// The fast path must actually be taken for this package's results, or the
// transport silently loses its point.
func TestPlainToolResultRecognisesOwnResults(t *testing.T) {
	if _, ok := plainToolResult(mustResult(t, map[string]int{"a": 1})); !ok {
		t.Error("structuredResult output not recognised")
	}
	if _, ok := plainToolResult(mcp.NewToolResultError("nope")); !ok {
		t.Error("error result not recognised")
	}
	if _, ok := plainToolResult(mcp.NewToolResultStructured(map[string]int{"a": 1}, "x")); ok {
		t.Error("foreign structured content must take the generic path")
	}
}
