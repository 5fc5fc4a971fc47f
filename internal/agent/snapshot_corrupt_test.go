package agent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

// seal puts a valid header on a body, so that damage inside the body
// reaches the structural checks instead of failing the checksum.
func seal(body []byte) []byte {
	out := make([]byte, snapshotHeader, snapshotHeader+len(body))
	copy(out, snapshotMagic)
	binary.LittleEndian.PutUint32(out[8:], snapshotVersion)
	binary.LittleEndian.PutUint32(out[12:], checksum(body))
	binary.LittleEndian.PutUint64(out[16:], uint64(len(body)))
	return append(out, body...)
}

func fixtureSnapshot(t testing.TB) []byte {
	t.Helper()
	c, warns := mustLoad(t, snapshotFixture())
	data, err := EncodeSnapshot(c, warns)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func wantSnapshotError(t *testing.T, data []byte, substr string) {
	t.Helper()
	c, w, err := DecodeSnapshot(data)
	if err == nil {
		t.Fatalf("DecodeSnapshot succeeded (%d agents, %d warnings), want an error containing %q", c.Len(), len(w), substr)
	}
	if !errors.Is(err, ErrSnapshot) {
		t.Errorf("error %v does not wrap ErrSnapshot", err)
	}
	if c != nil || w != nil {
		t.Errorf("error %v came with a catalog or warnings", err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("error %q does not contain %q", err, substr)
	}
}

func TestDecodeSnapshotBadHeader(t *testing.T) {
	good := fixtureSnapshot(t)
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"nil", nil, "shorter than the 24-byte header"},
		{"short", good[:snapshotHeader-1], "shorter than the 24-byte header"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'M'; return b }), "magic"},
		{"not a snapshot", []byte(strings.Repeat("---\nname: x\n", 4)), "magic"},
		{"version", edit(func(b []byte) []byte { b[8]++; return b }), "format version 2, this program reads version 1"},
		{"trailing byte", append(bytes.Clone(good), 0), "body length"},
		{"truncated", good[:len(good)-1], "body length"},
		{"flipped bit in text", edit(func(b []byte) []byte { b[snapshotHeader+10] ^= 4; return b }), "checksum"},
		{"flipped bit in tables", edit(func(b []byte) []byte { b[len(b)-3] ^= 1; return b }), "checksum"},
		{"blob length", seal([]byte{0xff, 0xff, 0xff, 0xff, 0}), "blob length 4294967295 exceeds the 1 bytes left"},
		{"checksum", edit(func(b []byte) []byte { b[12]++; return b }), "checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantSnapshotError(t, tt.data, tt.want) })
	}
}

// TestDecodeSnapshotChecksumWhileDecoding damages a snapshot big enough
// for the checksum to run beside the decoder: the checksum error must win
// over whatever the decoder made of the damage.
func TestDecodeSnapshotChecksumWhileDecoding(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	big := strings.Repeat("body line\n", 40000)
	c, warns := mustLoad(t, []Source{{Label: "dir", Root: "r", FS: fstest.MapFS{
		"big.md":   {Data: []byte("---\nname: big\ndescription: d\n---\n" + big)},
		"small.md": agentFile("small", "s", "aliases: [tiny]"),
	}}})
	good, err := EncodeSnapshot(c, warns)
	if err != nil {
		t.Fatal(err)
	}
	if len(good) < 1<<18 {
		t.Fatalf("snapshot of %d bytes is too small to checksum in parallel", len(good))
	}
	if _, _, err := DecodeSnapshot(good); err != nil {
		t.Fatalf("intact: %v", err)
	}
	for _, off := range []int{snapshotHeader + 1000, len(good) - 5, len(good) - 40, len(good) / 2} {
		bad := bytes.Clone(good)
		bad[off] ^= 0x10
		wantSnapshotError(t, bad, "checksum")
	}
}

// TestDecodeSnapshotTruncated cuts a snapshot at every offset, first as
// is, then with a header matching the cut body.
func TestDecodeSnapshotTruncated(t *testing.T) {
	good := fixtureSnapshot(t)
	for n := range len(good) {
		if _, _, err := DecodeSnapshot(good[:n]); err == nil {
			t.Fatalf("cut at %d of %d: no error", n, len(good))
		}
	}
	body := good[snapshotHeader:]
	for n := range len(body) {
		if _, _, err := DecodeSnapshot(seal(body[:n])); err == nil {
			t.Fatalf("body cut at %d of %d and resealed: no error", n, len(body))
		}
	}
}

// bodyWriter builds snapshot bodies by hand for the structural checks.
type bodyWriter struct{ snapEncoder }

func newBodyWriter() *bodyWriter { return &bodyWriter{snapEncoder{strs: map[string]uint32{}}} }

func (w *bodyWriter) snapshot() []byte { return frameSnapshot(w.blob, w.tab) }

// header writes one source, no warnings and the agent and item counts.
func (w *bodyWriter) header(agents, items uint32) {
	w.u32(1)
	w.str("dir")
	w.str("/r")
	w.u32(0)
	w.u32(agents)
	w.u32(items)
}

// agent writes an agent with the given name and flags and nothing else
// but what extra writes.
func (w *bodyWriter) agent(src uint32, flags byte, name string, extra func()) {
	w.u32(src)
	w.u8(flags)
	w.str(name)
	for range 7 {
		w.str("")
	}
	for range 5 {
		w.u32(0)
	}
	if extra != nil {
		extra()
	}
}

