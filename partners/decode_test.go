package partners

import (
	"testing"
	"time"
)

// TestDecodeForms covers the YAML forms the decoder accepts: merge keys,
// null sections, yes/no booleans, day durations, numbers as text.
func TestDecodeForms(t *testing.T) {
	// A quoted path for a key that is not a simple name.
	_, got, _ := loadTestDir(t, map[string]string{"p.yaml": head + "tables:\n  \"odd name\":\n    map: {a: b}\n"})
	want := `partners/p.yaml:5:3: tables["odd name"]: table name "odd name": want letters, digits, '_' or '-'`
	if len(got) != 1 || got[0] != want {
		t.Errorf("problems: %q, want %q", got, want)
	}

	d, got, err := loadTestDir(t, map[string]string{"p.yaml": `
id: p
name: P
role: channel
test_mode: yes
identities:
  isa: [{qualifier: 01, id: 0012}]
  as2: P
  sftp: {user: p, authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZq/qlQtzaCEMg3Wre1/DuptjGt+aWitGMzOLX+r5pE"]}
x-base: &base {sign: sha1, mdn: none}
transports:
  inbound:
    - sftp:                            # null: an sftp entry with defaults
  outbound:
    - folder: {path: out, min_age: 1d12h}
    - as2:
        <<: *base
        url: https://p.example/as2
        sign: sha512                   # explicit keys win over merged ones
        encrypt: none
acks:
  expect_within: 2d
`})
	if err != nil {
		t.Fatalf("Load: %q", got)
	}
	p, _ := d.ByID("p")
	if !p.TestMode {
		t.Error("test_mode: yes not read as true")
	}
	if isa := p.Identities.ISA[0]; isa.Qualifier != "01" || isa.ID != "0012" {
		t.Errorf("ISA = %+v, want the literal 01/0012", isa)
	}
	if in := p.Transports.Inbound[0]; in.SFTP == nil || in.SFTP.Folder != "" {
		t.Errorf("inbound = %+v, want an sftp entry for the home folder", in)
	}
	if f := p.Transports.Outbound[0].Folder; f.MinAge != 36*time.Hour {
		t.Errorf("min_age = %v, want 36h", f.MinAge)
	}
	as2 := p.Transports.Outbound[1].AS2
	if as2.Sign != DigestSHA512 || as2.MDN != MDNNone || as2.MDNSigned || as2.Encrypt != CipherNone {
		t.Errorf("as2 = %+v, want sha512 (explicit over merged), mdn none (merged), unsigned MDN", as2)
	}
	if p.Acks.ExpectWithin != 48*time.Hour || p.Acks.Send != AckAuto {
		t.Errorf("acks = %+v", p.Acks)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"90s", 90 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"2d", 48 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"", 0, false},
		{"-1h", 0, false},
		{"1d-1h", 0, false},
		{"d", 0, false},
		{"1w", 0, false},
		{"99999999d", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestParentPath(t *testing.T) {
	tests := map[string]string{
		"documents[0].mapping.items":       "documents[0].mapping",
		"documents[0]":                     "documents",
		`tables["a.b"]`:                    "tables",
		`tables["a.b"].file`:               `tables["a.b"]`,
		"id":                               "",
		"advice.policy.locations[2]":       "advice.policy.locations",
		"documents[0].mapping.buckets.017": "documents[0].mapping.buckets",
	}
	for in, want := range tests {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}
