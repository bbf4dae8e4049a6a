package partners

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// head is the first three lines of most test profiles: bodies start on
// line 4.
const head = "id: p\nname: P\nrole: supplier\n"

// testSSHKey is the key field of an authorized_keys line.
const testSSHKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZq/qlQtzaCEMg3Wre1/DuptjGt+aWitGMzOLX+r5pE"

// loadTestDir writes files into a temporary folder and loads it. Problems
// come back as their Error() text with the folder shown as "partners".
func loadTestDir(t *testing.T, files map[string]string) (*Directory, []string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Load(dir)
	var le *LoadError
	if err != nil && !errors.As(err, &le) {
		t.Fatalf("Load: %v", err)
	}
	var got []string
	if le != nil {
		for _, pe := range le.Errs {
			got = append(got, strings.ReplaceAll(pe.Error(), dir, "partners"))
		}
	}
	return d, got, err
}

// TestTooManyProblems: past 200 problems a file stops being checked.
func TestTooManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	for i := range 250 {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	_, got, err := loadTestDir(t, map[string]string{"p.yaml": b.String()})
	if len(got) != 201 || !errors.Is(err, ErrTooComplex) {
		t.Fatalf("%d problems, ErrTooComplex %v", len(got), errors.Is(err, ErrTooComplex))
	}
	if want := "partners/p.yaml:204:1: k200: more than 200 problems; stopping here"; got[200] != want {
		t.Errorf("last problem %q, want %q", got[200], want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // "p.yaml" when only yaml is set
		yaml  string
		want  []string
		is    error // every problem wraps it
	}{
		// YAML itself.
		{
			name: "syntax error",
			yaml: "id: p\nname: P\n role: supplier\n",
			want: []string{"partners/p.yaml:3:1: mapping values are not allowed in this context"},
			is:   ErrSyntax,
		},
		{
			name: "empty file",
			yaml: "# nothing yet\n",
			want: []string{"partners/p.yaml: file is empty"},
			is:   ErrSyntax,
		},
		{
			name: "two documents",
			yaml: head + "---\nid: q\n",
			want: []string{"partners/p.yaml:5:1: a second YAML document: one profile per file"},
			is:   ErrSyntax,
		},
		{
			name: "not a mapping",
			yaml: "- id: p\n",
			want: []string{`partners/p.yaml:1:1: want a mapping of profile fields (id, name, role...), got a list`},
			is:   ErrType,
		},
		// Keys.
		{
			name: "unknown key with suggestion",
			yaml: head + "identities:\n  sftp:\n    user: p\n    pasword_hash: x\n",
			want: []string{
				`partners/p.yaml:5:3: identities.sftp: needs authorized_keys or password_hash`,
				`partners/p.yaml:7:5: identities.sftp.pasword_hash: unknown key (did you mean "password_hash"?)`,
			},
		},
		{
			name: "unknown key without suggestion",
			yaml: head + "acks:\n  colour: blue\n",
			want: []string{`partners/p.yaml:5:3: acks.colour: unknown key (known keys: send, expect_within)`},
			is:   ErrUnknownKey,
		},
		{
			name: "duplicate key",
			yaml: head + "name: Q\n",
			want: []string{`partners/p.yaml:4:1: name: duplicate key (first at line 2)`},
			is:   ErrDuplicateKey,
		},
		{
			name: "x- keys are free",
			yaml: head + "x-notes: anything\nacks:\n  x-more: [1, 2]\n",
		},
		// Types.
		{
			name: "list for text",
			yaml: "id: p\nname: [P]\nrole: supplier\n",
			want: []string{`partners/p.yaml:2:7: name: want text, got a list`},
			is:   ErrType,
		},
		{
			name: "text for mapping",
			yaml: head + "identities: acme\n",
			want: []string{`partners/p.yaml:4:13: identities: want a mapping, got "acme"`},
			is:   ErrType,
		},
		{
			name: "text for list",
			yaml: head + "identities:\n  gs: ACME\n",
			want: []string{`partners/p.yaml:5:7: identities.gs: want a list, got "ACME"`},
			is:   ErrType,
		},
		{
			name: "text for bool",
			yaml: head + "test_mode: maybe\n",
			want: []string{`partners/p.yaml:4:12: test_mode: want true or false, got "maybe"`},
			is:   ErrType,
		},
		{
			name: "text for number",
			yaml: head + "identities: {isa: [{qualifier: ZZ, id: P}]}\ntransports: {outbound: [{folder: {path: out}}]}\n" +
				"advice:\n  schedule: '@daily'\n  items: {qualifier: SK}\n  policy:\n    safety_stock: two\n",
			want: []string{`partners/p.yaml:10:19: advice.policy.safety_stock: want a whole number, got "two"`},
			is:   ErrType,
		},
		// Enums and required fields.
		{
			name: "bad enum",
			yaml: "id: p\nname: P\nrole: 3PL\n",
			want: []string{`partners/p.yaml:3:7: role: "3PL" is not one of 3pl, supplier, channel, customer`},
			is:   ErrEnum,
		},
		{
			name: "missing required fields",
			yaml: "name: P\nidentities:\n  isa:\n    - qualifier: ZZ\n",
			want: []string{
				`partners/p.yaml:1:1: id: is required`,
				`partners/p.yaml:1:1: role: is required`,
				`partners/p.yaml:4:7: identities.isa[0].id: is required`,
			},
			is: ErrRequired,
		},
		{
			name: "null is missing",
			yaml: "id: p\nname:\nrole: supplier\n",
			want: []string{`partners/p.yaml:1:1: name: is required`},
			is:   ErrRequired,
		},
		// Durations.
		{
			name: "bad duration",
			yaml: head + "acks:\n  expect_within: soon\n",
			want: []string{`partners/p.yaml:5:18: acks.expect_within: "soon" is not a duration (examples: 30s, 15m, 4h, 2d)`},
			is:   ErrDuration,
		},
		{
			name: "negative duration",
			yaml: head + "acks:\n  expect_within: -4h\n",
			want: []string{`partners/p.yaml:5:18: acks.expect_within: "-4h" is negative`},
			is:   ErrDuration,
		},
		// Cron.
		{
			name: "cron with six fields",
			yaml: adviceWith("schedule: '0 0 6 * * *'"),
			want: []string{`partners/p.yaml:8:13: advice.schedule: want 5 fields (minute hour day-of-month month day-of-week), got 6 in "0 0 6 * * *"`},
			is:   ErrCron,
		},
		{
			name: "cron out of range",
			yaml: adviceWith("schedule: '0 25 * * *'"),
			want: []string{`partners/p.yaml:8:13: advice.schedule: hour field "25": 25 is out of range 0-23`},
			is:   ErrCron,
		},
		{
			name: "cron never fires",
			yaml: adviceWith("schedule: '0 0 30 feb *'"),
			want: []string{`partners/p.yaml:8:13: advice.schedule: "0 0 30 feb *" never fires`},
			is:   ErrCron,
		},
		{
			name: "cron bad zone",
			yaml: adviceWith("schedule: 'CRON_TZ=Mars/Olympus 0 6 * * *'"),
			want: []string{`partners/p.yaml:8:13: advice.schedule: unknown time zone "Mars/Olympus"`},
			is:   ErrCron,
		},
		// Tables.
		{
			name: "undefined table",
			yaml: head + "identities: {isa: [{qualifier: ZZ, id: P}]}\ntransports: {inbound: [{folder: {path: in}}], outbound: [{folder: {path: out}}]}\n" +
				"documents:\n  - type: x12/940\n    mapping:\n      items:\n        order: [VN]\n        lookup: sku_xref\n",
			want: []string{`partners/p.yaml:11:17: documents[0].mapping.items.lookup: table "sku_xref" is not defined`},
			is:   ErrUndefinedTable,
		},
		{
			name: "table file missing",
			yaml: head + "tables:\n  skus:\n    file: skus.csv\n    keys: [item]\n    value: sku\n",
			want: []string{`partners/p.yaml:6:11: tables.skus.file: file "skus.csv" does not exist (looked for partners/skus.csv)`},
			is:   ErrFile,
		},
		{
			name: "table without source",
			yaml: head + "tables:\n  skus:\n    keys: [item]\n",
			want: []string{`partners/p.yaml:5:3: tables.skus: needs one of file, rows or map`},
			is:   ErrRequired,
		},
		{
			name: "table with two sources",
			yaml: head + "tables:\n  skus:\n    map: {a: b}\n    rows: [{a: b}]\n",
			want: []string{`partners/p.yaml:5:3: tables.skus: file, rows and map exclude each other`},
			is:   ErrConflict,
		},
		{
			name: "table csv duplicate key and missing column",
			files: map[string]string{
				"p.yaml": head + "tables:\n  skus:\n    file: skus.csv\n    keys: [item]\n    value: sku\n" +
					"  packs:\n    file: skus.csv\n    keys: [sku]\n    value: pack\n",
				"skus.csv": "item,sku\nA,1\nB,2\nA,3\nA,1\n",
			},
			want: []string{
				`partners/skus.csv:1:1: tables.packs.file: header has no column "pack" (it has item, sku)`,
				`partners/skus.csv:4:1: tables.skus.file: duplicate key "A" in column "item" (first on line 2)`,
			},
			is: ErrTable,
		},
		{
			name: "table csv syntax",
			files: map[string]string{
				"p.yaml":   head + "tables:\n  skus:\n    file: skus.csv\n    keys: [item]\n    value: sku\n",
				"skus.csv": "item,sku\nA,1\nB,\"2\nC\n",
			},
			want: []string{`partners/skus.csv:4:3: tables.skus.file: extraneous or missing " in quoted-field (in the record starting on line 3)`},
			is:   ErrTable,
		},
		{
			name: "table rows with unknown column",
			yaml: head + "tables:\n  skus:\n    keys: [item]\n    value: sku\n    rows:\n      - {item: A, sku: X, skew: 1}\n      - {item: B}\n",
			want: []string{
				`partners/p.yaml:9:27: tables.skus.rows[0].skew: column "skew" is neither a key nor the value`,
				`partners/p.yaml:10:9: tables.skus.rows[1]: row has no value (column "sku")`,
			},
			is: ErrTable,
		},
		// Files and key material.
		{
			name: "certificate missing and not a certificate",
			files: map[string]string{
				"p.yaml":    head + "identities: {as2: P}\ntransports:\n  inbound:\n    - as2:\n        partner_certs: [certs/p.pem, notes.txt]\n",
				"notes.txt": "hello\n",
			},
			want: []string{
				`partners/p.yaml:8:25: transports.inbound[0].as2.partner_certs[0]: file "certs/p.pem" does not exist (looked for partners/certs/p.pem)`,
				`partners/p.yaml:8:38: transports.inbound[0].as2.partner_certs[1]: "notes.txt": no certificate found (want PEM "CERTIFICATE" blocks or DER)`,
			},
		},
		{
			name: "authorized key and password hash",
			yaml: head + "identities:\n  sftp:\n    user: p\n    authorized_keys: [ssh-ed25519 AAAA]\n    password_hash: hunter2\n",
			want: []string{
				`partners/p.yaml:7:23: identities.sftp.authorized_keys[0]: not an authorized_keys line: ssh: no key found; last parsing error for ignored line: ssh: short read`,
				`partners/p.yaml:8:20: identities.sftp.password_hash: not a bcrypt ($2b$...) or argon2id ($argon2id$...) hash; never put a clear password here`,
			},
			is: ErrKey,
		},
		{
			name: "authorized_keys options the server does not enforce",
			yaml: head + "identities:\n  sftp:\n    user: p\n    authorized_keys:\n" +
				"      - permitopen=\"db:5432\" " + testSSHKey + "\n" +
				"      - from=\"*.acme.example\" " + testSSHKey + "\n" +
				"      - restrict,pty " + testSSHKey + "\n" +
				"      - bogus " + testSSHKey + "\n" +
				"      - expiry-time=\"2020\" " + testSSHKey + "\n" +
				"      - command=\"/bin/sh\" " + testSSHKey + "\n" +
				"      - cert-authority " + testSSHKey + "\n" +
				"      - restrict,from=\"127.0.0.1,::1\",expiry-time=\"20200101\",command=\"internal-sftp\" " + testSSHKey + "\n",
			want: []string{
				`partners/p.yaml:8:9: identities.sftp.authorized_keys[0]: option 1 "permitopen": not enforced by Dockside's SFTP server (it forwards no port); remove it`,
				`partners/p.yaml:9:9: identities.sftp.authorized_keys[1]: option 1 "from": "*.acme.example": host name patterns are not supported (Dockside does not resolve client names): use addresses, CIDR blocks or wildcards on addresses`,
				`partners/p.yaml:10:9: identities.sftp.authorized_keys[2]: option 2 "pty": grants a terminal, which an SFTP-only server never gives; remove it`,
				`partners/p.yaml:11:9: identities.sftp.authorized_keys[3]: option 1 "bogus": unknown option`,
				`partners/p.yaml:12:9: identities.sftp.authorized_keys[4]: option 1 "expiry-time": "2020": want YYYYMMDD[HHMM[SS]][Z]`,
				`partners/p.yaml:13:9: identities.sftp.authorized_keys[5]: option 1 "command": "/bin/sh": Dockside serves SFTP only; only command="internal-sftp" (without flags) is accepted`,
				`partners/p.yaml:14:9: identities.sftp.authorized_keys[6]: option 1 "cert-authority": certificate logins are not supported; list the partner's keys instead`,
			},
			is: ErrInvalid,
		},
		{
			name: "malformed bcrypt",
			yaml: head + "identities:\n  sftp:\n    user: p\n    password_hash: $2b$12$short\n",
			want: []string{`partners/p.yaml:7:20: identities.sftp.password_hash: malformed bcrypt hash`},
			is:   ErrKey,
		},
		{
			// The SFTP server would refuse them at login (internal/passhash).
			name: "password hashes over the login bounds",
			files: map[string]string{
				"p.yaml": head + "identities:\n  sftp:\n    user: p\n    password_hash: " + strings.Replace(testBcrypt, "$04$", "$15$", 1) + "\n",
				"q.yaml": "id: q\nname: Q\nrole: supplier\nidentities:\n  sftp:\n    user: q\n    password_hash: $argon2id$v=19$m=2097152,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g\n",
			},
			want: []string{
				`partners/p.yaml:7:20: identities.sftp.password_hash: bcrypt cost 15 over 14 (each step doubles a login's time); hash it again with a lower cost`,
				`partners/q.yaml:7:20: identities.sftp.password_hash: argon2id parameter m=2097152 over 1048576`,
			},
			is: ErrKey,
		},
		// Identities across files.
		{
			name: "duplicate id",
			files: map[string]string{
				"a.yaml": head,
				"b.yaml": "name: B\nrole: channel\nid: p\n",
			},
			want: []string{`partners/b.yaml:3:5: id: duplicate id "p" (also partners/a.yaml:1:5)`},
			is:   ErrDuplicateID,
		},
		{
			name: "ambiguous identities",
			files: map[string]string{
				"a.yaml": "id: a\nname: A\nrole: supplier\nidentities:\n  isa: [{qualifier: ZZ, id: ACME}]\n  as2: ACME\n  sftp: {user: acme, password_hash: '" + testBcrypt + "'}\n",
				"b.yaml": "id: b\nname: B\nrole: supplier\nidentities:\n  isa: [{qualifier: ZZ, id: 'acme  '}]\n  as2: ACME\n  sftp: {user: acme, password_hash: '" + testBcrypt + "'}\n",
			},
			want: []string{
				`partners/b.yaml:5:9: identities.isa[0]: ISA sender ZZ/acme   is already used by partner "a" (partners/a.yaml:5:9)`,
				`partners/b.yaml:5:29: identities.isa[0].id: "acme  ": want 1 to 15 printable characters, without the padding`,
				`partners/b.yaml:6:8: identities.as2: AS2 id "ACME" is already used by partner "a" (partners/a.yaml:6:8)`,
				`partners/b.yaml:7:16: identities.sftp.user: SFTP user "acme" is already used by partner "a" (partners/a.yaml:7:16)`,
			},
		},
		{
			name: "location fulfilled by two partners",
			files: map[string]string{
				"a.yaml": fulfilsProfile("a", "A1", "dallas: DAL1\n    reno: RNO2"),
				"b.yaml": fulfilsProfile("b", "B1", "reno: R2\n    dallas: D1"),
			},
			want: []string{
				`partners/b.yaml:12:5: fulfils.locations.reno: location "reno" is already fulfilled by partner "a" (partners/a.yaml:13:5)`,
				`partners/b.yaml:13:5: fulfils.locations.dallas: location "dallas" is already fulfilled by partner "a" (partners/a.yaml:12:5)`,
			},
			is: ErrFulfilledTwice,
		},
		{
			name: "fulfils rules",
			yaml: head + "fulfils:\n  locations: {dallas: ' DAL1'}\n  items: {qualifier: V, lookup: nope}\n",
			want: []string{
				`partners/p.yaml:4:1: fulfils: applies to warehouse partners only (role: 3pl), not supplier`,
				`partners/p.yaml:4:1: fulfils: needs an outbound transport (transports.outbound) to send the 940s`,
				`partners/p.yaml:4:1: fulfils: needs identities.isa (the receiver of the 940s)`,
				`partners/p.yaml:5:23: fulfils.locations.dallas: " DAL1": want the partner's warehouse code, 1 to 80 printable characters`,
				`partners/p.yaml:6:22: fulfils.items.qualifier: "V": want a 2-character product id qualifier (VN, UP, SK...)`,
				`partners/p.yaml:6:33: fulfils.items.lookup: table "nope" is not defined`,
			},
		},
		{
			name: "isa listed twice in one profile",
			yaml: head + "identities:\n  isa:\n    - {qualifier: ZZ, id: P}\n    - {qualifier: ZZ, id: p}\n",
			want: []string{`partners/p.yaml:7:7: identities.isa[1]: ISA sender ZZ/p is listed twice (first at identities.isa[0])`},
			is:   ErrAmbiguousIdentity,
		},
		// Invalid values and conflicts.
		{
			name: "id format and isa codes",
			yaml: "id: Acme Corp\nname: P\nrole: supplier\nidentities:\n  isa: [{qualifier: zz, id: 'THIS-ID-IS-TOO-LONG'}]\n  gs: [A]\n",
			want: []string{
				`partners/p.yaml:1:5: id: "Acme Corp": want lower-case letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit`,
				`partners/p.yaml:5:21: identities.isa[0].qualifier: "zz": want 2 upper-case letters or digits (ZZ, 01, 08, 12...)`,
				`partners/p.yaml:5:29: identities.isa[0].id: "THIS-ID-IS-TOO-LONG": want 1 to 15 printable characters, without the padding`,
				`partners/p.yaml:6:8: identities.gs[0]: "A": want 2 to 15 printable characters`,
			},
			is: ErrInvalid,
		},
		{
			name: "time zone",
			yaml: head + "time_zone: Mars/Olympus\n",
			want: []string{`partners/p.yaml:4:12: time_zone: unknown time zone "Mars/Olympus" (want an IANA name such as America/Chicago)`},
			is:   ErrInvalid,
		},
		{
			name: "transport entries",
			yaml: head + "identities: {sftp: {user: p, password_hash: '" + testBcrypt + "'}}\ntransports:\n  inbound:\n    - sftp: {folder: ../etc}\n" +
				"    - sftp: {}\n      folder: {path: in}\n    - {}\n    - sftp_push: {host: h, user: u, key_file: k, host_key: x}\n",
			want: []string{
				`partners/p.yaml:7:22: transports.inbound[0].sftp.folder: "../etc": the partner's uploaded files are in in/ on our server (leave folder out, or write in)`,
				`partners/p.yaml:8:7: transports.inbound[1]: one transport per entry, found sftp and folder (make one entry each)`,
				`partners/p.yaml:10:7: transports.inbound[2]: needs one of sftp, sftp_push, as2, folder or webhook`,
				`partners/p.yaml:11:7: transports.inbound[3].sftp_push: sftp_push is outbound only (inbound, the partner uploads to our server: use sftp)`,
			},
		},
		{
			name: "sftp without account",
			yaml: head + "transports:\n  outbound:\n    - sftp:\n",
			want: []string{`partners/p.yaml:6:7: transports.outbound[0].sftp: needs identities.sftp (the partner's login on our server)`},
			is:   ErrRequired,
		},
		{
			name: "as2 options",
			yaml: head + "identities: {as2: P}\ntransports:\n  inbound:\n    - as2: {url: 'https://p.example/as2', sign: none}\n" +
				"  outbound:\n    - as2: {url: 'ftp://p.example', encrypt: none, mdn: none, mdn_signed: true, our_key: k.pem}\n",
			want: []string{
				`partners/p.yaml:7:18: transports.inbound[0].as2.url: does not apply to inbound as2 (it is the partner's endpoint, for outbound)`,
				`partners/p.yaml:9:7: transports.outbound[0].as2: our_key and our_cert go together (leave both out for the gateway's own)`,
				`partners/p.yaml:9:18: transports.outbound[0].as2.url: "ftp://p.example": want an http:// or https:// URL`,
				`partners/p.yaml:9:75: transports.outbound[0].as2.mdn_signed: mdn_signed needs an MDN (mdn is none)`,
				`partners/p.yaml:9:90: transports.outbound[0].as2.our_key: file "k.pem" does not exist (looked for partners/k.pem)`,
			},
		},
		{
			name: "as2 mdn_within",
			yaml: head + "identities: {as2: P}\ntransports:\n  inbound:\n    - as2: {sign: none, mdn_within: 1h}\n" +
				"  outbound:\n    - as2: {url: 'https://p.example', encrypt: none, mdn_signed: false, mdn_within: 1h}\n" +
				"    - as2: {url: 'https://q.example', encrypt: none, mdn_signed: false, mdn: async, mdn_within: 30s}\n",
			want: []string{
				`partners/p.yaml:7:37: transports.inbound[0].as2.mdn_within: mdn_within is for outbound as2 (how long we wait for their asynchronous MDN)`,
				`partners/p.yaml:10:97: transports.outbound[1].as2.mdn_within: 30s: want at least 1m`,
			},
		},
		{
			name: "as2 needs certificates",
			yaml: head + "identities: {as2: P}\ntransports:\n  inbound:\n    - as2:\n  outbound:\n    - as2: {url: 'https://p.example', encrypt: none}\n",
			want: []string{
				`partners/p.yaml:7:7: transports.inbound[0].as2.partner_certs: is required to verify the partner's signature (or sign: none)`,
				`partners/p.yaml:9:7: transports.outbound[0].as2.partner_certs: is required to verify the partner's signed MDN (or mdn_signed: false)`,
			},
			is: ErrRequired,
		},
		{
			name: "folder done suffix",
			yaml: head + "transports:\n  inbound:\n    - folder: {path: in, done_suffix: /done, min_age: 1d12h}\n",
			want: []string{`partners/p.yaml:6:39: transports.inbound[0].folder.done_suffix: "/done": want a file-name suffix such as .done or .ok`},
			is:   ErrInvalid,
		},
		// Documents.
		{
			name: "846 needs content, buckets, location, items",
			yaml: x12Profile + "documents:\n  - type: x12/846\n    mapping:\n      mode: asn\n      buckets: {'017': on_hand}\n",
			want: []string{
				`partners/p.yaml:8:5: documents[0].content: is required: snapshot (absolute counts) or adjustments (changes)`,
				`partners/p.yaml:9:5: documents[0].mapping.items.order: is required: the product id qualifiers to try, in order (SK, VN, UP...)`,
				`partners/p.yaml:9:5: documents[0].mapping.location: is required: where the 846 names its locations (header_n1, lin_n1, sdq or fixed)`,
				`partners/p.yaml:10:13: documents[0].mapping.mode: does not apply to x12/846 documents`,
				`partners/p.yaml:11:17: documents[0].mapping.buckets.017: "017" is not a QTY01 qualifier (2 letters or digits)`,
			},
		},
		{
			name: "856 mode and location source",
			yaml: x12Profile + "documents:\n  - type: x12/856\n    content: snapshot\n    mapping:\n      items: {order: [SK]}\n" +
				"      location: {source: sdq}\n      effective: {source: dtm}\n",
			want: []string{
				`partners/p.yaml:9:14: documents[0].content: does not apply to x12/856 documents`,
				`partners/p.yaml:10:5: documents[0].mapping.mode: is required: asn or shipment_confirmation`,
				`partners/p.yaml:12:26: documents[0].mapping.location.source: sdq does not apply to x12/856 documents (want header_n1, fixed)`,
				`partners/p.yaml:13:7: documents[0].mapping.effective.qualifier: is required with source dtm: the DTM01 qualifier (e.g. 405)`,
			},
		},
		{
			name: "856 shipment confirmation options",
			yaml: x12Profile + "documents:\n  - type: x12/856\n    mapping:\n      mode: shipment_confirmation\n      expected_date: '017'\n" +
				"      items: {order: [SK]}\n      effective: {source: received, qualifier: '011'}\n  - type: x12/846\n    content: snapshot\n" +
				"    mapping: {buckets: {'17': on_hand}, location: {source: lin_n1}, items: {order: [SK]}, effective: {source: column}}\n",
			want: []string{
				`partners/p.yaml:11:22: documents[0].mapping.expected_date: does not apply to shipment_confirmation (only to asn)`,
				`partners/p.yaml:13:48: documents[0].mapping.effective.qualifier: does not apply to source received (only to dtm)`,
				`partners/p.yaml:16:41: documents[1].mapping.location.qualifier: is required: the N1-01 entity code to read (WH, ST, SF...)`,
				`partners/p.yaml:16:111: documents[1].mapping.effective.source: column does not apply to x12/846 documents (want bia, dtm, received)`,
			},
		},
		{
			name: "merge of a scalar",
			yaml: head + "acks: {<<: 5, send: none}\n",
			want: []string{`partners/p.yaml:4:12: acks: want a mapping to merge, got "5"`},
			is:   ErrType,
		},
		{
			name: "x12 type twice and no isa",
			yaml: head + "transports: {inbound: [{folder: {path: in}}]}\nacks: {send: none}\ndocuments:\n" +
				"  - {type: x12/940, mapping: {items: {order: [SK]}}}\n  - {type: x12/940, mapping: {items: {order: [SK]}}}\n",
			want: []string{
				`partners/p.yaml:7:12: documents[0].type: X12 documents need identities.isa (to recognize the sender)`,
				`partners/p.yaml:8:12: documents[1].type: x12/940 is already mapped by documents[0]`,
			},
		},
		{
			name: "documents need transports",
			yaml: head + "identities: {isa: [{qualifier: ZZ, id: P}]}\ndocuments:\n  - {type: x12/940, mapping: {items: {order: [SK]}}}\n",
			want: []string{
				`partners/p.yaml:1:1: acks.send: sending acknowledgements needs an outbound transport (transports.outbound), or send: none`,
				`partners/p.yaml:5:1: documents: documents need an inbound transport (transports.inbound)`,
			},
			is: ErrRequired,
		},
		{
			name: "csv layout",
			yaml: flatProfile + "  - type: csv\n    match: '[x'\n    content: snapshot\n    mapping:\n      csv: {header: false, delimiter: ';;'}\n" +
				"      columns: {sku: Item, quantity: 0, time: 3}\n      time_format: today\n      items: {order: [SK]}\n",
			want: []string{
				`partners/p.yaml:7:12: documents[0].match: "[x" is not a file-name pattern: syntax error in pattern`,
				`partners/p.yaml:9:5: documents[0].mapping.location: is required without a location column: {source: fixed, id: CODE}`,
				`partners/p.yaml:10:39: documents[0].mapping.csv.delimiter: ";;": want one character other than quote, CR or LF (or tab)`,
				`partners/p.yaml:11:22: documents[0].mapping.columns.sku: "Item": with csv header: false, columns are numbers (1 is the first)`,
				`partners/p.yaml:11:38: documents[0].mapping.columns.quantity: 0: column numbers start at 1`,
				`partners/p.yaml:12:20: documents[0].mapping.time_format: "today" is not a Go time layout (e.g. 2006-01-02 15:04)`,
				`partners/p.yaml:13:15: documents[0].mapping.items.order: does not apply to flat files (the sku column holds the id)`,
			},
		},
		{
			name: "fixed layout",
			yaml: flatProfile + "  - type: fixed\n    content: adjustments\n    mapping:\n      location: {source: fixed}\n      columns: {sku: 1, quantity: 2}\n" +
				"      fixed:\n        fields:\n          sku: {start: 1, length: 10}\n          quantity: {start: 8, length: 4}\n          unit: {start: 0, length: 1}\n",
			want: []string{
				`partners/p.yaml:9:7: documents[0].mapping.location.id: is required with source fixed: the partner's code of the location`,
				`partners/p.yaml:10:7: documents[0].mapping.columns: does not apply to fixed documents`,
				`partners/p.yaml:14:11: documents[0].mapping.fixed.fields.quantity: overlaps sku (columns 1-10)`,
				`partners/p.yaml:15:25: documents[0].mapping.fixed.fields.unit.start: 0: columns start at 1`,
			},
		},
		{
			name: "flat buckets need a bucket column",
			yaml: flatProfile + "  - type: xlsx\n    content: snapshot\n    mapping:\n      xlsx: {header_row: 0}\n" +
				"      columns: {sku: 1, location: 2, quantity: 2}\n      buckets: {A: on_hand}\n",
			want: []string{
				`partners/p.yaml:10:48: documents[0].mapping.columns.quantity: column 2 is also the location column`,
				`partners/p.yaml:11:7: documents[0].mapping.buckets: needs a bucket column (or use bucket: for one bucket)`,
			},
			is: ErrConflict,
		},
		{
			name: "units (EA: 1 is no base-unit error while the base is bad)",
			yaml: x12Profile + "documents:\n  - type: x12/940\n    mapping:\n      items: {order: [SK]}\n" +
				"      units: {base: EACH, convert: {CA: 0, DZ: 12.5, EA: 1, PK: packs}}\n",
			want: []string{
				`partners/p.yaml:11:21: documents[0].mapping.units.base: "EACH" is not a unit of measure code (2 letters or digits, e.g. EA)`,
				`partners/p.yaml:11:41: documents[0].mapping.units.convert.CA: factor 0 must be at least 1`,
				`partners/p.yaml:11:48: documents[0].mapping.units.convert.DZ: factor 12.5 must be a whole number`,
				`partners/p.yaml:11:65: documents[0].mapping.units.convert.PK: table "packs" is not defined`,
			},
		},
		{
			name: "unit is the base unit",
			yaml: x12Profile + "documents:\n  - type: x12/940\n    mapping:\n      items: {order: [SK]}\n      units:\n        convert:\n          EA: 1\n",
			want: []string{`partners/p.yaml:13:11: documents[0].mapping.units.convert.EA: EA is the base unit`},
			is:   ErrConflict,
		},
		// Advice.
		{
			name: "advice policy",
			yaml: adviceWith("schedule: '@daily'\n  policy:\n    share_percent: 120\n    min: 10\n    max: 5\n    locations: [a, '', a]\n    in_transit_days: 400"),
			want: []string{
				`partners/p.yaml:10:20: advice.policy.share_percent: 120 is not a percentage (0-100)`,
				`partners/p.yaml:11:10: advice.policy.min: min 10 is above max 5`,
				`partners/p.yaml:13:20: advice.policy.locations[1]: empty location`,
				`partners/p.yaml:13:24: advice.policy.locations[2]: location "a" is listed twice (first at [0])`,
				`partners/p.yaml:14:22: advice.policy.in_transit_days: 400: want 0 to 365 days`,
			},
		},
		{
			name: "advice needs transport, isa and items",
			yaml: head + "advice:\n  schedule: '@hourly'\n  version: 6020\n",
			want: []string{
				`partners/p.yaml:4:1: advice: needs an outbound transport (transports.outbound)`,
				`partners/p.yaml:4:1: advice: needs identities.isa (the receiver of the 846), or format: json`,
				`partners/p.yaml:4:1: advice.items: is required`,
				`partners/p.yaml:6:12: advice.version: "6020" is not one of 4010, 5010`,
			},
		},
		// Webhooks.
		{
			name: "webhook outbound only, url, timeout, secrets",
			files: map[string]string{
				"p.yaml": head + "transports:\n  inbound:\n    - webhook: {url: https://a.example/x, secret_file: s.txt}\n" +
					"  outbound:\n    - webhook: {url: 'ftp://a.example/x', timeout: 500ms}\n" +
					"    - webhook: {url: 'https://u:pw@a.example/x', secret_env: DOCKSIDE_TEST_NO_SUCH_VAR}\n" +
					"    - webhook: {url: https://a.example/x, secret_file: s.txt, old_secret_file: bad.txt, old_secret_env: X}\n" +
					"    - webhook: {url: https://a.example/x, secret_file: bad.txt}\n",
				"s.txt":   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
				"bad.txt": "whsec_c2hvcnQ=\n",
			},
			want: []string{
				`partners/p.yaml:6:7: transports.inbound[0].webhook: webhook is outbound only (inbound events come over POST /api/v1/events: see events)`,
				`partners/p.yaml:8:7: transports.outbound[0].webhook: needs secret_env or secret_file (the signing secret, whsec_...)`,
				`partners/p.yaml:8:22: transports.outbound[0].webhook.url: want an http:// or https:// URL`,
				`partners/p.yaml:8:52: transports.outbound[0].webhook.timeout: 500ms: want 1s to 2m`,
				`partners/p.yaml:9:22: transports.outbound[1].webhook.url: no user or password in the URL (requests are signed)`,
				`partners/p.yaml:9:62: transports.outbound[1].webhook.secret_env: environment variable DOCKSIDE_TEST_NO_SUCH_VAR is not set`,
				`partners/p.yaml:10:7: transports.outbound[2].webhook: old_secret_env and old_secret_file: give one`,
				`partners/p.yaml:11:56: transports.outbound[3].webhook.secret_file: "bad.txt": stdwebhooks: invalid secret: 5 bytes, want 24 to 64`,
			},
		},
		{
			name: "json advice is not acknowledged",
			yaml: head + "acks: {expect_within: 1h}\ntransports:\n  outbound:\n    - folder: {path: out}\nadvice:\n  schedule: '@hourly'\n  format: json\n  items: {qualifier: SK}\n",
			want: []string{`partners/p.yaml:4:23: acks.expect_within: nothing acknowledges JSON advice (advice.format: json); leave expect_within out`},
			is:   ErrConflict,
		},
		{
			name: "json advice takes no version, needs no isa",
			yaml: head + "transports:\n  outbound:\n    - folder: {path: out}\nadvice:\n  schedule: '@hourly'\n  format: json\n  version: 5010\n  items: {qualifier: SK}\n",
			want: []string{`partners/p.yaml:10:12: advice.version: is the X12 release; it does not apply to format: json`},
			is:   ErrConflict,
		},
		// Divergence.
		{
			name: "divergence threshold and webhook",
			yaml: head + "divergence:\n  warn_after: 10s\n  webhook: ftp://ops.example/x\n",
			want: []string{
				`partners/p.yaml:5:15: divergence.warn_after: 10s: want at least 1m`,
				`partners/p.yaml:6:12: divergence.webhook: "ftp://ops.example/x": want an http or https URL`,
			},
			is: ErrInvalid,
		},
		{
			name: "divergence webhook with credentials",
			yaml: head + "divergence:\n  webhook: https://user:pw@ops.example/x\n",
			want: []string{`partners/p.yaml:5:12: divergence.webhook: must not carry credentials (not repeated here)`},
			is:   ErrInvalid,
		},
		// Limits.
		{
			name: "alias cycle",
			yaml: head + "acks: &a {x-self: *a}\n",
			want: []string{`partners/p.yaml:4:19: acks: alias *a refers to a node that contains it`},
			is:   ErrTooComplex,
		},
		{
			name: "alias bomb",
			yaml: head + aliasBomb,
			want: []string{`partners/p.yaml:9:1: x-f: more than 200000 YAML nodes once aliases are expanded`},
			is:   ErrTooComplex,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := tt.files
			if files == nil {
				files = map[string]string{"p.yaml": tt.yaml}
			}
			_, got, err := loadTestDir(t, files)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.is == nil {
				return
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LoadError", err)
			}
			for _, pe := range le.Errs {
				if !errors.Is(pe, tt.is) {
					t.Errorf("%v does not wrap %v", pe, tt.is)
				}
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("LoadError does not wrap %v", tt.is)
			}
		})
	}
}

