package flagtext

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestJSONFieldCountsTheTextAsStored: a value whose JSON text, as the store
// keeps it, fits the bound is shown whole, however many characters a
// prompt's escaping (<, > and & as \u003c…) would add; the count was taken
// on that escaped text, six characters for each <.
func TestJSONFieldCountsTheTextAsStored(t *testing.T) {
	v := `{"b":"` + strings.Repeat("<&>", 600) + `","a":"x\u001b[31my\u202e\n"}`
	want := `{"a":"xy\n","b":"` + strings.Repeat("<&>", 600) + `"}`
	if got := string(JSONField([]byte(v))); got != want {
		t.Errorf("JSONField of %d characters = %.120q…, want it whole, cleaned and sorted", len(want), got)
	}
	// Of keys that are one once cleaned, the clean one is shown.
	for range 20 {
		if got := string(JSONField([]byte(`{"b\u200b":1,"b":2,"\u0001b":3}`))); got != `{"b":2}` {
			t.Fatalf("keys that clean to one: %s, want the clean key's member", got)
		}
	}
	for _, none := range []string{"", "null", "  "} {
		if got := JSONField([]byte(none)); got != nil {
			t.Errorf("JSONField(%q) = %q, want nil", none, got)
		}
	}
}

// TestJSONFieldCutStaysJSON: a longer value is cut where the bound falls in
// its stored text and stays an object, its strings escaped once where it is
// shown; the string at the cut says how many characters of that text follow.
// It was shown as a string holding the object's JSON text, escaped twice
// (\\\" and \\n), with the rest counted on the escaped form.
func TestJSONFieldCutStaysJSON(t *testing.T) {
	note := "He said \"hi\"\nline2 " + strings.Repeat("q\"<", 1000)
	raw, _ := json.Marshal(map[string]string{"note": note})
	// Stored: {"note":"He said \"hi\"\nline2 q\"<q\"<…"}: 9 + 22 + 4×1000 + 2
	// = 4033 characters. The first 2000 end after 492 "q\"<" and a q.
	got := JSONField(raw)
	var shown map[string]string
	if err := json.Unmarshal(got, &shown); err != nil || len(shown) != 1 {
		t.Fatalf("cut context is not an object of one string: %v %.200s", err, got)
	}
	want := "He said \"hi\"\nline2 " + strings.Repeat("q\"<", 492) + "q" + "…, 2033 more characters: call get_flag"
	if shown["note"] != want {
		t.Errorf("cut note = …%q, want …%q", tail(shown["note"], 60), tail(want, 60))
	}
	block, err := JSONBlock(map[string]json.RawMessage{"context": got})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(block, `{"context":{"note":"He said \"hi\"\nline2 q\"\u003cq\"\u003c`) || strings.Contains(block, `\\`) {
		t.Errorf("block does not show the context escaped once: %.200s", block)
	}
}

func tail(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[len(r)-n:])
}

