package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

func testCreateFlagValidation(t *testing.T, open Opener) {
	long := strings.Repeat("x", store.MaxText+1)
	tests := []struct {
		name  string
		mod   func(*store.NewFlag)
		field string
	}{
		{"missing flag_type", func(f *store.NewFlag) { f.FlagType = "" }, "flag_type"},
		{"unknown flag_type", func(f *store.NewFlag) { f.FlagType = "bugfix" }, "flag_type"},
		{"flag_type case matters", func(f *store.NewFlag) { f.FlagType = "Change" }, "flag_type"},
		{"missing source", func(f *store.NewFlag) { f.SourceAgent = "" }, "source_agent"},
		{"bad source", func(f *store.NewFlag) { f.SourceAgent = "@ops containers" }, "source_agent"},
		{"source with Kelvin sign", func(f *store.NewFlag) { f.SourceAgent = "@\u212Aube" }, "source_agent"},
		{"source starts with dot", func(f *store.NewFlag) { f.SourceAgent = "@.ops" }, "source_agent"},
		{"bad target", func(f *store.NewFlag) { f.TargetAgent = "@ops/x" }, "target_agent"},
		{"target too long", func(f *store.NewFlag) { f.TargetAgent = "@" + strings.Repeat("a", 129) }, "target_agent"},
		{"short change_description", func(f *store.NewFlag) { f.ChangeDescription = strings.Repeat("a", 49) }, "change_description"},
		{"change_description short after trim", func(f *store.NewFlag) { f.ChangeDescription = "  " + strings.Repeat("a", 49) + "\n\t " }, "change_description"},
		{"change_description counts characters not bytes", func(f *store.NewFlag) { f.ChangeDescription = strings.Repeat("é", 49) }, "change_description"},
		{"NUL in change_description", func(f *store.NewFlag) { f.ChangeDescription = "ab\x00" + desc }, "change_description"},
		{"invalid UTF-8 in action_required", func(f *store.NewFlag) { f.ActionRequired = "\xff" + action }, "action_required"},
		{"long change_description", func(f *store.NewFlag) { f.ChangeDescription = long }, "change_description"},
		{"short action_required", func(f *store.NewFlag) { f.ActionRequired = strings.Repeat("a", 99) }, "action_required"},
		{"long action_required", func(f *store.NewFlag) { f.ActionRequired = long }, "action_required"},
		{"unknown impact", func(f *store.NewFlag) { f.ImpactLevel = "urgent" }, "impact_level"},
		{"security needs critical", func(f *store.NewFlag) { f.FlagType = "security"; f.ImpactLevel = "high" }, "impact_level"},
		{"security default medium refused", func(f *store.NewFlag) { f.FlagType = "security" }, "impact_level"},
		{"data_loss needs critical", func(f *store.NewFlag) { f.FlagType = "data_loss"; f.ImpactLevel = "medium" }, "impact_level"},
		{"critical only for breaking types", func(f *store.NewFlag) { f.FlagType = "new_feature"; f.ImpactLevel = "critical" }, "impact_level"},
		{"breaking_change not low", func(f *store.NewFlag) { f.FlagType = "breaking_change"; f.ImpactLevel = "low" }, "impact_level"},
		{"high needs target", func(f *store.NewFlag) { f.ImpactLevel = "high"; f.TargetAgent = "" }, "target_agent"},
		{"critical needs target", func(f *store.NewFlag) {
			f.FlagType = "breaking_change"
			f.ImpactLevel = "critical"
			f.TargetAgent = "  "
		}, "target_agent"},
		{"too many related_files", func(f *store.NewFlag) { f.RelatedFiles = make([]string, 101); fill(f.RelatedFiles) }, "related_files"},
		{"long related file", func(f *store.NewFlag) { f.RelatedFiles = []string{long} }, "related_files"},
		{"negative chain", func(f *store.NewFlag) { f.ChainOriginID = -1 }, "chain_origin_id"},
		{"long code_location", func(f *store.NewFlag) { f.CodeLocation = long }, "code_location"},
		{"long example_usage", func(f *store.NewFlag) { f.ExampleUsage = long }, "example_usage"},
		{"context array", func(f *store.NewFlag) { f.Context = json.RawMessage(`[1,2]`) }, "context"},
		{"context number", func(f *store.NewFlag) { f.Context = json.RawMessage(`42`) }, "context"},
		{"context invalid", func(f *store.NewFlag) { f.Context = json.RawMessage(`{"a":`) }, "context"},
		{"context trailing garbage", func(f *store.NewFlag) { f.Context = json.RawMessage(`{"a":1} x`) }, "context"},
		{"context string not object", func(f *store.NewFlag) { f.Context = json.RawMessage(`"hello"`) }, "context"},
		{"context invalid utf-8", func(f *store.NewFlag) { f.Context = json.RawMessage("{\"a\":\"\xff\"}") }, "context"},
		{"context too big", func(f *store.NewFlag) {
			f.Context = json.RawMessage(`{"a":"` + strings.Repeat("b", store.MaxContextBytes) + `"}`)
		}, "context"},
	}
	s := openTest(t, open)
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := validNew()
			tc.mod(&in)
			_, err := s.CreateFlag(ctx, in)
			se := wantCode(t, err, store.CodeInvalid, tc.field)
			if se.Field != tc.field {
				t.Errorf("Field = %q, want %q (message %q)", se.Field, tc.field, se.Message)
			}
			if n := countFlags(t, s); n != 0 {
				t.Errorf("%d flags stored after a rejection", n)
			}
			if n := countEvents(t, s); n != 0 {
				t.Errorf("%d events stored after a rejection", n)
			}
		})
	}
}

