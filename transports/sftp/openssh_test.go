package sftp

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/outbox"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// openSSH prepares the OpenSSH sftp client for u against e: a key file and
// a known_hosts file holding keys; options are more -o options
// ("BindAddress=127.0.0.2"). It skips the test when sftp is missing.
func openSSH(t *testing.T, e *env, u user, keys []ssh.PublicKey, options ...string) (dir string, run func(batch string) (string, error)) {
	t.Helper()
	bin, err := exec.LookPath("sftp")
	if err != nil {
		t.Skip("OpenSSH sftp client not on PATH")
	}
	dir = t.TempDir()
	block, err := ssh.MarshalPrivateKey(u.priv, "test key")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	var kh bytes.Buffer
	for _, k := range keys {
		kh.WriteString(knownhosts.Line([]string{knownhosts.Normalize(e.addr)}, k) + "\n")
	}
	khFile := filepath.Join(dir, "known_hosts")
	os.WriteFile(khFile, kh.Bytes(), 0o600)
	_, port, _ := strings.Cut(e.addr, ":")
	return dir, func(batch string) (string, error) {
		bf := filepath.Join(dir, "batch")
		os.WriteFile(bf, []byte(batch), 0o600)
		args := []string{"-F", "/dev/null", "-b", bf, "-i", keyFile, "-P", port,
			"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + khFile, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no"}
		for _, o := range options {
			args = append(args, "-o", o)
		}
		cmd := exec.Command(bin, append(args, u.name+"@127.0.0.1")...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}

func TestOpenSSHClient(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	ack := bytes.Repeat([]byte("ISA*997~"), 10_000)
	if _, err := e.srv.Sender().Send(context.Background(), &outbox.Message{Partner: "acme", Name: "997-7.x12"}, ack); err != nil {
		t.Fatal(err)
	}
	dir, run := openSSH(t, e, u, e.srv.HostKeys())
	orders := bytes.Repeat([]byte("ISA*850~"), 50_000) // 400 kB
	os.WriteFile(filepath.Join(dir, "orders.edi"), orders, 0o644)
	os.WriteFile(filepath.Join(dir, "asn.edi"), []byte("ISA*856~"), 0o644)

	out, err := run(strings.Join([]string{
		"put " + filepath.Join(dir, "orders.edi") + " /in/orders.edi",
		"put " + filepath.Join(dir, "asn.edi") + " /in/asn.edi.part",
		"rename /in/asn.edi.part /in/asn.edi",
		"ls -l /in",
		"get /out/997-7.x12 " + filepath.Join(dir, "got.x12"),
		"rm /out/997-7.x12",
		"-put " + filepath.Join(dir, "asn.edi") + " /out/nope.edi",
		"-get /../../etc/passwd " + filepath.Join(dir, "passwd"),
	}, "\n") + "\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	t.Logf("sftp output:\n%s", out)
	got, bodies := e.fake.snapshot()
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"orders.edi", "asn.edi"}) || !bytes.Equal(bodies[0], orders) || string(bodies[1]) != "ISA*856~" {
		t.Fatalf("inbox got %v\n%s", names, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "got.x12")); !bytes.Equal(b, ack) {
		t.Errorf("downloaded %d bytes, want %d", len(b), len(ack))
	}
	if p := e.pickups.list(); !slices.Equal(p, []string{"acme/997-7.x12"}) {
		t.Errorf("pickups %v", p)
	}
	if _, err := os.Stat(filepath.Join(dir, "passwd")); err == nil {
		t.Error("got /etc/passwd")
	}
	for _, sub := range []string{areaIn, areaOut, incoming} {
		if n := e.names(t, "acme", sub); len(n) != 0 {
			t.Errorf("%s holds %v", sub, n)
		}
	}
}

func TestOpenSSHClientRejectsAnotherHostKey(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	_, run := openSSH(t, e, u, []ssh.PublicKey{newUser(t, "x").signer.PublicKey()})
	if out, err := run("ls /\n"); err == nil {
		t.Fatalf("the client accepted a server whose key is not in known_hosts:\n%s", out)
	}
}