func TestDecodeSnapshotBadStructure(t *testing.T) {
	oneExtra := func(w *bodyWriter, value func()) {
		w.header(1, 0)
		w.agent(0, flagExtra, "a", func() {
			w.u32(1)
			w.str("k")
			value()
		})
	}
	tests := []struct {
		name  string
		build func(w *bodyWriter)
		want  string
	}{
		{"valid", func(w *bodyWriter) {
			w.header(2, 0)
			w.agent(0, flagLenient, "a", nil)
			w.agent(0, 0, "b", nil)
		}, ""},
		{"empty body", func(w *bodyWriter) {}, "truncated"},
		{"huge source count", func(w *bodyWriter) { w.u32(1 << 30) }, "sources cannot fit"},
		{"huge agent count", func(w *bodyWriter) { w.header(1<<30, 0) }, "agents cannot fit"},
		{"huge item count", func(w *bodyWriter) { w.header(0, 1<<30) }, "list items cannot fit"},
		{"string past blob", func(w *bodyWriter) {
			w.u32(1)
			w.ref(2, 1<<30)
			w.ref(0, 0)
		}, "overruns"},
		{"unknown flags", func(w *bodyWriter) {
			w.header(1, 0)
			w.agent(0, 0x80, "a", nil)
		}, "unknown flags"},
		{"source index", func(w *bodyWriter) {
			w.header(1, 0)
			w.agent(1, 0, "a", nil)
		}, "source index 1, there are 1 sources"},
		{"empty name", func(w *bodyWriter) {
			w.header(1, 0)
			w.agent(0, 0, "", nil)
		}, "empty name"},
		{"duplicate name", func(w *bodyWriter) {
			w.header(2, 0)
			w.agent(0, 0, "a", nil)
			w.agent(0, 0, "a", nil)
		}, `name "a" appears twice`},
		{"list past item table", func(w *bodyWriter) {
			w.header(1, 1)
			w.u32(0)
			w.u8(0)
			w.str("a")
			for range 7 {
				w.str("")
			}
			w.u32(3) // two items, one in the table
			w.str("x")
			w.str("y")
			for range 4 {
				w.u32(0)
			}
		}, "overruns the 1-item table"},
		{"unused items", func(w *bodyWriter) {
			w.header(1, 2)
			w.agent(0, 0, "a", nil)
			w.u64(0)
			w.u64(0)
		}, "lists hold 0 items, the table says 2"},
		{"trailing bytes", func(w *bodyWriter) {
			w.header(1, 0)
			w.agent(0, 0, "a", nil)
			w.u8(0)
		}, "1 unread bytes"},
		{"value tag", func(w *bodyWriter) { oneExtra(w, func() { w.u8(200) }) }, "unknown Extra value tag 200"},
		{"unhashable key", func(w *bodyWriter) {
			oneExtra(w, func() {
				w.u8(tagAnyMap)
				w.u32(1)
				w.u8(tagList)
				w.u32(0)
				w.u8(tagNil)
			})
		}, "map key of type []interface {}"},
		{"too deep", func(w *bodyWriter) {
			oneExtra(w, func() {
				for range maxValueDepth + 1 {
					w.u8(tagList)
					w.u32(1)
				}
				w.u8(tagNil)
			})
		}, "nested deeper than 100 levels"},
		{"bad time", func(w *bodyWriter) {
			oneExtra(w, func() {
				w.u8(tagTime)
				w.u8(3)
				w.tab = append(w.tab, 9, 9, 9)
			})
		}, "time value"},
		{"truncated time", func(w *bodyWriter) {
			oneExtra(w, func() {
				w.u8(tagTime)
				w.u8(15)
			})
		}, "truncated time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newBodyWriter()
			tt.build(w)
			data := w.snapshot()
			if tt.want == "" {
				if _, _, err := DecodeSnapshot(data); err != nil {
					t.Fatalf("valid body: %v", err)
				}
				return
			}
			wantSnapshotError(t, data, tt.want)
		})
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(fixtureSnapshot(f))
	small, warns := mustLoad(f, []Source{{Label: "dir", Root: "r", FS: snapshotFixture()[1].FS}})
	data, err := EncodeSnapshot(small, warns)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeAndUse(t, data)
		if len(data) >= snapshotHeader {
			// Most mutations only break the checksum; resealed, they
			// reach the structural checks.
			decodeAndUse(t, seal(data[snapshotHeader:]))
		}
	})
}

// decodeAndUse decodes data and, if it is accepted, uses the catalog
// every way a server does, then checks that it encodes again.
func decodeAndUse(t *testing.T, data []byte) {
	c, warns, err := DecodeSnapshot(data)
	if err != nil {
		return
	}
	for _, a := range c.All() {
		if got, ok := c.Get(a.Name); !ok || got != a {
			// A damaged name may not be normalised; Get must then
			// simply not find it.
			if n, err := Normalize(a.Name); err == nil && n == a.Name {
				t.Fatalf("Get(%q) = %v, %v", a.Name, got, ok)
			}
		}
		c.Suggest(a.Name+"x", 3)
	}
	c.CountBySource()
	again, err := EncodeSnapshot(c, warns)
	if err != nil {
		t.Fatalf("re-encoding an accepted snapshot: %v", err)
	}
	d, _, err := DecodeSnapshot(again)
	if err != nil || d.Len() != c.Len() {
		t.Fatalf("re-encoded snapshot: %v", err)
	}
}
