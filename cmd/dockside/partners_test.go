package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runPartners runs "dockside partners <args>" and returns the exit code,
// stdout and stderr.
func runPartners(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := run(context.Background(), e, append([]string{"partners"}, args...))
	return code, stdout.String(), stderr.String()
}

// writePartners writes profile files into a new folder and returns it.
func writePartners(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPartnersCheckValid(t *testing.T) {
	code, out, errOut := runPartners(t, "check", "--partners", "../../partners/testdata/valid")
	if code != exitOK {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	want := []string{
		`acme-3pl: 3pl "ACME Logistics"; ids: isa ZZ/ACME3PL, isa 01/123456789, sftp acme; in: sftp; out: sftp; documents: x12/846, x12/856; acks: 997; advice: none`,
		`northwind: supplier "Northwind Traders"; ids: none; in: folder; out: none; documents: csv, xlsx; acks: auto; advice: none`,
		`shopmart: channel "Shopmart Marketplace"; ids: isa ZZ/SHOPMART, as2 SHOPMART-AS2; in: as2; out: as2; documents: x12/940; acks: 997; advice: full 846 "CRON_TZ=America/New_York 0 */4 * * *"`,
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	if !strings.Contains(errOut, "3 profiles valid") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestPartnersCheckProblems(t *testing.T) {
	dir := writePartners(t, map[string]string{
		"a.yaml": "id: a\nname: A\nrole: 3PL\n",
		"b.yaml": "id: a\nname: B\nrole: channel\nacks: {send: 998}\n",
	})
	code, out, errOut := runPartners(t, "check", "--partners="+dir)
	if code != exitFail {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFail, errOut)
	}
	want := []string{
		dir + `/a.yaml:3:7: role: "3PL" is not one of 3pl, supplier, channel, customer`,
		dir + `/b.yaml:1:5: id: duplicate id "a" (also ` + dir + `/a.yaml:1:5)`,
		dir + `/b.yaml:4:14: acks.send: "998" is not one of 997, 999, none, auto`,
	}
	if out != strings.Join(want, "\n")+"\n" {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	if !strings.Contains(errOut, "3 problems in "+dir) {
		t.Errorf("stderr = %q", errOut)
	}
}

// TestPartnersCheckDefaultFolder: with no flag, check finds the folder
// serve uses (the data folder's demo partners, else the embedded demo),
// not ./partners (the Go package in the repository), and says which.
func TestPartnersCheckDefaultFolder(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	// ./partners is not a profiles folder: it must not be read.
	if err := os.Mkdir(filepath.Join(root, "partners"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runPartners(t, "check")
	if code != exitOK || !strings.Contains(out, "acme-3pl: 3pl") || !strings.Contains(errOut, "3 profiles valid in the embedded demo partners") {
		t.Errorf("before serve: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	demo := filepath.Join("dockside-data", "demo-partners")
	if err := os.MkdirAll(demo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(demo, "p.yml"), []byte("id: p\nname: P\nrole: customer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runPartners(t, "check")
	if code != exitOK || !strings.HasPrefix(out, `p: customer "P";`) || !strings.Contains(errOut, "1 profile valid in "+demo) {
		t.Errorf("after serve: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	cfg := filepath.Join(root, "dockside.yaml")
	if err := os.WriteFile(cfg, []byte("partners: "+demo+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runPartners(t, "check", "--config", cfg)
	if code != exitOK || !strings.Contains(errOut, "1 profile valid in "+filepath.Join(root, demo)) {
		t.Errorf("with --config: exit %d, stderr %q", code, errOut)
	}
}

func TestPartnersCheckExitCodes(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		out  string // expected in stdout
		err  string // expected in stderr
	}{
		{"missing folder", []string{"check", "--partners", filepath.Join(empty, "nope")}, exitUsage, "", "reading partners folder"},
		{"no profiles", []string{"check", "--partners", empty}, exitFail, "no partner profiles", ""},
		{"unknown flag", []string{"check", "--bogus"}, exitUsage, "", "flag provided but not defined"},
		{"extra argument", []string{"check", "x.yaml", "--partners", empty}, exitUsage, "", `unexpected argument "x.yaml"`},
		{"help", []string{"check", "--help"}, exitOK, "Usage: dockside partners check [--partners DIR | --config FILE]", ""},
		{"group help", []string{"help"}, exitOK, "check", ""},
		{"no sub-command", nil, exitUsage, "check", ""},
		{"unknown sub-command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runPartners(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
		})
	}
}

func TestPartnersCheckRefusesKeyOptions(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZq/qlQtzaCEMg3Wre1/DuptjGt+aWitGMzOLX+r5pE"
	dir := writePartners(t, map[string]string{
		"p.yaml": "id: p\nname: P\nrole: 3pl\ntime_zone: America/Chicago\nidentities:\n  sftp:\n    user: p\n    authorized_keys:\n" +
			"      - from=\"127.0.0.1,::1\",expiry-time=\"20991231\",restrict " + key + " ok\n" +
			"      - no-pty,permitopen=\"db:5432\" " + key + " forwards\n" +
			"      - from=\"gw.acme.example\" " + key + " by name\n",
	})
	code, out, errOut := runPartners(t, "check", "--partners", dir)
	if code != exitFail {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, exitFail, out, errOut)
	}
	want := []string{
		dir + `/p.yaml:10:9: identities.sftp.authorized_keys[1]: option 2 "permitopen": not enforced by Dockside's SFTP server (it forwards no port); remove it`,
		dir + `/p.yaml:11:9: identities.sftp.authorized_keys[2]: option 1 "from": "gw.acme.example": host name patterns are not supported (Dockside does not resolve client names): use addresses, CIDR blocks or wildcards on addresses`,
	}
	if out != strings.Join(want, "\n")+"\n" {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
}

// TestPartnersCheckExamples: the demo's profiles pass, with their from=
// keys.
func TestPartnersCheckExamples(t *testing.T) {
	code, out, errOut := runPartners(t, "check", "--partners", "../../examples/partners")
	if code != exitOK {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
