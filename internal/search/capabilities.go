package search

import "strings"

// capabilitySection matches the headings under which agent bodies list what
// the agent can do ("Capabilities", "Core Competencies", "Focus Areas", ...).
var capabilitySection = []string{"capabilit", "competenc", "responsibilit", "expertise", "focus area", "specializ", "skills"}

const (
	maxCapabilities  = 24
	maxCapabilityLen = 80
)

// DeriveCapabilities extracts capabilities from an agent body, for agents whose
// frontmatter lists none. Capability sections are headings (or bold-only
// lines) naming capabilities, competencies, responsibilities, expertise,
// focus areas, specialisations or skills. Under each it takes the
// sub-headings if there are any, otherwise the bold leads of its items, and
// otherwise the list items themselves (cut at the first colon and to a short
// phrase). A body with no such section yields the "Topic:" labels that open
// lists before its first heading, as many bodies list their areas that way.
// The result is deduplicated case-insensitively, in body order, and capped at
// 24 entries.
func DeriveCapabilities(body string) []string {
	_, caps := scanBody(body)
	return caps
}

// scanBody returns the body's headings and its derived capabilities in one
// pass over the lines (index builds scan every body once).
func scanBody(body string) (headings, caps []string) {
	type section struct {
		level               int
		heads, leads, items []string
	}
	var done []section
	var cur *section
	// preamble collects the "Topic:" labels that introduce lists before the
	// first markdown heading: bodies without a capability section often open
	// with their areas of expertise in that shape.
	var preamble []string
	inPreamble := true
	forEachLine(body, func(l mdLine) {
		if l.level > 0 {
			headings = append(headings, l.text)
		}
		if l.level > 0 && l.level <= 6 {
			inPreamble = false
		}
		if inPreamble && l.level == 8 && !isProcessLabel(l.text) {
			preamble = append(preamble, l.text)
		}
		// A section ends at a heading of its level or above, or at another
		// capability heading ("**Focus Areas**" inside "## Core Competencies").
		if cur != nil && l.level > 0 && (l.level <= cur.level || l.level <= 7 && isCapabilityHeading(l.text)) {
			done = append(done, *cur)
			cur = nil
		}
		if cur == nil {
			if l.level > 0 && l.level <= 7 && isCapabilityHeading(l.text) {
				cur = &section{level: l.level}
			}
			return
		}
		// Only the best kind present is used, so lesser kinds stop being
		// collected once a better one appears.
		switch {
		case l.level > 0:
			cur.heads = append(cur.heads, l.text)
		case len(cur.heads) > 0:
		case l.lead != "":
			cur.leads = append(cur.leads, l.lead)
		case len(cur.leads) > 0:
		case l.item:
			cur.items = append(cur.items, shortPhrase(cleanHeading(l.text)))
		}
	})
	if cur != nil {
		done = append(done, *cur)
	}
	if len(done) == 0 && len(preamble) > 0 {
		done = append(done, section{heads: preamble})
	}
	seen := make(map[string]bool)
	for _, s := range done {
		pick := s.heads
		if len(pick) == 0 {
			pick = s.leads
		}
		if len(pick) == 0 {
			pick = s.items
		}
		for _, c := range pick {
			k := strings.ToLower(c)
			if c == "" || seen[k] || len(caps) >= maxCapabilities {
				continue
			}
			seen[k] = true
			caps = append(caps, c)
		}
	}
	return headings, caps
}

// isProcessLabel reports labels that describe how the agent works rather
// than what it covers.
func isProcessLabel(h string) bool {
	h = strings.ToLower(h)
	for _, k := range []string{"checklist", "when invoked", "workflow", "protocol", "example", "output", "approach"} {
		if strings.Contains(h, k) {
			return true
		}
	}
	return false
}

func isCapabilityHeading(h string) bool {
	h = strings.ToLower(h)
	for _, k := range capabilitySection {
		if strings.Contains(h, k) {
			return true
		}
	}
	return false
}

// shortPhrase cuts a list item to its head: before the first colon, and to
// at most maxCapabilityLen bytes at a word boundary.
func shortPhrase(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	if i := strings.Index(s, ": "); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(strings.TrimRight(s, ".;,"))
	if len(s) > maxCapabilityLen {
		cut := strings.LastIndexByte(s[:maxCapabilityLen], ' ')
		if cut <= 0 {
			cut = maxCapabilityLen
		}
		s = strings.TrimSpace(s[:cut])
	}
	return s
}
