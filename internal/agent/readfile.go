package agent

import (
	"io/fs"
	"os"
	"reflect"
	"strings"
)

var osDirFSType = reflect.TypeOf(os.DirFS("."))

// osDirRoot returns the directory of an os.DirFS, whose files readOSFile
// can read directly. os.DirFS's type is unexported, so it is recognised by
// reflection; should its representation ever change, ok is false and files
// are read through the fs.FS interface as for any other FS.
func osDirRoot(fsys fs.FS) (dir string, ok bool) {
	if fsys == nil || reflect.TypeOf(fsys) != osDirFSType {
		return "", false
	}
	v := reflect.ValueOf(fsys)
	if v.Kind() != reflect.String {
		return "", false
	}
	return v.String(), true
}

// osDirJoin is os.DirFS's path joining on Unix; ok is false where os.DirFS
// would refuse the name, leaving its error to the os.DirFS path.
func osDirJoin(dir, name string) (string, bool) {
	if dir == "" || !fs.ValidPath(name) || strings.IndexByte(name, 0) >= 0 {
		return "", false
	}
	if dir[len(dir)-1] == '/' {
		return dir + name, true
	}
	return dir + "/" + name, true
}
