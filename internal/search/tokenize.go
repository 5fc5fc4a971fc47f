package search

// isAlnum reports whether c is an ASCII letter or digit. Non-ASCII bytes are
// separators: the corpora are English and technical, and treating them as
// separators keeps the scanner byte-oriented and fast.
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// forEachWord calls fn for every lowercased word of s, reusing buf. Words are
// maximal runs of ASCII letters and digits, so agent names split on . - _ as
// required. A few programming-language spellings that the split would destroy
// are rewritten: "c++" → "cpp", "c#" → "csharp", "f#" → "fsharp",
// ".net" → "dotnet". The slice passed to fn is only valid during the call.
func forEachWord(s string, buf []byte, fn func(w []byte)) []byte {
	n := len(s)
	for i := 0; i < n; {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		start := i
		buf = buf[:0]
		for i < n && isAlnum(s[i]) {
			buf = append(buf, lower(s[i]))
			i++
		}
		switch {
		case len(buf) == 1 && buf[0] == 'c' && i+1 < n && s[i] == '+' && s[i+1] == '+':
			buf = append(buf[:0], "cpp"...)
			i += 2
		case len(buf) == 1 && (buf[0] == 'c' || buf[0] == 'f') && i < n && s[i] == '#':
			buf = append(buf, "sharp"...)
			i++
		case len(buf) == 3 && string(buf) == "net" && start > 0 && s[start-1] == '.' &&
			(start < 2 || !isAlnum(s[start-2])):
			buf = append(buf[:0], "dotnet"...)
		}
		fn(buf)
	}
	return buf
}

// words returns the lowercased words of s (see forEachWord).
func words(s string) []string {
	var out []string
	forEachWord(s, nil, func(w []byte) { out = append(out, string(w)) })
	return out
}

// stopwords are dropped from both index and query: they carry no routing
// signal and would only add noise to every posting walk.
var stopwords = setOf(`a about above after again all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each either etc
few for from further had has have having he her here hers him his how i if in into is it its
itself just let me more most my no nor not now of off on once only or other our ours out over
own per same she should so some such than that the their theirs them then there these they this
those through to too under until up upon us very via was we were what when where which while who
whom why will with within without would you your yours yourself e g ie eg`)

// queryFiller are words that are common in requests ("I need someone to help
// me ...") but say nothing about which specialist is wanted. They are dropped
// from queries only; agent texts keep them (they are low-idf there anyway).
var queryFiller = setOf(`need needs want wants wanted someone somebody anyone anybody help helps
please looking look find found get gets got getting make makes made making like likes should must
would could might thing things stuff something anything everything way ways lot lots bit kind sort
really actually just still even already again once ever keep keeps kept put puts let lets try tries
trying figure out happen happens happened feel feels felt seem seems seemed going gone go goes
come comes why how what whatever whenever somehow tell show give take takes ok okay`)

func setOf(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range words(s) {
		m[w] = true
	}
	return m
}

// isDigits reports whether w is all digits; pure numbers ("99", "30") are
// noise for routing and are not indexed.
func isDigits(w []byte) bool {
	for _, c := range w {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