// adviceWith is a channel profile whose advice holds the given lines
// (the first lands on line 8).
func adviceWith(lines string) string {
	return head + "identities: {isa: [{qualifier: ZZ, id: P}]}\ntransports: {outbound: [{folder: {path: out}}]}\n" +
		"advice:\n  items: {qualifier: UP}\n  " + lines + "\n"
}

// x12Profile is a profile ready for X12 documents (documents: on line 7).
const x12Profile = head + "identities: {isa: [{qualifier: ZZ, id: P}]}\n" +
	"transports: {inbound: [{folder: {path: in}}], outbound: [{folder: {path: out}}]}\n" +
	"acks: {send: auto}\n"

// flatProfile is a profile ready for flat documents (the first one on
// line 6).
const flatProfile = head + "transports: {inbound: [{folder: {path: in}}]}\ndocuments:\n"

// testBcrypt is a valid bcrypt hash (cost 4).
const testBcrypt = "$2a$04$SC7Nd0OWg6Ix5Tm5n2PtMOVnbsGuFzLX.2A4zWM4BQ6usOt0fcXFC"

// aliasBomb expands to a billion merged keys (lines 4 to 13 after head).
const aliasBomb = `x-a: &a {send: auto}
x-b: &b {<<: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]}
x-c: &c {<<: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]}
x-d: &d {<<: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]}
x-e: &e {<<: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]}
x-f: &f {<<: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]}
x-g: &g {<<: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]}
x-h: &h {<<: [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]}
x-i: &i {<<: [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]}
acks: {<<: *i}
`

// fulfilsProfile is a warehouse partner fulfilling the given locations
// (a YAML mapping body, indented four spaces): its locations start on
// line 12.
func fulfilsProfile(id, isa, locations string) string {
	return "id: " + id + "\nname: " + id + "\nrole: 3pl\nidentities:\n  isa: [{qualifier: ZZ, id: " + isa + "}]\n" +
		"transports:\n  outbound:\n    - folder: {path: /tmp/out}\nfulfils:\n  items: {qualifier: VN}\n  locations:\n    " + locations + "\n"
}
