package partners

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/internal/docgen"
)

const profileDocFile = "../docs/profiles.md"

// profileKeys lists every key of a profile from the structs the decoder
// fills, with the defaults the decoder sets and examples from the example
// profiles.
func profileKeys(t *testing.T) []docgen.Key {
	t.Helper()
	src, err := docgen.NewSource(".")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := src.Walk(reflect.ValueOf(Profile{}), docgen.Options{
		Scalar: func(t reflect.Type) bool { return reflect.PointerTo(t).Implements(scalarDecoderType) },
		Defaults: func(t reflect.Type) (reflect.Value, bool) {
			v := reflect.New(t).Elem()
			applyDefaults(v) // the decoder's own defaults
			return v, true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, pattern := range []string{"../examples/partners/*.y*ml", "testdata/valid/*.y*ml"} {
		m, _ := filepath.Glob(pattern)
		for _, name := range m {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = b
			names = append(names, name)
		}
	}
	if err := docgen.AddExamples(keys, files, names); err != nil {
		t.Fatal(err)
	}
	return keys
}

const profileIntro = `<!-- Generated from the doc comments of the partners package's structs (the ones its decoder fills) by ` + "`go test ./partners -run TestProfileDocs -update`" + `; do not edit. -->

A partner profile is one YAML file per trading partner in the partners folder (` + "`dockside-data/demo-partners`" + ` for the demo; the
configuration's ` + "`partners`" + ` otherwise). Check a folder with ` + "`dockside partners check`" + `, dry-run a file with
` + "`dockside partners try PARTNER FILE`" + `, and apply changes to a running gateway with ` + "`dockside reload`" + `. The example
profiles are in [examples/partners](../examples/partners).

Rules of the format:

- Unknown keys are errors, reported with file, line and column; keys starting with ` + "`x-`" + ` are ignored at every level
  (use them for YAML anchors and notes). Anchors, aliases and merge keys (` + "`<<: *base`" + `) work.
- Relative paths (tables, certificates, keys, folders) are relative to the profile's file.
- Scalars are read as written: ` + "`qualifier: 01`" + ` stays "01"; quote codes that look like numbers anyway.
- Durations are Go durations, optionally led by days: ` + "`30s`, `15m`, `4h`, `2d`" + `.
- Ids (` + "`id`" + `) are lower-case; they name the partner in folders, logs and the ledger's sources.
- A partner's dates without a zone are read in its ` + "`time_zone`" + `; without one, UTC.

What a profile does to the ledger:

- A document is only received through an inbound transport: ` + "`documents`" + ` need ` + "`transports.inbound`" + `.
- Items: ` + "`mapping.items.order`" + ` picks the partner's id (first qualifier found); ` + "`mapping.items.lookup`" + ` translates it
  through a table. Without a lookup the partner's id is used as our SKU as it is (` + "`items: {order: [SK]}`" + `).
- Locations: the code the document names (an N1, an SDQ, a column) goes through the ` + "`mapping.warehouses`" + ` table; without
  ` + "`warehouses`" + ` the partner's code itself is the location.
- x12/846 and flat files: ` + "`content: snapshot`" + ` sets the counted buckets at each location listed to the figures (absolute);
  ` + "`adjustments`" + ` adds them. Quantities go to the bucket their code maps to (` + "`mapping.buckets`" + `); ` + "`compare`" + ` is kept
  to check divergence and not posted, ` + "`ignore`" + ` is dropped.
- x12/856: ` + "`mode: asn`" + ` puts the goods in transit at the ship-to until the expected date; see ` + "`mapping.mode`" + `.
- x12/940: each line allocates its quantity at the warehouse for the order (W05-02). The W05-01 purpose changes that:
  ` + "`F`" + ` (cancel) releases what the order holds of each item; ` + "`R`" + ` (change) releases it and allocates the new quantities;
  other codes (` + "`N`" + ` original) allocate.
- x12/850: a channel's purchase order allocates like a 940, for the order BEG03, at the location ` + "`mapping.location`" + `
  names (required: an 850 rarely names our warehouse). BEG01 ` + "`00`" + ` opens it, ` + "`01`" + ` cancels it, ` + "`05`" + ` replaces it;
  ` + "`04`" + ` (change), ` + "`06`" + ` (confirmation), ` + "`07`" + ` (duplicate) and others are refused. An order is partner + number, whichever
  document (850 or 940) carries it.
- ` + "`on_error: reject`" + ` posts nothing from a document with a bad line; ` + "`post_good`" + ` posts the good lines. A file
  received again is a duplicate and posts nothing.
`

// TestProfileDocs fails when a profile key has no doc comment, when the
// keys documented are not the decoder's, when an allowed value is not
// what the decoder accepts, or when docs/profiles.md is not what the
// structs generate (-update rewrites it).
func TestProfileDocs(t *testing.T) {
	keys := profileKeys(t)
	if missing := docgen.Undocumented(keys); len(missing) > 0 {
		t.Errorf("profile keys without a doc comment: %s", strings.Join(missing, ", "))
	}
	// The keys under each struct are the decoder's fields, all of them.
	byParent := map[string][]string{}
	for _, k := range keys {
		parent := strings.TrimSuffix(k.Path, k.Name)
		byParent[strings.TrimSuffix(parent, ".")] = append(byParent[strings.TrimSuffix(parent, ".")], k.Name)
	}
	check := func(path string, st reflect.Type) {
		_, want := fieldsOf(st)
		got := byParent[path]
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: documented keys %v, the decoder's %v", path, got, want)
		}
	}
	check("", reflect.TypeFor[Profile]())
	for _, k := range keys {
		if !k.Section {
			continue
		}
		switch st := k.GoType; st.Kind() {
		case reflect.Struct:
			check(k.Path, st)
		case reflect.Slice:
			check(k.Path+"[]", derefType(st.Elem()))
		case reflect.Map:
			check(k.Path+"."+docgen.MapKey, derefType(st.Elem()))
		}
	}
	// Allowed values are the ones the decoder's check accepts.
	for _, k := range keys {
		if len(k.Values) == 0 {
			continue
		}
		et := k.GoType
		if et.Kind() == reflect.Slice || et.Kind() == reflect.Map {
			et = et.Elem()
		}
		for _, v := range append(k.Values, docgen.Value{Name: "not-a-value"}) {
			x := reflect.New(et)
			x.Elem().SetString(v.Name)
			c, ok := x.Interface().(valueChecker)
			if !ok {
				t.Errorf("%s: %s has constants but no check", k.Path, et)
				break
			}
			if err := c.check(); (err == nil) != (v.Name != "not-a-value") {
				t.Errorf("%s: %q: check says %v", k.Path, v.Name, err)
			}
		}
	}
	want := docgen.Page{Title: "Partner profiles", Intro: profileIntro, Keys: keys}.Markdown()
	if *update {
		if err := os.WriteFile(profileDocFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(profileDocFile)
	if err != nil {
		t.Fatalf("%v (run go test ./partners -run TestProfileDocs -update)", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./partners -run TestProfileDocs -update", profileDocFile)
	}
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
