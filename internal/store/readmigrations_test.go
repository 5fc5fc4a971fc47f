package store

import (
	"strings"
	"testing"
	"testing/fstest"
)

// ReadMigrations serves both engines' embedded sets: it orders them by
// number and refuses a set a release must never carry.
func TestReadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	for _, tc := range []struct {
		name    string
		fsys    fstest.MapFS
		want    []int
		wantErr string
	}{
		{"ordered by number", fstest.MapFS{
			"migrations/0002_b.sql": file("B"), "migrations/0010_j.sql": file("J"), "migrations/0001_a.sql": file("A"),
		}, nil, "migration 0010_j.sql: expected version 3"},
		{"gapless", fstest.MapFS{
			"migrations/0002_b.sql": file("B"), "migrations/0001_a.sql": file("A"), "migrations/README": file("x"),
		}, []int{1, 2}, ""},
		{"bad name", fstest.MapFS{"migrations/first.sql": file("A")}, nil, "migration file first.sql: name must be NNNN_description.sql"},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": file("A")}, nil, "name must be NNNN_description.sql"},
		{"empty", fstest.MapFS{}, nil, "no embedded migrations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := ReadMigrations(tc.fsys)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
				if want := string("AB"[m.Version-1]); m.SQL != want {
					t.Errorf("migration %s: SQL %q, want %q", m.Name, m.SQL, want)
				}
			}
			if len(got) != len(tc.want) || got[0] != tc.want[0] || got[1] != tc.want[1] {
				t.Errorf("versions %v, want %v", got, tc.want)
			}
		})
	}
}
