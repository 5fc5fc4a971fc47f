package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestNewToken(t *testing.T) {
	id1, tok1, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	id2, tok2, _ := NewToken()
	if id1 == id2 || tok1 == tok2 {
		t.Fatalf("two tokens alike: %s %s / %s %s", id1, tok1, id2, tok2)
	}
	if !strings.HasPrefix(tok1, TokenPrefix) || len(tok1) < len(TokenPrefix)+22 {
		t.Fatalf("token %q: want prefix %s and at least 128 bits", tok1, TokenPrefix)
	}
	if len(Hash(tok1)) != 32 || string(Hash(tok1)) == string(Hash(tok2)) {
		t.Fatal("hash is not a distinct SHA-256")
	}
}

func TestParseExpiry(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "30d": 30 * 24 * time.Hour, "720h": 720 * time.Hour, "90m": 90 * time.Minute, "1s": time.Second,
		"106751d": 106751 * 24 * time.Hour} {
		got, err := ParseExpiry(in)
		if err != nil || got != want {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "0", " ", "-1d", "0d", "0s", "-5h", "3w", "106752d", "200000d", "1ms", "999ms", "1ns"} {
		if _, err := ParseExpiry(in); err == nil || !strings.Contains(err.Error(), "expires") {
			t.Errorf("ParseExpiry(%q) = %v, want an error naming expires", in, err)
		}
	}
}

func TestContext(t *testing.T) {
	if _, ok := From(context.Background()); ok {
		t.Fatal("principal in an empty context")
	}
	p := Principal{TokenID: "tok_1", Agent: "@a.b", Role: RoleAgent}
	got, ok := From(With(context.Background(), p))
	if !ok || got != p {
		t.Fatalf("From(With(p)) = %v, %v", got, ok)
	}
	if p.MayBroadcast() || !(Principal{Role: RoleAdmin}).MayBroadcast() || !(Principal{Role: RoleAgent, CanBroadcast: true}).MayBroadcast() {
		t.Fatal("MayBroadcast wrong")
	}
	if _, err := ParseRole("root"); err == nil {
		t.Fatal("ParseRole accepted root")
	}
}