func fill(s []string) {
	for i := range s {
		s[i] = "file" + strings.Repeat("x", i%3) + ".go"
	}
}

func testCreateFlagChainOriginMustExist(t *testing.T, open Opener) {
	s := openTest(t, open)
	in := validNew()
	in.ChainOriginID = 99
	_, err := s.CreateFlag(context.Background(), in)
	se := wantCode(t, err, store.CodeNotFound, "chain_origin_id", "99")
	if se.Field != "chain_origin_id" {
		t.Errorf("Field = %q", se.Field)
	}
	if n := countFlags(t, s); n != 0 {
		t.Errorf("%d flags stored after a rejection", n)
	}
	// Nor does it take an id: the next flag and its event are the first,
	// on every engine alike.
	f := mustCreate(t, s, nil)
	d, err := s.GetFlag(context.Background(), f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != 1 || len(d.Events) != 1 || d.Events[0].ID != 1 {
		t.Errorf("after a refused create, the next flag is %d with events %+v; want flag 1, event 1", f.ID, d.Events)
	}
}

func testCreateFlagAcceptsAndNormalises(t *testing.T, open Opener) {
	tests := []struct {
		name  string
		mod   func(*store.NewFlag)
		check func(t *testing.T, f store.Flag)
	}{
		{"defaults", nil, func(t *testing.T, f store.Flag) {
			if f.ImpactLevel != "medium" || f.Status != "pending" || f.Locked {
				t.Errorf("defaults: %+v", f)
			}
			if f.RelatedFiles == nil || len(f.RelatedFiles) != 0 {
				t.Errorf("related_files = %#v, want empty non-nil", f.RelatedFiles)
			}
			if f.Context != nil || f.CodeLocation != nil || f.ExampleUsage != nil || f.ChainOriginID != nil {
				t.Errorf("optional fields set: %+v", f)
			}
		}},
		{"handles normalised", func(f *store.NewFlag) { f.SourceAgent = " Backend.API "; f.TargetAgent = "@OPS.containers" }, func(t *testing.T, f store.Flag) {
			if f.SourceAgent != "@backend.api" || *f.TargetAgent != "@ops.containers" {
				t.Errorf("handles: %s %s", f.SourceAgent, *f.TargetAgent)
			}
		}},
		{"broadcast", func(f *store.NewFlag) { f.TargetAgent = "" }, func(t *testing.T, f store.Flag) {
			if f.TargetAgent != nil {
				t.Errorf("target = %v, want nil", *f.TargetAgent)
			}
		}},
		// Lengths count without surrounding white space, but storage keeps
		// the bytes as written (issue 14: only presentation changes them).
		{"texts kept as written", func(f *store.NewFlag) { f.ChangeDescription = "\n\n  " + desc + "  "; f.CodeLocation = " a.go:1 " }, func(t *testing.T, f store.Flag) {
			if f.ChangeDescription != "\n\n  "+desc+"  " || *f.CodeLocation != " a.go:1 " {
				t.Errorf("not as written: %q %q", f.ChangeDescription, *f.CodeLocation)
			}
		}},
		{"exactly minimum lengths", func(f *store.NewFlag) {
			f.ChangeDescription = strings.Repeat("é", 50)
			f.ActionRequired = strings.Repeat("ü", 100)
		}, func(t *testing.T, f store.Flag) {}},
		{"related_files as written, blanks dropped", func(f *store.NewFlag) { f.RelatedFiles = []string{" a.go ", "", "  ", "b.go"} }, func(t *testing.T, f store.Flag) {
			if strings.Join(f.RelatedFiles, ",") != " a.go ,b.go" {
				t.Errorf("related_files = %q", f.RelatedFiles)
			}
		}},
		{"100 related_files plus empties", func(f *store.NewFlag) {
			f.RelatedFiles = append(make([]string, 100), "", "")
			fill(f.RelatedFiles[:100])
		}, func(t *testing.T, f store.Flag) {
			if len(f.RelatedFiles) != 100 {
				t.Errorf("len = %d", len(f.RelatedFiles))
			}
		}},
		{"context object compacted", func(f *store.NewFlag) { f.Context = json.RawMessage(` { "a" : [1, 2] } `) }, func(t *testing.T, f store.Flag) {
			if string(f.Context) != `{"a":[1,2]}` {
				t.Errorf("context = %s", f.Context)
			}
		}},
		{"context string holding object", func(f *store.NewFlag) { f.Context = json.RawMessage(`"{\"a\": 1}"`) }, func(t *testing.T, f store.Flag) {
			if string(f.Context) != `{"a":1}` {
				t.Errorf("context = %s", f.Context)
			}
		}},
		{"context null", func(f *store.NewFlag) { f.Context = json.RawMessage(`null`) }, func(t *testing.T, f store.Flag) {
			if f.Context != nil {
				t.Errorf("context = %s", f.Context)
			}
		}},
		{"security critical targeted", func(f *store.NewFlag) { f.FlagType = "security"; f.ImpactLevel = "critical" }, func(t *testing.T, f store.Flag) {}},
		{"breaking_change high", func(f *store.NewFlag) { f.FlagType = "breaking_change"; f.ImpactLevel = "high" }, func(t *testing.T, f store.Flag) {}},
		{"low broadcast", func(f *store.NewFlag) { f.ImpactLevel = "low"; f.TargetAgent = "" }, func(t *testing.T, f store.Flag) {}},
	}
	s := openTest(t, open)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustCreate(t, s, tc.mod)
			tc.check(t, f)
			// What was returned is what is stored.
			d, err := s.GetFlag(context.Background(), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(f)
			b, _ := json.Marshal(d.Flag)
			if string(a) != string(b) {
				t.Errorf("returned %s\nstored   %s", a, b)
			}
		})
	}
}

// The schema enforces the rules too, so a writer that bypasses validation
// (an older binary, a hand-edited database) cannot store a bad flag.
