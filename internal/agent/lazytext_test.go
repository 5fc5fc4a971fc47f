package agent

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
)

// A catalog decoded from a snapshot reads an agent's text when it is
// asked for: from the agent's file while it is unchanged, else from the
// cache's texts (read once), else from the file as it is now, which must
// still define that agent.
func TestSnapshotTextsAreReadWhenNeeded(t *testing.T) {
	newFS := func() fstest.MapFS {
		return fstest.MapFS{
			"a.md":     agentFile("alpha", "Alpha."),
			"b.md":     agentFile("beta", "Beta."),
			"c.md":     agentFile("gamma", "Gamma."),
			"d.md":     agentFile("delta", "Delta."),
			"e.md":     agentFile("epsilon", "Epsilon."),
			"crlf.md":  {Data: []byte("\xef\xbb\xbf---\r\nname: crlf\r\ndescription: CRLF.\r\n---\r\n\r\nbody\r\n")},
			"empty.md": {Data: []byte("---\nname: empty\ndescription: no body\n---\n")},
		}
	}
	loaded := func(t *testing.T, fsys fstest.MapFS) (*Catalog, []Source) {
		t.Helper()
		srcs := []Source{{Label: "dir", Root: "agents", FS: fsys}}
		c, warns := mustLoad(t, srcs)
		if len(warns) > 0 {
			t.Fatalf("setup: %v", warns)
		}
		return c, srcs
	}
	// decoded returns the catalog a later start decodes, reading the
	// agent files from fsys and texts from the cache's entry.
	decoded := func(t *testing.T, c *Catalog, fsys fstest.MapFS, texts func(Texts) (Texts, error)) (*Catalog, *atomic.Int32) {
		t.Helper()
		s, tx := c.Snapshot(nil)
		s, tx = gobRoundTrip(t, s), gobRoundTrip(t, tx)
		reads := &atomic.Int32{}
		d, _, err := s.Catalog([]Source{{Label: "dir", Root: "agents", FS: fsys}}, func() (Texts, error) {
			reads.Add(1)
			return texts(tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		return d, reads
	}
	text := func(c *Catalog, name string) (string, string, error) {
		a, ok := c.Get(name)
		if !ok {
			t.Fatalf("%s is not in the catalog", name)
		}
		return a.Text()
	}
	same := func(tx Texts) (Texts, error) { return tx, nil }

	t.Run("from unchanged files, without the cache", func(t *testing.T) {
		fsys := newFS()
		c, _ := loaded(t, fsys)
		d, reads := decoded(t, c, fsys, same)
		for range 2 {
			for _, want := range c.All() {
				raw, body, err := text(d, want.Name)
				if err != nil || raw != want.Raw || body != want.Body {
					t.Errorf("%s: Text() = %q, %q, %v; want %q, %q", want.Name, raw, body, err, want.Raw, want.Body)
				}
			}
		}
		if n := reads.Load(); n != 0 {
			t.Errorf("the cache's texts were read %d times for unchanged files", n)
		}
	})

	t.Run("from the cache, once", func(t *testing.T) {
		fsys := newFS()
		c, _ := loaded(t, fsys)
		d, reads := decoded(t, c, fsys, same)
		if reads.Load() != 0 {
			t.Fatal("texts read before one was asked for")
		}
		// The files are gone: every text must come from the cache.
		for name := range fsys {
			delete(fsys, name)
		}
		for _, want := range c.All() {
			raw, body, err := text(d, want.Name)
			if err != nil || raw != want.Raw || body != want.Body {
				t.Errorf("%s: Text() = %q, %q, %v; want %q, %q", want.Name, raw, body, err, want.Raw, want.Body)
			}
		}
		if n := reads.Load(); n != 1 {
			t.Errorf("texts read %d times, want once", n)
		}
	})

	// Every file changed since: a cache that cannot give the texts the
	// catalog describes leaves the files' current versions.
	t.Run("without the cache, from the files", func(t *testing.T) {
		for name, texts := range map[string]func(Texts) (Texts, error){
			"unreadable": func(Texts) (Texts, error) { return Texts{}, errors.New("damaged cache entry") },
			"short":      func(tx Texts) (Texts, error) { return Texts{Raw: tx.Raw[1:], Body: tx.Body[1:]}, nil },
			"wrong texts": func(tx Texts) (Texts, error) {
				// Another catalog's texts: each fails its agent's sum.
				for i := range tx.Raw {
					tx.Raw[i] = "---\nname: mallory\ndescription: M.\n---\nnot yours\n"
				}
				return tx, nil
			},
		} {
			t.Run(name, func(t *testing.T) {
				fsys := newFS()
				c, _ := loaded(t, fsys)
				d, _ := decoded(t, c, fsys, texts)
				for name, f := range fsys {
					fsys[name] = &fstest.MapFile{Data: append(slices.Clone(f.Data), "Edited.\n"...)}
				}
				for _, a := range c.All() {
					raw, body, err := text(d, a.Name)
					if err != nil || raw != a.Raw+"Edited.\n" || body != a.Body+"Edited.\n" {
						t.Errorf("%s: Text() = %q, %q, %v; want the edited file", a.Name, raw, body, err)
					}
				}
			})
		}
	})

	t.Run("files changed since", func(t *testing.T) {
		fsys := newFS()
		c, _ := loaded(t, fsys)
		// From the cache, a changed file still gives the version the
		// catalog describes; without it, the file as it is now, or an
		// error when it does not define the agent any more.
		fromCache, _ := decoded(t, c, fsys, same)
		fromFiles, _ := decoded(t, c, fsys, func(Texts) (Texts, error) { return Texts{}, errors.New("no entry") })
		fsys["a.md"] = &fstest.MapFile{Data: []byte("---\nname: alpha\ndescription: Alpha, edited.\n---\nedited body\n")}
		fsys["b.md"] = agentFile("mallory", "Another agent in beta's file.")
		fsys["c.md"] = &fstest.MapFile{Data: []byte("---\nname: [unclosed\n---\n")}
		delete(fsys, "d.md")

		for _, a := range c.All() {
			raw, body, err := text(fromCache, a.Name)
			if err != nil || raw != a.Raw || body != a.Body {
				t.Errorf("from the cache: %s: Text() = %q, %q, %v; want %q, %q", a.Name, raw, body, err, a.Raw, a.Body)
			}
		}
		for _, tc := range []struct{ name, body, err string }{
			{"alpha", "edited body\n", ""},
			{"beta", "", "@beta: its file changed since the catalog was loaded and is being reloaded: agents/b.md now defines @mallory"},
			{"gamma", "", "@gamma: its file changed since the catalog was loaded and is being reloaded: agents/c.md: "},
			{"delta", "", "@delta: its file changed since the catalog was loaded and is being reloaded: agents/d.md: cannot read: "},
			{"epsilon", "body of epsilon\n", ""},
		} {
			_, body, err := text(fromFiles, tc.name)
			if tc.err == "" && (err != nil || body != tc.body) || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("from the files: %s: Text() body %q, %v; want %q, error %q", tc.name, body, err, tc.body, tc.err)
			}
		}
	})
}

// A catalog loaded from files has its texts at hand.
func TestLoadedTextsNeedNoReading(t *testing.T) {
	fsys := fstest.MapFS{"a.md": agentFile("alpha", "Alpha.")}
	c, _, err := Load(context.Background(), []Source{{Label: "dir", Root: "agents", FS: fsys}})
	if err != nil {
		t.Fatal(err)
	}
	delete(fsys, "a.md")
	a, _ := c.Get("alpha")
	if raw, body, err := a.Text(); err != nil || raw != a.Raw || body != "body of alpha\n" {
		t.Errorf("Text() = %q, %q, %v", raw, body, err)
	}
}
