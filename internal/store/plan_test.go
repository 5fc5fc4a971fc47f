package store

import (
	"strings"
	"testing"
)

// Chain lookups must use the (partial) chain index, or get_flag and
// list_flags by chain would scan every flag.
func TestChainLookupsUseTheIndex(t *testing.T) {
	s := openTest(t)
	for name, q := range map[string]string{
		"list by chain": "SELECT id FROM flags WHERE chain_origin_id = ?",
		"chain tree":    chainSQL,
	} {
		rows, err := s.cur.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), "flags_chain_origin") {
			t.Errorf("%s does not use flags_chain_origin:\n%s", name, strings.Join(plan, "\n"))
		}
	}
}
