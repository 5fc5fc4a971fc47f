//go:build !(linux || darwin)

package agent

// readOSFile leaves every file to the os.DirFS path on this platform.
func readOSFile(dir, name string) (data []byte, handled bool, err error) {
	return nil, false, nil
}
