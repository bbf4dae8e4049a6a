package specs

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// TestEmbeddedDataIsConsistent walks every spec: every segment position
// has a dictionary segment, every element position an element or
// composite, every rule fits its segment, every loop starts with a
// mandatory segment.
func TestEmbeddedDataIsConsistent(t *testing.T) {
	c := mustLoad(t)
	want := map[string][]string{
		"004010": {"846", "850", "856", "940", "943", "944", "945", "947", "997"},
		"005010": {"846", "850", "856", "940", "943", "944", "945", "947", "997", "999"},
	}
	for v, sets := range want {
		if got := strings.Join(c.Sets(v), " "); got != strings.Join(sets, " ") {
			t.Errorf("%s sets: %s, want %v", v, got, sets)
		}
	}
	for _, v := range c.Versions() {
		rel := c.releases[v]
		for id, spec := range rel.sets {
			if spec.Version != v || spec.ID != id || spec.FunctionalID == "" || spec.Name == "" {
				t.Errorf("%s/%s: header %+v", v, id, spec)
			}
			walk(t, v+"/"+id, spec.Structure, rel)
		}
		for id, seg := range rel.segments {
			checkUses(t, v+" segment "+id, seg.Elements, seg.Rules)
		}
		for id, comp := range rel.composites {
			checkUses(t, v+" composite "+id, comp.Elements, comp.Rules)
		}
	}
}

func walk(t *testing.T, path string, nodes []*Node, rel *release) {
	for i, n := range nodes {
		switch {
		case n.IsLoop:
			if len(n.Content) == 0 || n.Content[0].IsLoop || n.Content[0].Req != 'M' {
				t.Errorf("%s/%s: a loop must start with a mandatory segment", path, n.ID)
			}
			walk(t, path+"/"+n.ID, n.Content, rel)
		case n.Segment == nil || rel.segments[n.ID] != n.Segment:
			t.Errorf("%s: entry %d (%s) has no dictionary segment", path, i+1, n.ID)
		}
	}
}

func checkUses(t *testing.T, where string, uses []Use, rules []Rule) {
	for i, u := range uses {
		if (u.Element == nil) == (u.Composite == nil) {
			t.Errorf("%s element %d (%s): not linked", where, i+1, u.Ref)
		}
		if u.Composite != nil {
			checkUses(t, where+" "+u.Ref, u.Composite.Elements, u.Composite.Rules)
		}
	}
	for _, r := range rules {
		for _, p := range r.Positions {
			if p < 1 || p > len(uses) {
				t.Errorf("%s: rule %s refers to element %d of %d", where, r, p, len(uses))
			}
		}
	}
}

func TestLoadOnce(t *testing.T) {
	a, _ := Load()
	b, _ := Load()
	if a != b {
		t.Error("Load parsed the data twice")
	}
}

// TestInconsistentDataFails feeds LoadFS broken copies of the data.
func TestInconsistentDataFails(t *testing.T) {
	base := func() fstest.MapFS {
		m := fstest.MapFS{}
		sub, _ := fs.Sub(embedded, "data")
		fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasPrefix(p, "004010/") {
				b, _ := fs.ReadFile(sub, p)
				m[p] = &fstest.MapFile{Data: b}
			}
			return nil
		})
		return m
	}
	if _, err := LoadFS(base()); err != nil {
		t.Fatalf("unmodified data: %v", err)
	}
	tests := []struct {
		name, file, old, new, want string
	}{
		{"unknown element in a segment", "004010/segments.json", `"554 M"`, `"9554 M"`, "element 9554 is not in elements.json"},
		{"unknown composite", "004010/segments.json", `"C040 O"`, `"C777 O"`, "composite C777"},
		{"unknown segment in a set", "004010/940.json", `"segment": "W66"`, `"segment": "W67"`, "segment W67 is not in segments.json"},
		{"rule beyond the segment", "004010/segments.json", `"R0203", "P0304"]`, `"R0203", "P0309"]`, "not an element of the segment"},
		{"bad rule kind", "004010/segments.json", `"C0706"`, `"Q0706"`, "kind must be"},
		{"unknown field", "004010/940.json", `"req": "M"`, `"reqd": "M"`, "unknown field"},
		{"bad max", "004010/940.json", `"max": 10`, `"max": 0`, "max must be"},
		{"code longer than the element", "004010/elements.json", `"codes": "F S X"`, `"codes": "F S XX"`, "does not fit"},
		{"loop without mandatory first segment", "004010/997.json", `{"segment": "AK3", "req": "M", "max": 1}`, `{"segment": "AK3", "req": "O", "max": 1}`, "first segment must be M"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			f := m[tc.file]
			if !strings.Contains(string(f.Data), tc.old) {
				t.Fatalf("%s has no %s", tc.file, tc.old)
			}
			f.Data = []byte(strings.Replace(string(f.Data), tc.old, tc.new, 1))
			_, err := LoadFS(m)
			if !errors.Is(err, ErrBadData) {
				t.Fatalf("err = %v, want ErrBadData", err)
			}
			var de *DataError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a DataError containing %q", err, tc.want)
			}
		})
	}
}
