package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

func TestTerminalSanitising(t *testing.T) {
	cases := []struct {
		name, in, cell, text string
	}{
		{"plain", "Postgres tuning", "Postgres tuning", "Postgres tuning"},
		{"colour", "\x1b[31;1mred\x1b[0m text", "red text", "red text"},
		{"clear screen and home", "\x1b[2J\x1b[Hgone", "gone", "gone"},
		{"window title (OSC, BEL)", "\x1b]0;owned\x07title", "title", "title"},
		{"hyperlink (OSC, ST)", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link", "link"},
		{"8-bit CSI", "a\u009b31mb", "ab", "ab"},
		{"8-bit OSC", "a\u009d0;t\u009cb", "ab", "ab"},
		{"two-character escape", "a\x1bcb\x1b(Bc", "abc", "abc"},
		{"lone ESC at the end", "abc\x1b", "abc", "abc"},
		{"bidi override", "evil\u202egnp.exe", "evilgnp.exe", "evilgnp.exe"},
		{"zero-width", "ad\u200bmin\ufeff", "admin", "admin"},
		{"backspace and bell", "ab\bc\a", "abc", "abc"},
		{"carriage return", "shown\rhidden", "shownhidden", "shownhidden"},
		{"newline and tab", "a\nb\tc", "a b c", "a\nb\tc"},
		{"invalid UTF-8", "a\xffb", "ab", "ab"},
		{"unicode kept", "café — 東京 ✓", "café — 東京 ✓", "café — 東京 ✓"},
		{"long cell cut", strings.Repeat("x", 120), strings.Repeat("x", 100) + "…", strings.Repeat("x", 120)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := terminalCell(c.in, 100); got != c.cell {
				t.Errorf("terminalCell(%q) = %q, want %q", c.in, got, c.cell)
			}
			if got := terminalText(c.in); got != c.text {
				t.Errorf("terminalText(%q) = %q, want %q", c.in, got, c.text)
			}
		})
	}
}

func FuzzTerminalCell(f *testing.F) {
	for _, s := range []string{"x", "\x1b[31mred", "\x1b]0;t\x07", "\u202e", "a\nb", "\u009b1m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := terminalCell(s, 1<<20)
		for _, r := range got {
			if r == 0x1b || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("terminalCell(%q) = %q keeps %U", s, got, r)
			}
		}
		if again := terminalCell(got, 1<<20); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if strings.ContainsAny(terminalText(s), "\x1b\u009b") {
			t.Fatalf("terminalText(%q) keeps an escape", s)
		}
	})
}

func TestEscapeInvisible(t *testing.T) {
	in := map[string]string{"text": "a\u009b2J b\u202ec\u200bd\U000e0041e \x1b[31m é 東京 del\x7f"}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		t.Fatal(err)
	}
	got := escapeInvisible([]byte(buf.String()))
	for _, r := range string(got) {
		if r == 0x1b || unicode.Is(unicode.Cc, r) && r != '\n' || unicode.Is(unicode.Cf, r) {
			t.Errorf("output keeps %U: %s", r, got)
		}
	}
	for _, want := range []string{`\u009b`, `\u202e`, `\u200b`, `\udb40\udc41`, "é 東京", `del\u007f`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("output lacks %s: %s", want, got)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil || back["text"] != in["text"] {
		t.Errorf("decodes to %q, %v; want %q", back["text"], err, in["text"])
	}
	if plain := []byte(`{"a":"b"}`); &escapeInvisible(plain)[0] != &plain[0] {
		t.Errorf("plain JSON was copied")
	}
}
