package agent_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// A cached start-up: the fingerprint keys the snapshot, and a snapshot
// that is missing or fails to decode means loading the files.
func ExampleDecodeSnapshot() {
	sources := []agent.Source{{Label: "builtin", Root: "builtin", FS: fstest.MapFS{
		"ops.md": {Data: []byte("---\nname: ops\ndescription: Runs things\naliases: [run]\n---\nBody.\n")},
	}}}
	cache := map[string][]byte{} // a database table in the server

	start := func() *agent.Catalog {
		key, err := agent.Fingerprint(sources)
		if err == nil {
			if data, ok := cache[key]; ok {
				if c, _, err := agent.DecodeSnapshot(data); err == nil {
					fmt.Println("from cache")
					return c
				}
			}
		}
		c, warns, err := agent.Load(context.Background(), sources)
		if err != nil {
			panic(err)
		}
		if data, err := agent.EncodeSnapshot(c, warns); err == nil && key != "" {
			cache[key] = data
		}
		fmt.Println("loaded")
		return c
	}
	start()
	c := start()
	a, _ := c.Get("@run")
	fmt.Println(a.Handle(), a.Body)
	// Output:
	// loaded
	// from cache
	// @ops Body.
}