// TestJSONFieldCuts: where the cut falls decides where the note goes; what
// is shown plus N is the whole stored text.
func TestJSONFieldCuts(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"in a string", `{"a":"0123456789"}`, 10, `{"a":"0123…, 8 more characters: call get_flag"}`},
		{"in an escape", `{"a":"01\n23"}`, 9, `{"a":"01…, 6 more characters: call get_flag"}`},
		{"in a nested string", `{"a":{"b":["xy","0123456789"]}}`, 20, `{"a":{"b":["xy","012…, 11 more characters: call get_flag"]}}`},
		{"in a key", `{"a":1,"bbbbbbbbbb":2}`, 10, `{"a":1,"…":"…, 16 more characters: call get_flag"}`},
		{"in a number", `{"a":"x","b":123456}`, 16, `{"a":"x","b":"…, 7 more characters: call get_flag"}`},
		{"at a comma", `{"a":[1,2,3]}`, 7, `{"a":[1,"…, 6 more characters: call get_flag"]}`},
		{"at a nested opening", `{"a":1,"b":{"c":2}}`, 11, `{"a":1,"b":"…, 8 more characters: call get_flag"}`},
		{"at the last bracket", `{"a":[1]}`, 8, `{"a":[1]}`},
		{"before the last brackets", `{"a":[12]}`, 7, `{"a":["…, 4 more characters: call get_flag"]}`},
		{"beside a real … key", `{"…":1,"日":"0123456789"}`, 10, `{"…":1,"……":"…, 18 more characters: call get_flag"}`},
		{"fits", `{"a":[1,{"b":null,"c":true}]}`, 29, `{"a":[1,{"b":null,"c":true}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(jsonField([]byte(tc.in), tc.max))
			if got != tc.want {
				t.Errorf("jsonField(%s, %d) = %s, want %s", tc.in, tc.max, got, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("%s is not JSON", got)
			}
		})
	}
}

// TestJSONFieldNotJSON: text that is not JSON is shown as Field shows text.
func TestJSONFieldNotJSON(t *testing.T) {
	got := JSONField([]byte("not json \x1b[31m" + strings.Repeat("x", MaxField)))
	var s string
	if err := json.Unmarshal(got, &s); err != nil || s != Field("not json "+strings.Repeat("x", MaxField)) {
		t.Errorf("JSONField(not JSON) = %.80s… (%v)", got, err)
	}
}

// TestJSONFieldCutIsAPrefix: for values of every shape cut at every
// length, the result is JSON, and what it shows before its one note is the
// start of the stored text, the note counting the rest exactly.
func TestJSONFieldCutIsAPrefix(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		raw, _ := json.Marshal(randomValue(r, 0))
		stored := encodeJSON(cleanJSON(decode(t, raw)))
		total := utf8.RuneCountInString(stored)
		for max := 1; max <= total+1; max++ {
			checkCut(t, raw, stored, max)
		}
	}
}

func FuzzJSONField(f *testing.F) {
	for _, s := range []string{`{"a":"0123456789"}`, `{"a":[1,{"b":null}],"c":"\n\"<"}`, `{"…":1,"b":"\u001b[31mx"}`, `[[],{}]`, "{\"b\x80\xa6\":1,\"b\":\"9\"}"} {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, raw string, max int) {
		var v any
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if max < 1 || max > 1<<16 || dec.Decode(&v) != nil || !json.Valid([]byte(raw)) {
			return
		}
		checkCut(t, []byte(raw), encodeJSON(cleanJSON(v)), max)
	})
}

var noteRE = regexp.MustCompile(`…, (\d+) more characters?: call get_flag"`)

func checkCut(t *testing.T, raw []byte, stored string, max int) {
	t.Helper()
	got := string(jsonField(raw, max))
	if stored == "null" { // no value
		if got != "" {
			t.Fatalf("jsonField(%s, %d) = %s, want nil", raw, max, got)
		}
		return
	}
	if !json.Valid([]byte(got)) {
		t.Fatalf("jsonField(%s, %d) = %s, not JSON", raw, max, got)
	}
	total := utf8.RuneCountInString(stored)
	notes := noteRE.FindAllStringSubmatchIndex(got, -1)
	if total <= max || utf8.RuneCountInString(strings.TrimRight(stored, `"]}`)) <= max {
		if got != stored {
			t.Fatalf("jsonField(%s, %d) = %s, want it whole: %s", raw, max, got, stored)
		}
		return
	}
	if len(notes) == 0 {
		t.Fatalf("jsonField(%s, %d) = %s: cut without a note", raw, max, got)
	}
	// The stored text's own strings may hold a note's words: the cut's is
	// the last.
	m := notes[len(notes)-1]
	n, _ := strconv.Atoi(got[m[2]:m[3]])
	shown := got[:m[0]]
	// What the cut adds before the note: nothing (in a string), the
	// quote of a note in a value's place, or a member named "…".
	for _, added := range []string{"", `"`, `,"`, `"…":"`, `,"…":"`, `"……":"`, `,"……":"`} {
		p, ok := strings.CutSuffix(shown, added)
		if ok && strings.HasPrefix(stored, p) && utf8.RuneCountInString(p) <= max && n == total-utf8.RuneCountInString(p) {
			return
		}
	}
	t.Fatalf("jsonField(%s, %d) = %s: %q is not the start of %s with %d more characters after it", raw, max, got, shown, stored, n)
}

func decode(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func randomValue(r *rand.Rand, depth int) any {
	words := []string{"", "a", "é", "\"q\"", "line\nbreak", "<&>", "\\", "\x1b[31mred", "…", "日本", "\u2028"}
	k := r.IntN(7)
	if depth > 3 {
		k = r.IntN(4)
	}
	switch k {
	case 0:
		return json.Number(strconv.Itoa(r.IntN(100000)))
	case 1:
		return r.IntN(2) == 0
	case 2:
		return nil
	case 3:
		return words[r.IntN(len(words))] + strings.Repeat("x", r.IntN(5))
	case 4:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randomValue(r, depth+1)
		}
		return a
	}
	m := map[string]any{}
	for range r.IntN(4) {
		m[words[r.IntN(len(words))]+strings.Repeat("k", r.IntN(3))] = randomValue(r, depth+1)
	}
	return m
}

// A value that fits but for its closing quote and brackets is shown whole:
// it had a member "…" saying "1 more characters" (the last brace) added,
// or its last string cut before its closing quote.
func TestJSONFieldClosingBracketsPastTheBound(t *testing.T) {
	for _, tc := range []struct{ open, close string }{
		{`{"a":"`, `"}`},
		{`{"a":{"b":"`, `"}}`},
		{`{"a":["`, `"]}`},
		{`[[[["`, `"]]]]`},
	} {
		v := tc.open + strings.Repeat("x", MaxField-len(tc.open)) + tc.close
		if got := string(JSONField([]byte(v))); got != v {
			t.Errorf("%d characters, %d of them closing quotes and brackets past the bound: %.40q…%q, want it whole", len(v), len(tc.close), got, got[max(0, len(got)-60):])
		}
	}
	// More than them past the bound is cut.
	v := `{"a":"` + strings.Repeat("x", MaxField-4) + `"}`
	if got := string(JSONField([]byte(v))); !strings.Contains(got, "4 more characters: call get_flag") {
		t.Errorf("a value past the bound by one character and its brackets: %q", got[len(got)-60:])
	}
}
