package agent

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "ops.containers", want: "ops.containers"},
		{in: "@Ops.Containers", want: "ops.containers"},
		{in: "  @BACKEND_rust-2 \n", want: "backend_rust-2"},
		{in: "0day", want: "0day"},
		{in: "a", want: "a"},
		{in: strings.Repeat("a", 128), want: strings.Repeat("a", 128)},
		{in: strings.Repeat("a", 129), wantErr: true},
		{in: "", wantErr: true},
		{in: "@", wantErr: true},
		{in: "@@x", wantErr: true},
		{in: "a/b", wantErr: true},
		{in: `a\b`, wantErr: true},
		{in: "has space", wantErr: true},
		{in: "tab\there", wantErr: true},
		{in: "nul\x00", wantErr: true},
		{in: ".hidden", wantErr: true},
		{in: "-flag", wantErr: true},
		{in: "_x", wantErr: true},
		{in: "..", wantErr: true},
		{in: "caf\u00e9", wantErr: true},
		{in: "\u212aube", wantErr: true}, // Kelvin sign must not fold to "k"
		{in: "a:b", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Normalize(%q) = %q, want error", tt.in, got)
				continue
			}
			if !errors.Is(err, ErrInvalidName) {
				t.Errorf("Normalize(%q) error %v does not wrap ErrInvalidName", tt.in, err)
			}
			if !strings.Contains(err.Error(), NamePattern) {
				t.Errorf("Normalize(%q) error %q does not state the rule", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeErrorText(t *testing.T) {
	_, err := Normalize("a/b")
	want := `invalid agent name "a/b": after dropping "@" and lowercasing, it must match ^[a-z0-9][a-z0-9._-]{0,127}$`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestCanonicalHandle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ops.containers", "@ops.containers"},
		{"@Ops.Containers", "@ops.containers"},
		{" @X ", "@x"},
	}
	for _, tt := range tests {
		if got, err := CanonicalHandle(tt.in); err != nil || got != tt.want {
			t.Errorf("CanonicalHandle(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := CanonicalHandle("a b"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("CanonicalHandle(%q) error = %v, want ErrInvalidName", "a b", err)
	}
}
