package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// ServeStdio serves srv to one client over newline-delimited JSON-RPC on in
// and out until in ends or ctx is cancelled.
//
// mcp-go's StdioServer hands every line to a fresh goroutine and every tool
// call to a worker pool, and encodes results in several passes; on a 2-core
// machine those handoffs and passes cost more than a search or a flag write
// does. Here the protocol itself is still mcp-go's (HandleMessage does the
// decoding, dispatch and errors); only the transport is thinner: a request
// is answered on the goroutine that read it, unless it takes long enough
// that another goroutine should take over reading (see takeover), and tool
// results this package built are written in one pass. Methods outside
// inlineMethods, which might block indefinitely, run on their own goroutine
// and are cancelled when serving ends.
func ServeStdio(ctx context.Context, srv *server.MCPServer, in io.Reader, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sess := &stdioSession{notifications: make(chan mcp.JSONRPCNotification, 64)}
	if err := srv.RegisterSession(ctx, sess); err != nil {
		return fmt.Errorf("register session: %w", err)
	}
	defer srv.UnregisterSession(ctx, sess.SessionID())
	ctx = srv.WithContext(ctx, sess)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	t := &transport{srv: srv, out: out, log: log, in: bufio.NewReaderSize(in, 64<<10), done: make(chan error, 1)}
	go t.forwardNotifications(ctx, sess.notifications)

	// Reading runs apart from this goroutine so that cancellation can end
	// serving while a read is blocked.
	t.loops.Go(func() { t.serve(ctx) })
	var err error
	select {
	case err = <-t.done:
		// Stdin ended and no one reads any more: let requests still running
		// finish and answer.
		t.loops.Wait()
	case <-ctx.Done():
		err = ctx.Err()
	}
	cancel()
	t.requests.Wait()
	return err
}

// takeover is how long a request may run on the reading goroutine before
// another goroutine takes over reading, so that the client's next messages
// (notifications/cancelled for this very request, a ping) are not held up
// by a request waiting on a busy database.
const takeover = 20 * time.Millisecond

// inlineMethods are answered on the reading goroutine: none of them waits
// on anything but this process's own work and, at worst, a busy database.
var inlineMethods = map[string]bool{
	string(mcp.MethodInitialize):             true,
	string(mcp.MethodPing):                   true,
	string(mcp.MethodToolsList):              true,
	string(mcp.MethodToolsCall):              true,
	string(mcp.MethodPromptsList):            true,
	string(mcp.MethodPromptsGet):             true,
	string(mcp.MethodResourcesList):          true,
	string(mcp.MethodResourcesTemplatesList): true,
	string(mcp.MethodResourcesRead):          true,
}

type transport struct {
	srv *server.MCPServer
	log *slog.Logger

	// in is read by one goroutine at a time: the one running serve that
	// has not handed reading over.
	in       *bufio.Reader
	done     chan error     // the end of input, from whichever goroutine met it
	loops    sync.WaitGroup // goroutines running serve
	requests sync.WaitGroup // requests served off the read loop

	mu  sync.Mutex // one message at a time on out
	out io.Writer
	buf bytes.Buffer
}

// serve reads messages and answers each in turn on this goroutine, which
// costs no handoff between goroutines on the common, fast path. When a
// request runs longer than takeover, a new goroutine takes over reading and
// this one ends once its request is answered.
func (t *transport) serve(ctx context.Context) {
	for {
		line, err := readLine(t.in)
		if len(bytes.TrimSpace(line)) > 0 && ctx.Err() == nil {
			// A copy, as the reader's buffer is reused once reading moves on.
			if !t.dispatch(ctx, bytes.Clone(line)) {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("reading stdin: %w", err)
			} else {
				err = nil
			}
			t.done <- err
			return
		}
		if ctx.Err() != nil {
			t.done <- ctx.Err()
			return
		}
	}
}

// readLine returns the next line without its newline. The slice is valid
// until the next read; a line longer than the buffer is copied together.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return bytes.TrimSuffix(line, []byte{'\n'}), err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = r.ReadSlice('\n')
		long = append(long, line...)
	}
	return bytes.TrimSuffix(long, []byte{'\n'}), err
}

