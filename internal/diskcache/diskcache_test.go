package diskcache

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func key(i int) string { return fmt.Sprintf("%032x", i) }

func TestReadWrite(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "nested", "cache"))
	got, err := d.Read(key(1))
	if got != nil || err != nil {
		t.Fatalf("miss: %q, %v", got, err)
	}
	if err := d.Write(key(1), []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(key(1), []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, err = d.Read(key(1))
	if string(got) != "two" || err != nil {
		t.Fatalf("after replace: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(string(d))
	if len(entries) != 1 || entries[0].Name() != key(1)+".entry" {
		t.Errorf("want only the entry, found %v", entries)
	}
	if err := d.Write(key(2), nil); err != nil {
		t.Fatal(err)
	}
	if empty, err := d.Read(key(2)); err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("empty entry: %q (nil %v), %v; want an empty, non-nil entry", empty, empty == nil, err)
	}
}

func TestRejectsBadKeys(t *testing.T) {
	d := Dir(t.TempDir())
	for _, k := range []string{"", "../x", "a/b", `a\b`, ".hidden", strings.ToUpper(key(0xabc)), key(1) + "0", key(1)[1:], "g" + key(1)[1:]} {
		if err := d.Write(k, nil); err == nil {
			t.Errorf("Write(%q): want an error", k)
		}
		if _, err := d.Read(k); err == nil {
			t.Errorf("Read(%q): want an error", k)
		}
	}
	if _, err := Dir("").Read(key(1)); err == nil {
		t.Error("zero Dir: want an error")
	}
}

// A truncated, modified, empty or foreign entry is a damaged-entry error,
// never content, and writing the entry again repairs it.
func TestDamagedEntries(t *testing.T) {
	d := Dir(t.TempDir())
	content := bytes.Repeat([]byte("cache entry content "), 1000)
	path := filepath.Join(string(d), key(7)+".entry")
	for name, damage := range map[string]func([]byte) []byte{
		"truncated":    func(b []byte) []byte { return b[:len(b)/2] },
		"one byte":     func(b []byte) []byte { return b[:1] },
		"empty":        func([]byte) []byte { return nil },
		"flipped bit":  func(b []byte) []byte { b[100] ^= 4; return b },
		"checksum bit": func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"foreign":      func([]byte) []byte { return []byte("SQLite format 3\x00 and so on") },
		"appended":     func(b []byte) []byte { return append(b, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := d.Write(key(7), content); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := d.Read(key(7))
			if got != nil || !errors.Is(err, ErrDamaged) {
				t.Fatalf("Read of a damaged entry: %d bytes, %v; want nil, ErrDamaged", len(got), err)
			}
			if err := d.Write(key(7), content); err != nil {
				t.Fatal(err)
			}
			if got, err := d.Read(key(7)); err != nil || !bytes.Equal(got, content) {
				t.Fatalf("after rewriting: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestKeepsNewest(t *testing.T) {
	d := Dir(t.TempDir())
	base := time.Now().Add(-time.Hour)
	for i := range Keep + 3 {
		if err := d.Write(key(i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		// Distinct times, oldest first, whatever the file system's resolution.
		stamp := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(filepath.Join(string(d), key(i)+".entry"), stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Write(key(100), []byte("x")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(string(d))
	if len(entries) != Keep {
		t.Fatalf("%d entries kept, want %d", len(entries), Keep)
	}
	for i := range 4 {
		if got, _ := d.Read(key(i)); got != nil {
			t.Errorf("old entry %d survived", i)
		}
	}
	if got, _ := d.Read(key(100)); string(got) != "x" {
		t.Error("newest entry missing")
	}
}

// Pruning removes only what Write creates: entries and stale temporary
// files with exactly its names. Anything else sharing the directory (a
// database, say) survives however old it is and however many entries
// come and go.
func TestPruneRemovesOnlyItsOwnFiles(t *testing.T) {
	dir := t.TempDir()
	d := Dir(dir)
	old := time.Now().Add(-48 * time.Hour)
	foreign := []string{
		"agents.db", "agents.db-wal", "agents.db-shm", "notes.txt",
		key(1) + ".catalog", key(1) + ".index", // an older version's entries
		strings.ToUpper(key(0xabc)) + ".entry", key(3) + "0.entry", key(4) + ".entry.bak", "x" + key(5) + ".entry",
		".tmp-" + key(6) + ".entry", ".tmp-" + key(6) + ".entry-12a", ".tmp-other-123", ".tmp-" + key(6) + ".entry-",
	}
	for _, name := range foreign {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("not the cache's"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, key(8)+".entry"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A link named like an entry, to a file elsewhere: neither is the cache's.
	outside := filepath.Join(t.TempDir(), "agents.db")
	if err := os.WriteFile(outside, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, key(11)+".entry")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".tmp-"+key(9)+".entry-4242")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, ".tmp-"+key(9)+".entry-4243") // a writer at work
	if err := os.WriteFile(fresh, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	for i := range 3 * Keep {
		if err := d.Write(key(1000+i), []byte("entry")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the file a link pointed to was removed: %v", err)
	}
	for _, name := range append(foreign, key(8)+".entry", key(11)+".entry") {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a stale temporary file survived")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a fresh temporary file was removed")
	}
	n := 0
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if isEntry(e.Name()) && e.Type().IsRegular() {
			n++
		}
	}
	if n != Keep {
		t.Errorf("%d entries kept, want %d", n, Keep)
	}
}

func TestDefaultIsItsOwnDirectory(t *testing.T) {
	base, err := os.UserCacheDir()
	if err != nil {
		t.Skip("no user cache directory:", err)
	}
	if got, want := string(Default()), filepath.Join(base, "mcp-agents", "startup-cache"); got != want {
		t.Errorf("Default() = %q, want %q", got, want)
	}
}

// Readers racing with writers of the same entry see one complete version.
func TestConcurrentWriters(t *testing.T) {
	d := Dir(t.TempDir())
	versions := [][]byte{bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 1<<20)}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				if err := d.Write(key(1), versions[i%2]); err != nil {
					t.Error(err)
				}
				got, err := d.Read(key(1))
				if err != nil {
					t.Error(err)
				} else if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
					t.Error("read a torn entry")
				}
			}
		})
	}
	wg.Wait()
}

// WriteWith streams an entry; one whose writing fails leaves the previous
// entry and no temporary file behind.
func TestWriteWith(t *testing.T) {
	d := Dir(t.TempDir())
	big := bytes.Repeat([]byte("0123456789abcdef"), 10000) // past bufio's buffer
	if err := d.WriteWith(key(1), func(w io.Writer) error { _, err := w.Write(big); return err }); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Read(key(1)); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read back %d bytes, %v; want %d", len(got), err, len(big))
	}
	failed := errors.New("encoder failed")
	if err := d.WriteWith(key(1), func(w io.Writer) error { w.Write([]byte("partial")); return failed }); !errors.Is(err, failed) {
		t.Fatalf("failing write: %v", err)
	}
	if got, err := d.Read(key(1)); err != nil || !bytes.Equal(got, big) {
		t.Errorf("after a failed write: %d bytes, %v; want the previous entry", len(got), err)
	}
	if entries, _ := os.ReadDir(string(d)); len(entries) != 1 {
		t.Errorf("want only the entry, found %v", entries)
	}
}

// An entry that is no regular file is damaged, at once: a FIFO put in its
// place made start-up wait for a writer forever.
func TestEntryNotARegularFile(t *testing.T) {
	for name, create := range map[string]func(path string) error{
		"directory": func(path string) error { return os.Mkdir(path, 0o755) },
		"fifo": func(path string) error {
			if _, err := exec.LookPath("mkfifo"); err != nil {
				t.Skip("no mkfifo here")
			}
			return exec.Command("mkfifo", path).Run()
		},
	} {
		t.Run(name, func(t *testing.T) {
			d := Dir(t.TempDir())
			if err := create(filepath.Join(string(d), key(3)+".entry")); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := d.Read(key(3))
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("Read: %v, want ErrDamaged", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Read of the entry is still waiting after 5 s")
			}
		})
	}
}
