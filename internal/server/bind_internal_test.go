package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestClosestName(t *testing.T) {
	createFlag := []string{"action_required", "chain_origin_id", "change_description", "code_location", "context",
		"example_usage", "flag_type", "impact_level", "related_files", "source_agent", "target_agent"}
	lock := []string{"agent", "flag_id", "lease_seconds"}
	tests := []struct {
		given string
		names []string
		want  string
	}{
		{"targetAgent", createFlag, "target_agent"}, // case and "_" ignored
		{"Target-Agent", createFlag, "target_agent"},
		{"FLAG_TYPE", createFlag, "flag_type"},
		{"lease", lock, "lease_seconds"},    // a valid name starts with it
		{"flag_id_number", lock, "flag_id"}, // it starts with a valid name
		{"agnet", lock, "agent"},            // distance 2
		{"flagid", lock, "flag_id"},         // folded equal
		{"chnage_descripton", createFlag, "change_description"},
		{"impact", createFlag, "impact_level"},
		{"files", createFlag, ""}, // no rule applies
		{"xyz", lock, ""},
		{"", lock, ""},
		{"_", lock, ""},
		{"agentx", []string{"agent", "agents"}, "agent"}, // prefix, nearest length first
	}
	for _, tt := range tests {
		if got := closestName(tt.given, tt.names); got != tt.want {
			t.Errorf("closestName(%q) = %q, want %q", tt.given, got, tt.want)
		}
	}
}

func TestBindUnknownArguments(t *testing.T) {
	type in struct {
		Agent        string `json:"agent"`
		LeaseSeconds *int   `json:"lease_seconds"`
	}
	names := []string{"agent", "lease_seconds"}
	tests := []struct {
		name, raw, wantErr string
		want               in
	}{
		{"valid", `{"agent":"@a.b","lease_seconds":5}`, "", in{Agent: "@a.b", LeaseSeconds: intPtr(5)}},
		{"null is omitted", `{"agent":"@a.b","lease_seconds":null}`, "", in{Agent: "@a.b"}},
		{"last of a repeated name wins", `{"agent":"@a.b","lease_seconds":null,"lease_seconds":5}`, "", in{Agent: "@a.b", LeaseSeconds: intPtr(5)}},
		{"last of a repeated name wins, null", `{"agent":"@a.b","lease_seconds":5,"lease_seconds":null}`, "", in{Agent: "@a.b"}},
		{"empty", `{}`, "", in{}},
		{"null arguments", `null`, "", in{}},
		{"misspelt", `{"agent":"@a.b","lease":5}`, "unknown argument lease; did you mean lease_seconds?", in{}},
		{"case differs", `{"Agent":"@a.b"}`, "unknown argument Agent; did you mean agent?", in{}},
		{"unknown even if null", `{"agent":"@a.b","lease_secs":null}`, "unknown argument lease_secs; did you mean lease_seconds?", in{}},
		{"each named in order", `{"zzz":1,"Agent":"x","zzz":2}`,
			"unknown argument zzz. unknown argument Agent; did you mean agent? Valid arguments: agent, lease_seconds.", in{}},
		{"hostile name quoted", `{"a\nb\u202e":1}`, `unknown argument "a\nb\u202e".`, in{}},
		{"not an object", `[1]`, "arguments must be a JSON object", in{}},
		{"many unknown", `{"a1":1,"a2":1,"a3":1,"a4":1,"a5":1,"a6":1,"a7":1,"a8":1,"a9":1,"a10":1,"a11":1,"a12":1}`,
			"unknown argument a1. unknown argument a2. unknown argument a3. unknown argument a4. unknown argument a5. " +
				"unknown argument a6. unknown argument a7. unknown argument a8. unknown argument a9. unknown argument a10. " +
				"And 2 more unknown arguments. Valid arguments: agent, lease_seconds.", in{}},
		{"wrong type", `{"agent":5}`, "agent must be a string, got number", in{}},
		// JSON Schema's integers include 300.0 and 3e2.
		{"whole number with a fraction", `{"agent":"@a.b","lease_seconds":300.0}`, "", in{Agent: "@a.b", LeaseSeconds: intPtr(300)}},
		{"whole number with an exponent", `{"agent":"@a.b","lease_seconds":3e2}`, "", in{Agent: "@a.b", LeaseSeconds: intPtr(300)}},
		{"not a whole number", `{"agent":"@a.b","lease_seconds":1.5}`, "lease_seconds must be an integer, got number 1.5", in{}},
	}
	// As mcp-go decodes a call (both the bytes and the object), and with
	// the bytes alone, which bind must check by walking them.
	for _, wire := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/wire=%v", tt.name, wire), func(t *testing.T) {
				req := mcp.CallToolRequest{}
				if wire {
					if err := json.Unmarshal([]byte(`{"name":"t","arguments":`+tt.raw+`}`), &req.Params); err != nil {
						t.Fatal(err)
					}
				} else {
					req.Params.RawArguments = []byte(tt.raw)
				}
				var got in
				err := bind(req, names, &got)
				if tt.wantErr == "" {
					if err != nil {
						t.Fatalf("bind: %v", err)
					}
					if got.Agent != tt.want.Agent || (got.LeaseSeconds == nil) != (tt.want.LeaseSeconds == nil) ||
						(got.LeaseSeconds != nil && *got.LeaseSeconds != *tt.want.LeaseSeconds) {
						t.Errorf("bound %+v, want %+v", got, tt.want)
					}
					return
				}
				var de *Error
				if !errors.As(err, &de) || de.Code != CodeInvalid {
					t.Fatalf("bind: err = %v, want a domain error", err)
				}
				if de.Message != tt.wantErr && !(len(tt.wantErr) < len(de.Message) && de.Message[:len(tt.wantErr)] == tt.wantErr) {
					t.Errorf("message = %q, want %q", de.Message, tt.wantErr)
				}
			})
		}
	}
}

func intPtr(v int) *int { return &v }

// TestBindNullRawArgument: a null argument is omitted even where
// encoding/json would keep it (a json.RawMessage holds "null").
func TestBindNullRawArgument(t *testing.T) {
	var req mcp.CallToolRequest
	if err := json.Unmarshal([]byte(`{"name":"t","arguments":{"context":null}}`), &req.Params); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Context json.RawMessage `json:"context"`
	}
	if err := bind(req, []string{"context"}, &got); err != nil || got.Context != nil {
		t.Errorf("bind: %v, context %q, want omitted", err, got.Context)
	}
}
