package stream

import (
	"reflect"
	"strings"
	"testing"
)

// TestFieldsDocumented checks that every JSON field of a change event is
// in Fields with a description, and nothing else is.
func TestFieldsDocumented(t *testing.T) {
	names := map[string]bool{}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if f.Type == reflect.TypeFor[Figures]() {
				names[prefix+name] = true
				for j := range f.Type.NumField() {
					names["…"+strings.Split(f.Type.Field(j).Tag.Get("json"), ",")[0]] = true
				}
				continue
			}
			names[prefix+name] = true
			if f.Type == reflect.TypeFor[Data]() {
				walk(prefix+name+".", f.Type)
			}
		}
	}
	walk("", reflect.TypeFor[Event]())
	documented := map[string]bool{}
	for _, f := range Fields {
		documented[f.Name] = true
		if !names[f.Name] {
			t.Errorf("Fields documents %s, which the event does not have", f.Name)
		}
		if strings.TrimSpace(f.Doc) == "" || f.Type == "" {
			t.Errorf("field %s: no type or description", f.Name)
		}
	}
	for n := range names {
		if !documented[n] {
			t.Errorf("field %s is not documented in Fields", n)
		}
	}
	for k, doc := range kindDocs {
		if doc == "" || !k.Valid() {
			t.Errorf("kind %v: no description", k)
		}
	}
	if len(kindDocs) != 9 {
		t.Errorf("%d kinds documented", len(kindDocs))
	}
}
