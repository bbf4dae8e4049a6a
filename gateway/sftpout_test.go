package gateway

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/outbox"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// sftpClient logs in to the node's SFTP server as the demo partner acme.
func (n *clusterNode) sftpClient(t *testing.T) *pkgsftp.Client {
	t.Helper()
	key, err := os.ReadFile("../examples/keys/acme-demo_ed25519")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ssh.Dial("tcp", n.sftpAddr, &ssh.ClientConfig{User: "acme", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pkgsftp.NewClient(sc)
	if err != nil {
		sc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); sc.Close() })
	return c
}

// outNames lists the partner's out/ through a node.
func outNames(t *testing.T, c *pkgsftp.Client) []string {
	t.Helper()
	list, err := c.ReadDir("/out")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range list {
		names = append(names, fi.Name())
	}
	return names
}

// TestClusterPickupFromAnyNode: on PostgreSQL storage the files partners
// pick up over SFTP are in the database: a message the shared outbox
// sends to acme's out/ (through whichever node's dispatcher claims it)
// is listed by both nodes, downloaded through one, which confirms the
// outbox message, and removed through the other; no node's data folder
// holds it.
func TestClusterPickupFromAnyNode(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	a, b := startClusterNode(t, url, nil), startClusterNode(t, url, nil)
	body := bytes.Repeat([]byte("ISA*00*~ST*997*0001~SE*2*0001~IEA*1*1~\n"), 40_000) // 1.6 MB
	id, err := a.g.Outbox.Enqueue(&outbox.Message{Partner: "acme-3pl", Transport: "sftp", Name: "997-cluster.x12"}, body)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message put in out/", func() bool {
		m, err := a.g.Outbox.Get(id)
		return err == nil && m.State == outbox.Sent
	})
	ca, cb := a.sftpClient(t), b.sftpClient(t)
	for i, c := range []*pkgsftp.Client{ca, cb} {
		if names := outNames(t, c); len(names) != 1 || names[0] != "997-cluster.x12" {
			t.Fatalf("node %d lists out/: %v", i, names)
		}
	}
	f, err := cb.Open("/out/997-cluster.x12")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("downloaded %d bytes (%v), sent %d", len(got), err, len(body))
	}
	waitFor(t, "the pickup confirmed", func() bool {
		m, err := a.g.Outbox.Get(id)
		return err == nil && m.State == outbox.Delivered
	})
	if err := ca.Remove("/out/997-cluster.x12"); err != nil {
		t.Fatal(err)
	}
	if names := outNames(t, cb); len(names) != 0 {
		t.Errorf("after removal through node A, node B lists %v", names)
	}
	for _, n := range []*clusterNode{a, b} {
		if names, _ := os.ReadDir(filepath.Join(n.dir, "data", "sftp", "acme-3pl", "out")); len(names) != 0 {
			t.Errorf("a node's data folder holds out/%s", names[0].Name())
		}
	}
}
