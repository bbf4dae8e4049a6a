package gateway

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/docgen"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md and examples/dockside.yaml")

const (
	configDocFile     = "../docs/configuration.md"
	configExampleFile = "../examples/dockside.yaml"
)

// configKeys lists the configuration's keys from Config's fields and doc
// comments, with DefaultConfig's values as defaults.
func configKeys(t *testing.T) []docgen.Key {
	t.Helper()
	src, err := docgen.NewSource(".")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := src.Walk(reflect.ValueOf(DefaultConfig()), docgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// envName is the environment variable that sets a key, "" when none can.
func envName(k docgen.Key) string {
	if strings.Contains(k.Path, "[]") || k.Section {
		return ""
	}
	switch k.GoType.Kind() {
	case reflect.String, reflect.Int, reflect.Int64, reflect.Bool:
		return "DOCKSIDE_" + strings.ToUpper(strings.ReplaceAll(k.Path, ".", "_"))
	}
	return ""
}

func configPage(keys []docgen.Key) string {
	return docgen.Page{
		Title: "Gateway configuration",
		Intro: "<!-- Generated from the doc comments of gateway.Config by `go test ./gateway -run TestConfigurationDocs -update`; do not edit. -->\n\n" +
			"`dockside serve` runs the embedded demo without a configuration. `--config FILE` (or `DOCKSIDE_CONFIG`) reads a YAML file " +
			"over the defaults below; unknown keys are errors. Every setting that is a single value can also be set by an environment " +
			"variable named `DOCKSIDE_` and the key's path in upper case with underscores (`http.listen` → `DOCKSIDE_HTTP_LISTEN`); the " +
			"environment wins over the file. Durations are Go durations (`30s`, `10m`, `2160h`); sizes are in bytes.\n\n" +
			"[`examples/dockside.yaml`](../examples/dockside.yaml) has every setting with its default, commented. " +
			"Partner profiles have their own reference: [profiles.md](profiles.md).",
		Keys: keys,
		Extra: func(k docgen.Key) []string {
			if e := envName(k); e != "" {
				return []string{"Environment: `" + e + "`"}
			}
			return nil
		},
	}.Markdown()
}

// exampleConfig writes a configuration file with every key, its doc as a
// comment, set to its default.
func exampleConfig(keys []docgen.Key) string {
	var b strings.Builder
	b.WriteString("# Dockside gateway configuration: every setting, set to its default.\n" +
		"# Generated from gateway.Config by `go test ./gateway -run TestConfigurationDocs -update`;\n" +
		"# see docs/configuration.md. Use: dockside serve --config dockside.yaml\n" +
		"# Each setting can also come from DOCKSIDE_<PATH> (http.listen: DOCKSIDE_HTTP_LISTEN).\n")
	skip := ""
	afterSection := false
	for _, k := range keys {
		if skip != "" && strings.HasPrefix(k.Path, skip) {
			continue
		}
		skip = ""
		indent := strings.Repeat("  ", k.Depth)
		if !afterSection {
			b.WriteString("\n")
		}
		afterSection = k.Section && k.GoType.Kind() == reflect.Struct
		comment(&b, indent, k.Doc)
		if e := envName(k); e != "" {
			comment(&b, indent, "Environment: "+e)
		}
		switch {
		case k.Section && k.GoType.Kind() == reflect.Slice:
			// A list of mappings: its items' keys as a commented example.
			b.WriteString(indent + k.Name + ": []\n")
			comment(&b, indent, "Each item:")
			first := true
			for _, c := range keys {
				if !strings.HasPrefix(c.Path, k.Path+"[].") || strings.Count(c.Path[len(k.Path)+3:], ".") > 0 {
					continue
				}
				lead := "    "
				if first {
					lead, first = "  - ", false
				}
				b.WriteString(indent + "#" + lead + c.Name + ": " + zeroText(c) + "  # " + c.Doc + "\n")
			}
			skip = k.Path + "[]"
		case k.Section:
			b.WriteString(indent + k.Name + ":\n")
		default:
			b.WriteString(indent + k.Name + ": " + valueText(k) + "\n")
		}
	}
	return b.String()
}

// valueText is a key's default as YAML.
func valueText(k docgen.Key) string {
	if k.Default == "" {
		return zeroText(k)
	}
	if k.GoType.Kind() == reflect.String {
		out, _ := yaml.Marshal(k.Default)
		return strings.TrimSpace(string(out))
	}
	return k.Default
}

func zeroText(k docgen.Key) string {
	switch {
	case k.GoType == reflect.TypeFor[time.Duration]():
		return "0s"
	case k.GoType.Kind() == reflect.String:
		return `""`
	case k.GoType.Kind() == reflect.Bool:
		return "false"
	case k.GoType.Kind() == reflect.Slice:
		return "[]"
	}
	return "0"
}

// comment writes text as wrapped YAML comment lines.
func comment(b *strings.Builder, indent, text string) {
	line := indent + "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 80 && line != indent+"#" {
			b.WriteString(line + "\n")
			line = indent + "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
}

// TestConfigurationDocs fails when a configuration field has no doc
// comment, when docs/configuration.md or examples/dockside.yaml is not
// what the fields generate (-update rewrites them), or when the example
// file does not load into the defaults.
func TestConfigurationDocs(t *testing.T) {
	keys := configKeys(t)
	if len(keys) < 10 {
		t.Fatalf("only %d keys", len(keys))
	}
	if missing := docgen.Undocumented(keys); len(missing) > 0 {
		t.Errorf("configuration keys without a doc comment (say what it does, its default and unit): %s", strings.Join(missing, ", "))
	}
	for _, f := range []struct{ path, want string }{
		{configDocFile, configPage(keys)},
		{configExampleFile, exampleConfig(keys)},
	} {
		if *update {
			if err := os.WriteFile(f.path, []byte(f.want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("%v (run go test ./gateway -run TestConfigurationDocs -update)", err)
		}
		if string(got) != f.want {
			t.Errorf("%s is stale: run go test ./gateway -run TestConfigurationDocs -update", f.path)
		}
	}
	cfg, err := LoadConfig(configExampleFile, func(string) string { return "" })
	if err != nil {
		t.Fatalf("the example configuration does not load: %v", err)
	}
	want := DefaultConfig()
	want.File = configExampleFile
	gotYAML, _ := yaml.Marshal(cfg) // nil and empty lists alike
	wantYAML, _ := yaml.Marshal(want)
	if string(gotYAML) != string(wantYAML) {
		t.Errorf("the example configuration is not the defaults:\n got %+v\nwant %+v", cfg, want)
	}
}
