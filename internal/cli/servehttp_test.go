package cli

import (
	"net"
	"testing"
)

func TestAdvertisedAddr(t *testing.T) {
	tcp := func(ip string, port int) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: port} }
	for _, tc := range []struct {
		given     string
		listening net.Addr
		want      string
	}{
		{"127.0.0.1:8765", tcp("127.0.0.1", 8765), "127.0.0.1:8765"},
		{"127.0.0.1:0", tcp("127.0.0.1", 41234), "127.0.0.1:41234"},
		{"localhost:8765", tcp("127.0.0.1", 8765), "localhost:8765"},
		{"0.0.0.0:8765", tcp("::", 8765), "0.0.0.0:8765"},
		{"[::1]:0", tcp("::1", 41234), "[::1]:41234"},
		{"mcp.example.com:443", tcp("10.0.0.5", 443), "mcp.example.com:443"},
		{":8765", tcp("::", 8765), "[::]:8765"}, // no host given: the listener's
	} {
		if got := advertisedAddr(tc.given, tc.listening); got != tc.want {
			t.Errorf("advertisedAddr(%q, %v) = %q, want %q", tc.given, tc.listening, got, tc.want)
		}
	}
}
