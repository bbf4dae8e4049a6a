package sftp

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/authkeys"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// hostKeyDir is shared by the tests: generating an RSA key per test would
// be slow (and reusing it tests that keys are kept).
var hostKeyDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dockside-sftp-hostkeys-")
	if err != nil {
		panic(err)
	}
	hostKeyDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// accounts is a mutable account table.
type accounts struct {
	mu sync.Mutex
	m  map[string]Account
}

func (a *accounts) Account(user string) (Account, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acct, ok := a.m[user]
	return acct, ok
}

func (a *accounts) set(user string, acct Account) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[user] = acct
}

// fakeInbox records what it receives; fail makes it refuse.
type fakeInbox struct {
	mu       sync.Mutex
	got      []inbox.Arrival
	bodies   [][]byte
	fail     error
	received chan struct{}
	adopted  int // stored through Adopt
}

func newFakeInbox() *fakeInbox { return &fakeInbox{received: make(chan struct{}, 10000)} }

func (f *fakeInbox) Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.got = append(f.got, a)
	f.bodies = append(f.bodies, data)
	f.received <- struct{}{}
	return &inbox.Message{ID: uint64(len(f.got)), Partner: a.Partner, Name: a.Name, Size: int64(len(data)), State: inbox.Received}, nil
}

// adoptingInbox is the fake inbox with the Adopter ability: it checks
// that the hash made while the upload arrived is that of the file's bytes.
type adoptingInbox struct{ *fakeInbox }

var _ Adopter = adoptingInbox{}

func (f adoptingInbox) Adopt(ctx context.Context, a inbox.Arrival, in *inbox.Incoming) (*inbox.Message, error) {
	sum, size, err := in.Sum(ctx)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.NewSectionReader(in.File(), 0, size+1))
	if err != nil {
		return nil, err
	}
	if full := sha256.Sum256(data); hex.EncodeToString(full[:]) != sum || int64(len(data)) != size {
		return nil, fmt.Errorf("hashed while written: %s (%d bytes); the file: %x (%d bytes)", sum, size, full, len(data))
	}
	m, err := f.Receive(ctx, a, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.adopted++
	f.mu.Unlock()
	m.SHA256 = sum
	return m, nil
}

// startFake starts a server with a fake inbox, adopting uploads or not.
func startFake(t testing.TB, adopting bool, edit func(*Config)) *env {
	t.Helper()
	if !adopting {
		return startServer(t, nil, edit)
	}
	fake := newFakeInbox()
	e := startServer(t, adoptingInbox{fake}, edit)
	e.fake = fake
	return e
}

// forBothInboxes runs test with an inbox that reads uploads at close
// ("receive") and one that adopts them ("adopt").
func forBothInboxes(t *testing.T, test func(t *testing.T, adopting bool)) {
	t.Helper()
	for _, adopting := range []bool{false, true} {
		name := "receive"
		if adopting {
			name = "adopt"
		}
		t.Run(name, func(t *testing.T) { test(t, adopting) })
	}
}

func (f *fakeInbox) adoptedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.adopted
}

func (f *fakeInbox) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeInbox) snapshot() ([]inbox.Arrival, [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]inbox.Arrival(nil), f.got...), append([][]byte(nil), f.bodies...)
}

// pickups records pickups.
type pickups struct {
	mu  sync.Mutex
	got []string
}

func (p *pickups) PickedUp(partner, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, partner+"/"+name)
}

func (p *pickups) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a running server with its collaborators.
type env struct {
	srv      *Server
	addr     string
	root     string
	accounts *accounts
	inbox    Inbox
	fake     *fakeInbox // when inbox is the fake
	pickups  *pickups
	logs     *syncBuffer
	cancel   context.CancelFunc
	served   chan error
}

// user is a test login with its key.
type user struct {
	name   string
	signer ssh.Signer
	priv   ed25519.PrivateKey
}

func newUser(t testing.TB, name string) user {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return user{name: name, signer: s, priv: priv}
}

// startServer starts a server on a random loopback port. in may be nil
// (a fake inbox); edit may change the configuration.
func startServer(t testing.TB, in Inbox, edit func(*Config)) *env {
	t.Helper()
	e := &env{root: t.TempDir(), accounts: &accounts{m: map[string]Account{}}, pickups: &pickups{}, logs: &syncBuffer{}}
	if in == nil {
		e.fake = newFakeInbox()
		in = e.fake
	}
	e.inbox = in
	cfg := Config{Root: e.root, HostKeyDir: hostKeyDir, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg, e.accounts, in, e.pickups)
	if err != nil {
		t.Fatal(err)
	}
	// bcrypt at cost 10 takes seconds under -race.
	srv.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.MinCost)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.srv, e.addr, e.cancel, e.served = srv, ln.Addr().String(), cancel, make(chan error, 1)
	go func() { e.served <- srv.Serve(ctx, ln) }()
	t.Cleanup(e.stop)
	return e
}

func (e *env) stop() {
	e.cancel()
	<-e.served
	e.served <- nil // later stops return at once
}

// add registers u as an account of partner.
func (e *env) add(u user, partner string) {
	e.accounts.set(u.name, Account{Partner: partner, Keys: []authkeys.Key{authkeys.Unrestricted(u.signer.PublicKey())}})
}

// clientConfig logs in as u, pinning the server's host keys.
func (e *env) clientConfig(u user) *ssh.ClientConfig {
	keys := e.srv.HostKeys()
	return &ssh.ClientConfig{
		User: u.name,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(u.signer)},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			for _, want := range keys {
				if bytes.Equal(k.Marshal(), want.Marshal()) {
					return nil
				}
			}
			return errors.New("unknown host key")
		},
		Timeout: 10 * time.Second,
	}
}

// dial returns an SFTP client logged in with cfg.
func (e *env) dialConfig(cfg *ssh.ClientConfig) (*pkgsftp.Client, *ssh.Client, error) {
	sc, err := ssh.Dial("tcp", e.addr, cfg)
	if err != nil {
		return nil, nil, err
	}
	c, err := pkgsftp.NewClient(sc)
	if err != nil {
		sc.Close()
		return nil, nil, err
	}
	return c, sc, nil
}

// client returns an SFTP client logged in as u, closed with the test.
func (e *env) client(t testing.TB, u user) *pkgsftp.Client {
	t.Helper()
	c, sc, err := e.dialConfig(e.clientConfig(u))
	if err != nil {
		t.Fatalf("login as %s: %v", u.name, err)
	}
	t.Cleanup(func() { c.Close(); sc.Close() })
	return c
}

// put uploads data as name with c.
func put(t testing.TB, c *pkgsftp.Client, name string, data []byte) {
	t.Helper()
	f, err := c.Create(name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

// names lists a folder of the partner's jail on disk.
func (e *env) names(t testing.TB, partner, sub string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.root, partner, sub))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.Name())
	}
	return out
}

// eventually waits up to 10 s for cond.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
