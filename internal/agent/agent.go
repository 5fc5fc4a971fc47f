// Package agent parses agent identity files (markdown with YAML frontmatter),
// normalises agent handles and assembles the catalog from layered sources.
package agent

import "crypto/sha256"

// Agent is one agent identity as loaded from a markdown file.
type Agent struct {
	// Name is the bare, lowercase name ("ops.containers"); Handle() adds the "@".
	Name         string
	Description  string
	Model        string
	Color        string
	Tools        []string
	Tags         []string
	Capabilities []string
	Examples     []string
	Maturity     string
	Aliases      []string
	// Body is the markdown after the frontmatter: the identity itself. It
	// and Raw are empty in an agent decoded from the start-up cache, which
	// reads them when first asked: use Text, not these fields, to serve them.
	Body string
	// Source labels where the agent came from ("builtin", "user", "project", "dir").
	Source string
	// Path is the file's path (within its source's fs.FS, joined to the source root for display).
	Path string
	// Raw is the whole file as read, served by the agent:// resource. It
	// is a string so that Body, usually its end, can share its memory: a
	// catalog decoded from the start-up cache then copies each file once,
	// not twice.
	Raw string
	// Sum is the SHA-256 of Raw: what a reload compares, and what a text
	// read after the catalog was decoded is checked against.
	Sum [sha256.Size]byte
	// Extra holds frontmatter keys this program does not use; kept, not interpreted.
	Extra map[string]any
	// Lenient is set when the frontmatter was not valid YAML and was read
	// line by line instead (see Parse).
	Lenient bool

	// lazy, when set, reads Raw and Body; i is the agent's place in it.
	lazy *lazyTexts
	i    int
}

// Text returns the whole file as read and its body. An agent decoded from
// the start-up cache reads them on the first call (see Snapshot.Catalog);
// its file may have changed or vanished since, which can make this an
// error, or the text of its current version.
func (a *Agent) Text() (raw, body string, err error) {
	if a.lazy == nil {
		return a.Raw, a.Body, nil
	}
	return a.lazy.text(a)
}

// Handle returns the canonical handle "@" + name.
func (a *Agent) Handle() string { return "@" + a.Name }
