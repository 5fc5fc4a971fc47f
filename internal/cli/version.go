package cli

import "runtime/debug"

// Version is the program's version: the one a release build stamps with
// -ldflags "-X main.version=...", else the module version Go records in the
// binary when it is built with `go install module@version`, else "dev".
func Version(stamped string) string {
	info, _ := debug.ReadBuildInfo()
	return versionOf(stamped, info)
}

func versionOf(stamped string, info *debug.BuildInfo) string {
	if stamped != "" && stamped != "dev" {
		return stamped
	}
	// A build from a checkout records "(devel)", or with VCS stamping a
	// pseudo-version, which still tells which commit it is.
	if info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
