package postgres

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/authkeys"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/transports/sftp"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestUnreachableDatabase: when the database does not answer, the
// partner still logs in, but listing, stat and download of out/ fail
// with a generic failure and no pickup is reported; sending fails.
func TestUnreachableDatabase(t *testing.T) {
	ctx := context.Background()
	url := pg.Database(t)
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Migrate(ctx, pool, Migrations); err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sp, _ := ssh.NewPublicKey(pub)
	signer, _ := ssh.NewSignerFromKey(priv)
	picked := &pickups{}
	srv, err := sftp.New(sftp.Config{Root: t.TempDir(), HostKeyDir: t.TempDir(), Out: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		sftp.AccountsFunc(func(user string) (sftp.Account, bool) {
			return sftp.Account{Partner: "acme", Keys: []authkeys.Key{authkeys.Unrestricted(sp)}}, user == "acme"
		}), discardInbox{}, picked)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Sender().Send(ctx, &outbox.Message{ID: 1, Partner: "acme", Name: "997.x12"}, []byte("ISA*997~")); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	defer func() { cancel(); <-done }()

	pool.Close() // the database no longer answers this node
	sc, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{User: "acme", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("login while the database does not answer: %v", err)
	}
	defer sc.Close()
	c, err := pkgsftp.NewClient(sc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	failure := func(what string, err error) {
		t.Helper()
		var se *pkgsftp.StatusError
		if !errors.As(err, &se) || se.FxCode() != pkgsftp.ErrSSHFxFailure {
			t.Errorf("%s: %v, want SSH_FX_FAILURE", what, err)
		}
	}
	_, err = c.ReadDir("/out")
	failure("list", err)
	_, err = c.Stat("/out/997.x12")
	failure("stat", err)
	_, err = c.Open("/out/997.x12")
	failure("open", err)
	if _, err := c.ReadDir("/"); err != nil {
		t.Errorf("the jail's root: %v", err)
	}
	if _, err := srv.Sender().Send(ctx, &outbox.Message{ID: 2, Partner: "acme", Name: "997-2.x12"}, []byte("x")); err == nil {
		t.Error("sent while the database does not answer")
	}
	if got := picked.list(); len(got) != 0 {
		t.Errorf("pickups %v", got)
	}
}
