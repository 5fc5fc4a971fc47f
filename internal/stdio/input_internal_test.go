package stdio

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
)

// FuzzInput: mcp-go is handed every non-blank line of the client's input,
// whole and in order, each ending in a newline, even the last.
func FuzzInput(f *testing.F) {
	f.Add([]byte("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n\n  \nnot json\n{\"id\":2}"))
	f.Add([]byte("\r\n\n\n"))
	f.Add([]byte("a\nb"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // nothing answers here: the end of input is not held back
		in := &input{ctx: ctx, src: bufio.NewReaderSize(bytes.NewReader(data), 16), out: &output{w: io.Discard}, log: slog.New(slog.DiscardHandler)}
		got, err := io.ReadAll(in)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for line := range bytes.Lines(data) {
			if len(bytes.TrimSpace(line)) > 0 {
				want = append(want, bytes.TrimSuffix(line, []byte{'\n'})...)
				want = append(want, '\n')
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("handed mcp-go %q, want %q", got, want)
		}
	})
}
