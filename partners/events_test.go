package partners

import (
	"strings"
	"testing"
)

const testTokenHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")

func TestEventsSection(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // a problem containing this; "" loads
	}{
		{"valid", map[string]string{"p.yaml": head + "tables:\n  items:\n    map: {A: SKU-1}\nevents:\n  source: urn:p:wms\n  token_sha256: " + testTokenHash + "\n  items: items\n  on_error: post_good\n  units:\n    convert: {CA: 12}\n"}, ""},
		{"no source", map[string]string{"p.yaml": head + "events:\n  token_sha256: " + testTokenHash + "\n"}, "events.source"},
		{"token in clear", map[string]string{"p.yaml": head + "events:\n  source: urn:p\n  token_sha256: dks_secret\n"}, "events.token_sha256: want the 64 lower-case hex digits"},
		{"undefined table", map[string]string{"p.yaml": head + "events:\n  source: urn:p\n  warehouses: nope\n"}, `events.warehouses: table "nope" is not defined`},
		{"bad on_error", map[string]string{"p.yaml": head + "events:\n  source: urn:p\n  on_error: ignore\n"}, "events.on_error"},
		{"shared source", map[string]string{
			"p.yaml": head + "events:\n  source: urn:same\n",
			"q.yaml": "id: q\nname: Q\nrole: supplier\nevents:\n  source: urn:same\n"}, `event source "urn:same" is already used by partner "p"`},
		{"shared token", map[string]string{
			"p.yaml": head + "events:\n  source: urn:p\n  token_sha256: " + testTokenHash + "\n",
			"q.yaml": "id: q\nname: Q\nrole: supplier\nevents:\n  source: urn:q\n  token_sha256: " + testTokenHash + "\n"}, `the same token is already partner "p"'s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, got, _ := loadTestDir(t, tt.files)
			if tt.want == "" {
				if len(got) > 0 {
					t.Fatalf("problems: %v", got)
				}
				p, err := d.ByEventToken(testTokenHash)
				if err != nil || p.ID != "p" || p.Events.OnError != OnErrorPostGood || p.Events.Units.Base != "EA" {
					t.Fatalf("ByEventToken: %v, %+v", err, p)
				}
				if _, err := d.ByEventToken(strings.Repeat("0", 64)); err == nil {
					t.Fatal("unknown token found a partner")
				}
				return
			}
			for _, g := range got {
				if strings.Contains(g, tt.want) {
					return
				}
			}
			t.Fatalf("problems %q, want one containing %q", got, tt.want)
		})
	}
}
