// Package agents holds the built-in agent identities embedded in the binary.
package agents

import "embed"

// FS holds every built-in agent file at its root, one <name>.md per agent, so the
// server has a useful catalog on first run with no configuration.
//
//go:embed *.md
var FS embed.FS
