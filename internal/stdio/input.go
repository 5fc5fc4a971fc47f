package stdio

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/mcp-agents/mcp-agents/internal/server"
)

// input gives mcp-go's read loop the client's lines, one line per Read at
// most, so it can tell which requests mcp-go has been handed.
//
// It holds back the end of the client's input until every request handed
// over has been answered: when its read loop meets the end of input,
// mcp-go's Listen cancels the requests still running and drops the tool
// calls still queued (docs/upstream.md). A script that writes its requests
// and closes stdin gets every answer all the same.
type input struct {
	ctx context.Context
	src *bufio.Reader
	out *output
	log *slog.Logger

	buf  []byte // the current line, reused while it is small
	rest []byte // what mcp-go has not read of the current line
	err  error  // how the client's input ended

	// mcp-go calls Read on a new goroutine for each line, whose small stack
	// was grown again and again by the work below (decoding the id): a
	// third of what this wrapper cost per call (53k of 158k instructions
	// over mcp-go's own Listen, callgrind). One long-lived goroutine reads
	// the next line when Read asks for it, so no line is read ahead.
	start sync.Once
	want  chan struct{} // Read asks for the next line; closed at the end of input
	ready chan struct{} // the line is in rest, or err is set
}

func (in *input) Read(p []byte) (int, error) {
	for len(in.rest) == 0 {
		if in.err != nil {
			in.out.waitAnswered(in.ctx)
			return 0, in.err
		}
		in.start.Do(func() {
			in.want, in.ready = make(chan struct{}), make(chan struct{})
			go func() {
				for range in.want {
					in.next()
					in.ready <- struct{}{}
				}
			}()
		})
		in.want <- struct{}{}
		<-in.ready
		if in.err != nil {
			close(in.want)
		}
	}
	n := copy(p, in.rest)
	in.rest = in.rest[n:]
	return n, nil
}

// next reads the client's next line into rest, or records how input ended.
func (in *input) next() {
	line, long, err := in.readLine()
	in.err = err
	switch {
	case long:
		in.log.Warn("refused a request line over the size limit", "limit", MaxLine)
		in.out.refuse(line, fmt.Sprintf("request too large: a message may be at most %d bytes (4 MiB) on one line; it was not read", MaxLine))
	case len(bytes.TrimSpace(line)) == 0:
		// Blank lines would each get a parse error from mcp-go.
	default:
		if answer := server.CheckRequest(line); answer != nil {
			// mcp-go would serve this wrongly (a malformed URI as an
			// internal error, a misspelt prompt argument dropped).
			if len(answer) > 0 {
				in.out.send(answer)
			}
			return
		}
		if line[len(line)-1] != '\n' {
			// mcp-go drops a last line that has no newline.
			line = append(line, '\n')
		}
		if in.out.expect(line) {
			in.rest = line
		}
	}
}

// readLine reads through the next newline. A line longer than MaxLine is
// read to its end, but only its first MaxLine bytes are kept (long is set).
func (in *input) readLine() (line []byte, long bool, err error) {
	line = in.buf[:0]
	for {
		frag, err := in.src.ReadSlice('\n')
		if !long && len(line)+len(frag) > MaxLine+1 {
			long = true
		}
		if !long {
			line = append(line, frag...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if !long && len(bytes.TrimSuffix(line, []byte{'\n'})) > MaxLine {
			long = true
		}
		if cap(line) <= 64<<10 {
			in.buf = line // one huge line must not stay pinned
		}
		return line, long, err
	}
}