// envelope is what dispatch needs to route a message.
type envelope struct {
	Method string          `json:"method"`
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// dispatch answers one message and reports whether this goroutine still
// owns reading.
func (t *transport) dispatch(ctx context.Context, msg []byte) bool {
	var env envelope
	err := json.Unmarshal(msg, &env)
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		// As mcp-go's transport answers it (HandleMessage words it differently).
		t.write(mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.PARSE_ERROR, "Parse error", nil))
		return true
	}
	switch {
	case err == nil && env.Method == "" && (env.Result != nil || env.Error != nil):
		// A response to a server-initiated request; this server sends none.
		t.log.Debug("ignoring a response from the client", "id", string(env.ID))
		return true
	case env.ID == nil || env.Method == "":
		t.handle(ctx, msg) // notifications, and what mcp-go will refuse
		return true
	case !inlineMethods[env.Method]:
		t.requests.Go(func() { t.handle(ctx, msg) })
		return true
	}
	handover := time.AfterFunc(takeover, func() { t.loops.Go(func() { t.serve(ctx) }) })
	t.handle(ctx, msg)
	return handover.Stop()
}

// handle runs one message through mcp-go and writes its response, if any.
// A panic becomes an internal error for that request, not the end of the
// session.
func (t *transport) handle(ctx context.Context, msg []byte) {
	var resp mcp.JSONRPCMessage
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.log.Error("panic while handling a message", "panic", r)
				var env envelope
				_ = json.Unmarshal(msg, &env)
				if env.ID != nil {
					var id any
					_ = json.Unmarshal(env.ID, &id)
					resp = mcp.NewJSONRPCError(mcp.NewRequestId(id), mcp.INTERNAL_ERROR, "internal error", nil)
				}
			}
		}()
		resp = t.srv.HandleMessage(ctx, msg)
	}()
	if resp != nil {
		t.write(resp)
	}
}

func (t *transport) forwardNotifications(ctx context.Context, ch <-chan mcp.JSONRPCNotification) {
	for {
		select {
		case n := <-ch:
			t.write(n)
		case <-ctx.Done():
			return
		}
	}
}

func (t *transport) write(msg mcp.JSONRPCMessage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Reset()
	if err := appendMessage(&t.buf, msg); err != nil {
		t.log.Error("encoding a response", "err", err)
		return
	}
	t.buf.WriteByte('\n')
	if _, err := t.out.Write(t.buf.Bytes()); err != nil {
		t.log.Debug("writing to stdout", "err", err)
	}
	if t.buf.Cap() > 1<<20 {
		t.buf = bytes.Buffer{} // do not pin one huge answer's memory
	}
}

// stdioSession is the one client of a stdio server.
type stdioSession struct {
	notifications chan mcp.JSONRPCNotification
	initialized   atomic.Bool
	logLevel      atomic.Value // mcp.LoggingLevel

	mu              sync.RWMutex
	clientInfo      mcp.Implementation
	clientCaps      mcp.ClientCapabilities
	protocolVersion string
}

var (
	_ server.SessionWithLogging         = (*stdioSession)(nil)
	_ server.SessionWithClientInfo      = (*stdioSession)(nil)
	_ server.SessionWithProtocolVersion = (*stdioSession)(nil)
)

func (s *stdioSession) SessionID() string { return "stdio" }

func (s *stdioSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return s.notifications
}

func (s *stdioSession) Initialize()       { s.initialized.Store(true) }
func (s *stdioSession) Initialized() bool { return s.initialized.Load() }

func (s *stdioSession) SetLogLevel(level mcp.LoggingLevel) { s.logLevel.Store(level) }

func (s *stdioSession) GetLogLevel() mcp.LoggingLevel {
	if l, ok := s.logLevel.Load().(mcp.LoggingLevel); ok {
		return l
	}
	return mcp.LoggingLevelError
}

func (s *stdioSession) GetClientInfo() mcp.Implementation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.clientInfo
}

func (s *stdioSession) SetClientInfo(info mcp.Implementation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientInfo = info
}

func (s *stdioSession) GetClientCapabilities() mcp.ClientCapabilities {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.clientCaps
}

func (s *stdioSession) SetClientCapabilities(caps mcp.ClientCapabilities) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientCaps = caps
}

func (s *stdioSession) ProtocolVersion() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.protocolVersion
}

// SetProtocolVersion is how mcp-go records the version negotiated at
// initialize.
func (s *stdioSession) SetProtocolVersion(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.protocolVersion = v
}
