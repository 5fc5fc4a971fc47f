package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

// Update is the package's one -update flag: it rewrites every golden file
// (output_schemas.json here, testdata/ in the external tests).
var Update = flag.Bool("update", false, "rewrite golden files")

// TestOutputSchemasUpToDate regenerates every output schema by reflection and
// compares it with the embedded file the server actually uses.
func TestOutputSchemasUpToDate(t *testing.T) {
	fresh := map[string]json.RawMessage{}
	for name, gen := range schemaGenerators {
		fresh[name] = gen()
	}
	want, err := json.MarshalIndent(fresh, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *Update {
		if err := os.WriteFile("output_schemas.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, outputSchemasJSON) {
		t.Fatal("output_schemas.json is stale; run: go test ./internal/server -run TestOutputSchemasUpToDate -update")
	}
	if len(outputSchemas) != len(schemaGenerators) {
		t.Fatalf("embedded file has %d schemas, want %d", len(outputSchemas), len(schemaGenerators))
	}
}
