package postgres

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/authkeys"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/transports/sftp"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// BenchmarkDownload: a 64 MiB file of out/ downloaded whole by the
// pkg/sftp client (concurrent reads, as OpenSSH's) over loopback, from
// the jails on disk and from PostgreSQL; MB/s of the download.
func BenchmarkDownload(b *testing.B) {
	ctx := context.Background()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pub)
	signer, _ := ssh.NewSignerFromKey(priv)
	accounts := sftp.AccountsFunc(func(user string) (sftp.Account, bool) {
		return sftp.Account{Partner: "acme", Keys: []authkeys.Key{authkeys.Unrestricted(sp)}}, user == "acme"
	})
	body := make([]byte, 64<<20)
	rand.Read(body)
	for _, backend := range []string{"disk", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			url := ""
			if backend == "postgres" {
				url = pg.Database(b)
				pool, err := pgstore.Open(ctx, url)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := pgstore.Migrate(ctx, pool, Migrations); err != nil {
					b.Fatal(err)
				}
				pool.Close()
			}
			n := startNode(b, url, b.TempDir(), accounts)
			if _, err := n.srv.Sender().Send(ctx, &outbox.Message{ID: 1, Partner: "acme", Name: "big.x12"}, body); err != nil {
				b.Fatal(err)
			}
			sc, err := ssh.Dial("tcp", n.addr, &ssh.ClientConfig{User: "acme", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
				HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
				Config: ssh.Config{Ciphers: []string{ssh.CipherAES128GCM}}})
			if err != nil {
				b.Fatal(err)
			}
			defer sc.Close()
			c, err := pkgsftp.NewClient(sc, pkgsftp.UseConcurrentReads(true))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				f, err := c.Open("/out/big.x12")
				if err != nil {
					b.Fatal(err)
				}
				if n, err := f.WriteTo(io.Discard); err != nil || n != int64(len(body)) {
					b.Fatalf("downloaded %d bytes: %v", n, err)
				}
				f.Close()
			}
		})
	}
}
