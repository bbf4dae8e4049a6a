package events

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/events.md")

// TestEventsDocs checks that every field the decoder reads is defined in
// Fields with a description, and that docs/events.md is what Markdown
// builds (go test ./events -run TestEventsDocs -update rewrites it).
func TestEventsDocs(t *testing.T) {
	for _, wire := range []struct {
		prefix string
		typ    reflect.Type
	}{{"", reflect.TypeFor[wireEvent]()}, {"data.", reflect.TypeFor[wireData]()}} {
		for i := range wire.typ.NumField() {
			name := wire.prefix + strings.Split(wire.typ.Field(i).Tag.Get("json"), ",")[0]
			f, ok := FieldByName(name)
			if !ok || strings.TrimSpace(f.Doc) == "" {
				t.Errorf("field %s is not documented in Fields", name)
			}
		}
	}
	for _, typ := range Types {
		if typeDocs[typ] == "" {
			t.Errorf("type %s is not documented in typeDocs", typ)
		}
	}
	if len(sentinelDocs) != len(sentinels) {
		t.Errorf("%d error classes documented, %d sentinels", len(sentinelDocs), len(sentinels))
	}
	path := filepath.Join("..", "docs", "events.md")
	got := Markdown()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./events -run TestEventsDocs -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/events.md is out of date: go test ./events -run TestEventsDocs -update")
	}
	for _, f := range Fields {
		if !bytes.Contains(want, []byte("| `"+f.Name+"` |")) {
			t.Errorf("docs/events.md lacks field %s", f.Name)
		}
	}
}

func TestSchema(t *testing.T) {
	var s struct {
		ID         string                     `json:"$id"`
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	var data struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(s.Properties["data"], &data); err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields {
		name, isData := strings.CutPrefix(f.Name, "data.")
		props := s.Properties
		if isData {
			props = data.Properties
		}
		if _, ok := props[name]; !ok {
			t.Errorf("schema lacks %s", f.Name)
		}
	}
	if s.ID != SchemaID || len(s.Required) != 5 || strings.Join(data.Required, ",") != "quantity" {
		t.Errorf("schema $id %q required %v data required %v", s.ID, s.Required, data.Required)
	}
}
