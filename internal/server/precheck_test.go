package server

import (
	"strings"
	"testing"
)

func TestCheckRequest(t *testing.T) {
	for _, tc := range []struct {
		name, msg, want string // want "" is no answer: mcp-go serves it
	}{
		{"task", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a","arguments":{"task":"ship it"}}}`, ""},
		{"no arguments", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a"}}`, ""},
		{"null task", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a","arguments":{"task":null}}}`, ""},
		{"misspelt", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a","arguments":{"tsak":"ship it"}}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"prompts/get: unknown argument tsak; did you mean task?"}}`},
		{"escaped method", `{"jsonrpc":"2.0","id":"x","method":"prompts\/get","params":{"name":"a","arguments":{"Task":"ship it"}}}`,
			`{"jsonrpc":"2.0","id":"x","error":{"code":-32602,"message":"prompts/get: unknown argument Task; did you mean task?"}}`},
		{"unrelated", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a","arguments":{"colour":"red"}}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"prompts/get: unknown argument colour. Valid arguments: task."}}`},
		{"number", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a","arguments":{"task":5}}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"prompts/get: argument task must be a string (got number 5)"}}`},
		{"arguments a list", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a","arguments":["task"]}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"prompts/get: arguments must be an object whose values are strings"}}`},
		{"notification", `{"jsonrpc":"2.0","method":"prompts/get","params":{"arguments":{"tsak":"x"}}}`, ""},
		{"good cursor", `{"jsonrpc":"2.0","id":1,"method":"prompts/list","params":{"cursor":"b3BzLmNvbnRhaW5lcnM="}}`, ""},
		{"bad cursor", `{"jsonrpc":"2.0","id":1,"method":"resources/templates/list","params":{"cursor":"garbage"}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"resources/templates/list: cursor garbage is not one this server gave: pass the nextCursor of an earlier page as it came, or none for the first page"}}`},
		{"cursor a number", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":7}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"tools/list: cursor must be a string (got number 7): the nextCursor of an earlier page, as it came"}}`},
		{"cursor elsewhere", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_flags","arguments":{"cursor":"x"}}}`, ""},
		{"completion", `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"agent://{name}"},"argument":{"name":"name","value":"ops"}}}`, ""},
		{"completion of a prompt", `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"a"},"argument":{"name":"task","value":""}}}`, ""},
		{"completion ref type", `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/other"},"argument":{"name":"task","value":"x"}}}`,
			`"message":"completion/complete: ref.type must be ref/prompt or ref/resource (got \"ref/other\")"`},
		{"completion ref a string", `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":"x","argument":{"name":"task","value":"x"}}}`,
			`"message":"completion/complete: ref must be an object`},
		{"completion without uri", `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/resource"},"argument":{"name":"name","value":"x"}}}`,
			`"message":"completion/complete: ref.uri is required (a string)"`},
		{"completion value a number", `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"a"},"argument":{"name":"task","value":5}}}`,
			`"message":"completion/complete: argument.value must be a string (got number 5)"`},
		{"completion without argument", `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"a"}}}`,
			`"message":"completion/complete: argument must be an object`},
		{"not UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"complete_flag\",\"arguments\":{\"flag_id\":1,\"notes\":\"ok \xff\"}}}",
			`{"jsonrpc":"2.0","id":4,"error":{"code":-32700,"message":"Parse error: the message is not valid UTF-8 (byte 116); JSON text must be UTF-8, so nothing was done"}}`},
		{"not UTF-8, no id to be had", "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"x\xff",
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the message is not valid UTF-8 (byte 35)`},
		{"id not UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":\"\xfe\",\"method\":\"ping\"}",
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the message is not valid UTF-8 (byte 23)`},
		{"id a list, not UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\",\"x\":\"\xfe\"}",
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32700`},
		{"notification not UTF-8", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\",\"params\":{\"a\":\"\xff\"}}", ""},
		{"escaped method", `{"jsonrpc":"2.0","id":2,"method":"\u0070rompts/get","params":{"name":"a","arguments":{"tsak":"x"}}}`,
			`"message":"prompts/get: unknown argument tsak; did you mean task?"`},
		{"escaped cursor", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"\u0063ursor":"!!!"}}`,
			`"message":"tools/list: cursor \"!!!\" is not one this server gave`},
		{"task twice, a number first", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"a","arguments":{"task":7,"task":"a"}}}`,
			`"message":"prompts/get: argument task must be a string (got number 7)"`},
		{"malformed uri", `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"flag://-1"}}`, `"code":-32602`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(CheckRequest([]byte(tc.msg)))
			switch {
			case tc.want == "" && got != "":
				t.Errorf("answered %s, want it left to mcp-go", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("answered %q, want %q", got, tc.want)
			}
		})
	}
}
