package search

import (
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// wordByte maps a byte to its lowercase form if it is part of words, else 0.
// Non-ASCII bytes are separators: the corpora are English and technical,
// and treating them as separators keeps the scanner byte-oriented and fast.
var wordByte = func() (t [256]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	return t
}()

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// wordScanner yields the words of a text with a hash of their lowercase form
// (fnvHash).
// Words are maximal runs of ASCII letters and digits, so agent names split on
// . - _ as required. A word is returned as written (it may contain capitals;
// see lowerASCII), which keeps index builds from copying every token. A few
// programming-language spellings that the split would destroy are rewritten:
// "c++" → "cpp", "c#" → "csharp", "f#" → "fsharp", ".net" → "dotnet".
type wordScanner struct {
	s string
	i int
}

func (sc *wordScanner) next() (w string, h uint64, ok bool) {
	s, i, n := sc.s, sc.i, len(sc.s)
	for i < n && wordByte[s[i]] == 0 {
		i++
	}
	if i == n {
		sc.i = i
		return "", 0, false
	}
	start := i
	h = fnvOffset
	// FNV-1a over pairs of bytes: half the dependent multiplies of the
	// byte-wise form, on the hottest loop of an index build.
	for i < n {
		c := wordByte[s[i]]
		if c == 0 {
			break
		}
		if i+1 < n {
			if c2 := wordByte[s[i+1]]; c2 != 0 {
				h = (h ^ (uint64(c) | uint64(c2)<<8)) * fnvPrime
				i += 2
				continue
			}
		}
		h = (h ^ uint64(c)) * fnvPrime
		i++
		break
	}
	w = s[start:i]
	if len(w) <= 3 {
		w, h, i = rewrite(s, start, i, w, h)
	}
	sc.i = i
	return w, h, true
}

// rewrite applies the programming-language spellings to the short word
// s[start:end], returning the word, its hash and where scanning resumes.
func rewrite(s string, start, end int, w string, h uint64) (string, uint64, int) {
	n := len(s)
	switch {
	case len(w) == 1 && w[0]|0x20 == 'c' && end+1 < n && s[end] == '+' && s[end+1] == '+':
		return "cpp", hashCpp, end + 2
	case len(w) == 1 && w[0]|0x20 == 'c' && end < n && s[end] == '#':
		return "csharp", hashCsharp, end + 1
	case len(w) == 1 && w[0]|0x20 == 'f' && end < n && s[end] == '#':
		return "fsharp", hashFsharp, end + 1
	case len(w) == 3 && start > 0 && s[start-1] == '.' && (start < 2 || wordByte[s[start-2]] == 0) &&
		lowerASCII(w) == "net":
		return "dotnet", hashDotnet, end
	}
	return w, h, end
}

// forEachWord calls fn for every word of s (see wordScanner).
func forEachWord(s string, fn func(w string, h uint64)) {
	sc := wordScanner{s: s}
	for {
		w, h, ok := sc.next()
		if !ok {
			return
		}
		fn(w, h)
	}
}

var (
	hashCpp    = fnvHash("cpp")
	hashCsharp = fnvHash("csharp")
	hashFsharp = fnvHash("fsharp")
	hashDotnet = fnvHash("dotnet")
)

// lowerASCII lowercases ASCII letters, allocating only if there are any
// capitals.
func lowerASCII(w string) string {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 'A' && c <= 'Z' {
			b := []byte(w)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return w
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvHash is the hash wordScanner gives the lowercase word b.
func fnvHash(b string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(b); i += 2 {
		if i+1 < len(b) {
			h = (h ^ (uint64(b[i]) | uint64(b[i+1])<<8)) * fnvPrime
		} else {
			h = (h ^ uint64(b[i])) * fnvPrime
		}
	}
	return h
}

// words returns the lowercased words of s (see forEachWord).
func words(s string) []string {
	var out []string
	forEachWord(s, func(w string, _ uint64) { out = append(out, lowerASCII(w)) })
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
trying figure out happen happens happened feel feels felt seem seems seemed going gone goes
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
func isDigits(w string) bool {
	for _, c := range w {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// foldDiacritics spells letters with diacritics as their base letters
// ("kübernetes" → "kubernetes", "café" → "cafe"), so that a word written
// with one is not cut in two by the ASCII word scanner. Texts without a
// Latin letter beyond ASCII (nearly all) come back as they are, at the
// cost of one pass over their bytes: 0xC3-0xCD lead the two-byte UTF-8
// forms of U+00C0-U+037F (accented Latin letters and combining marks),
// and never appear inside another character's bytes.
func foldDiacritics(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0xC3 && c <= 0xCD {
			out, _, err := transform.String(foldLatin(), s)
			if err != nil {
				return s
			}
			return out
		}
	}
	return s
}

// foldLatin decomposes letters and drops the combining marks. A
// transform.Transformer keeps state, so each use takes a new one.
func foldLatin() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}
