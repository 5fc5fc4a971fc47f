// Package prompts holds the server's own texts: the instructions sent to
// clients at initialisation and the template that wraps an agent identity
// into a prompt. They are data, so they can be edited without touching code.
package prompts

import (
	_ "embed"
)

// Instructions is sent to every client in the initialize result.
//
//go:embed instructions.md
var Instructions string

// AgentTemplate is a text/template that renders an agent prompt.
// Fields: .Handle, .Body, .Task, .Flags (pending, most urgent first, each
// with its sender's text already made safe in .Block), .More, .MoreUnknown,
// .FlagsError.
//
//go:embed agent.tmpl
var AgentTemplate string
