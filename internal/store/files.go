package store

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeFiles decodes the related_files column. It never returns nil: a
// value that is not a JSON array of strings reads as no files, as
// json.Unmarshal failing would. Arrays of plain strings — what
// validateNewFlag writes unless a name needs escaping — are split without
// encoding/json, which costs several allocations per row; anything else
// takes the encoding/json path, so both always agree (FuzzDecodeFiles).
func decodeFiles(s string) []string {
	if files, ok := decodePlainFiles(s); ok {
		return files
	}
	var files []string
	if err := json.Unmarshal([]byte(s), &files); err != nil || files == nil {
		return []string{}
	}
	return files
}

// decodePlainFiles handles `["a", "b"]` where no string holds an escape, a
// control character or invalid UTF-8; ok is false for anything else.
func decodePlainFiles(s string) (files []string, ok bool) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '[' {
		return nil, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return []string{}, skipSpace(s, i+1) == len(s)
	}
	files = make([]string, 0, 1+strings.Count(s, ","))
	for {
		if i >= len(s) || s[i] != '"' {
			return nil, false
		}
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if c := s[j]; c == '\\' || c < 0x20 {
				return nil, false
			}
			j++
		}
		if j >= len(s) {
			return nil, false
		}
		v := s[i+1 : j]
		if !utf8.ValidString(v) {
			return nil, false
		}
		files = append(files, v)
		i = skipSpace(s, j+1)
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case ']':
			return files, skipSpace(s, i+1) == len(s)
		default:
			return nil, false
		}
	}
}

// skipSpace skips JSON whitespace.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}
