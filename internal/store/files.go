package store

import "encoding/json"

// decodeFiles decodes the related_files column. It never returns nil: a
// value that is not a JSON array of strings (a row another tool wrote)
// reads as no files rather than failing the whole read.
func decodeFiles(s string) []string {
	var files []string
	if err := json.Unmarshal([]byte(s), &files); err != nil || files == nil {
		return []string{}
	}
	return files
}
