package diskcache

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestReadWrite(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "nested", "cache"))
	got, err := d.Read("a")
	if got != nil || err != nil {
		t.Fatalf("miss: %q, %v", got, err)
	}
	if err := d.Write("a", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write("a", []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, err = d.Read("a")
	if string(got) != "two" || err != nil {
		t.Fatalf("after replace: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(string(d))
	if len(entries) != 1 {
		t.Errorf("want only the entry, found %d files", len(entries))
	}
}

func TestRejectsBadNames(t *testing.T) {
	d := Dir(t.TempDir())
	for _, name := range []string{"", "../x", "a/b", `a\b`, ".hidden"} {
		if err := d.Write(name, nil); err == nil {
			t.Errorf("Write(%q): want an error", name)
		}
		if _, err := d.Read(name); err == nil {
			t.Errorf("Read(%q): want an error", name)
		}
	}
	if _, err := Dir("").Read("a"); err == nil {
		t.Error("zero Dir: want an error")
	}
}

func TestKeepsNewest(t *testing.T) {
	d := Dir(t.TempDir())
	base := time.Now().Add(-time.Hour)
	for i := range keep + 3 {
		name := fmt.Sprintf("e%02d", i)
		if err := d.Write(name, []byte(name)); err != nil {
			t.Fatal(err)
		}
		// Distinct times, oldest first, whatever the file system's resolution.
		stamp := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(filepath.Join(string(d), name), stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Write("last", []byte("x")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(string(d))
	if len(entries) != keep {
		t.Fatalf("%d entries kept, want %d", len(entries), keep)
	}
	for i := range 4 {
		if got, _ := d.Read(fmt.Sprintf("e%02d", i)); got != nil {
			t.Errorf("old entry e%02d survived", i)
		}
	}
	if got, _ := d.Read("last"); string(got) != "x" {
		t.Error("newest entry missing")
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
				if err := d.Write("shared", versions[i%2]); err != nil {
					t.Error(err)
				}
				got, err := d.Read("shared")
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

// What Read returned stays intact while the entry is replaced, pruned or
// removed: on Linux it is a mapping of the file, so this would fault or
// change if the cache ever rewrote a file in place.
func TestReadSurvivesReplacement(t *testing.T) {
	d := Dir(t.TempDir())
	first := bytes.Repeat([]byte("first entry content "), 4096) // several pages
	if err := d.Write("e", first); err != nil {
		t.Fatal(err)
	}
	got, err := d.Read("e")
	if err != nil || !bytes.Equal(got, first) {
		t.Fatalf("read: %d bytes, %v", len(got), err)
	}
	if err := d.Write("e", []byte("second")); err != nil {
		t.Fatal(err)
	}
	for i := range keep + 2 { // prune removes "e" once it is the oldest
		time.Sleep(2 * time.Millisecond)
		if err := d.Write(fmt.Sprintf("other%d", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(string(d)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, first) {
		t.Error("content read earlier changed after the entry was replaced and removed")
	}

	if err := d.Write("empty", nil); err != nil {
		t.Fatal(err)
	}
	if empty, err := d.Read("empty"); err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("empty entry: %q (nil %v), %v; want an empty, non-nil entry", empty, empty == nil, err)
	}
}
