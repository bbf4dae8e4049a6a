package docgen

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Shade is an enumeration of sample's.
type Shade string

// Shades.
const (
	ShadeLight Shade = "light" // almost white
	ShadeDark  Shade = "dark"  // almost black
)

// sample is a configuration to document.
type sample struct {
	// Name names it.
	Name string `yaml:"name" required:"true"`
	// Every is how often, a duration.
	Every time.Duration `yaml:"every"`
	// Min and Max bound it.
	Min int `yaml:"min"`
	Max int `yaml:"max"`
	// Shade is its shade.
	Shade Shade `yaml:"shade"`
	// Parts are its parts.
	Parts []part `yaml:"parts"`
	// Named are parts by name.
	Named map[string]*part `yaml:"named"`
	Bare  string           `yaml:"bare"`
	Skip  string           `yaml:"-"`
}

// part is a part.
type part struct {
	Size int `yaml:"size"` // in bytes
}

func TestWalk(t *testing.T) {
	src, err := NewSource(".")
	if err != nil {
		t.Fatal(err)
	}
	src.Tests = true
	keys, err := src.Walk(reflect.ValueOf(sample{Every: 90 * time.Minute, Max: 3}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.Path+"|"+k.Type+"|"+k.Default+"|"+k.Doc)
	}
	want := []string{
		"name|text||Name names it.",
		"every|duration|1h30m|Every is how often, a duration.",
		"min|whole number||Min and Max bound it.",
		"max|whole number|3|Min and Max bound it.",
		"shade|text||Shade is its shade.",
		"parts|list of mappings||Parts are its parts.",
		"parts[].size|whole number||in bytes",
		"named|mapping of name to mapping||Named are parts by name.",
		"named.<name>.size|whole number||in bytes",
		"bare|text||",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !keys[0].Required || keys[1].Required {
		t.Errorf("required: %v %v", keys[0].Required, keys[1].Required)
	}
	if v := keys[4].Values; len(v) != 2 || v[0] != (Value{"light", "almost white"}) || v[1].Name != "dark" {
		t.Errorf("values: %+v", v)
	}
	if u := Undocumented(keys); len(u) != 1 || u[0] != "bare" {
		t.Errorf("undocumented: %v", u)
	}
	files := map[string][]byte{"a.yaml": []byte("name: a\nx-note: &p {size: 4}\nparts: [*p]\nnamed:\n  big: {size: 9}\n")}
	if err := AddExamples(keys, files, []string{"a.yaml"}); err != nil {
		t.Fatal(err)
	}
	if keys[0].Example != "name: a" || keys[6].Example != "size: 4" || keys[8].Example != "size: 9" || keys[5].Example != "" {
		t.Errorf("examples: %q %q %q %q", keys[0].Example, keys[6].Example, keys[8].Example, keys[5].Example)
	}
	md := Page{Title: "T", Intro: "I", Keys: keys}.Markdown()
	for _, s := range []string{"## `name`", "**required**", "default: `1h30m`", "- `light`: almost white", "### `parts[].size`", "Example: `size: 4`"} {
		if !strings.Contains(md, s) {
			t.Errorf("the page has no %q", s)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 10 * time.Minute: "10m", 90 * 24 * time.Hour: "2160h", 90 * time.Second: "1m30s"} {
		if got := Duration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

// TestProse: a placeholder in angle brackets survives Markdown rendering
// (escaped outside code spans, untouched inside them).
func TestProse(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"default <data>/sftp", `default \<data>/sftp`},
		{"default http://<listen>.", `default http://\<listen>.`},
		{"the key `tables.<name>` and <x>", "the key `tables.<name>` and \\<x>"},
		{"no brackets", "no brackets"},
	} {
		if got := prose(tt.in); got != tt.want {
			t.Errorf("prose(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
