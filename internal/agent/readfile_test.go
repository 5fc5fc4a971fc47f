package agent

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hiddenFS hides an FS's type, so readSourceFile goes through fs.FS.
type hiddenFS struct{ fs.FS }

// TestReadOSFileMatchesDirFS checks that reading an os.DirFS directly gives
// the data and error text of reading it through its fs.FS methods.
func TestReadOSFileMatchesDirFS(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", []byte("---\nname: a\ndescription: d\n---\nbody\n"))
	write("empty.md", nil)
	write("sub/deep.md", []byte("x"))
	write("max.md", []byte(strings.Repeat("x", MaxFileSize)))
	write("big.md", []byte(strings.Repeat("x", MaxFileSize+1)))
	if err := os.Mkdir(filepath.Join(dir, "dir.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"todir.md": "dir.md", "broken.md": "missing", "tofile.md": "a.md"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
	names := []string{"a.md", "empty.md", "sub/deep.md", "max.md", "big.md", "dir.md", "todir.md", "broken.md",
		"tofile.md", "missing.md", "sub", "../a.md", "/a.md", "a.md/", "sub//deep.md", ".", ""}
	if os.Getuid() != 0 { // root reads files whatever their mode
		write("private.md", []byte("secret"))
		if err := os.Chmod(filepath.Join(dir, "private.md"), 0); err != nil {
			t.Fatal(err)
		}
		names = append(names, "private.md")
	}

	for _, root := range []string{dir, dir + "/", ""} {
		fsys := os.DirFS(root)
		if _, ok := osDirRoot(fsys); !ok {
			t.Fatal("os.DirFS not recognised; the direct read path is dead")
		}
		for _, name := range names {
			gotData, gotErr := readSourceFile(fsys, name)
			wantData, wantErr := readSourceFile(hiddenFS{fsys}, name)
			if errText(gotErr) != errText(wantErr) {
				t.Errorf("root %q, %q: error %q, via fs.FS %q", root, name, errText(gotErr), errText(wantErr))
			}
			if !bytes.Equal(gotData, wantData) {
				t.Errorf("root %q, %q: read %d bytes, via fs.FS %d", root, name, len(gotData), len(wantData))
			}
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
