package as2

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

// testIdentity is a key pair made once per test binary (RSA-2048
// generation is slow under -race).
type testIdentity struct {
	Identity
	keyPEM, certPEM []byte
}

var (
	testIDsOnce sync.Once
	testIDs     map[string]*testIdentity
)

// ident returns the test identity of a name: "dockside" (us), "partner",
// "stranger", "other".
func ident(t testing.TB, name string) *testIdentity {
	t.Helper()
	testIDsOnce.Do(func() {
		testIDs = map[string]*testIdentity{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, n := range []string{"dockside", "partner", "stranger", "other"} {
			wg.Go(func() {
				key, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					panic(err)
				}
				as2id := map[string]string{"dockside": "DOCKSIDE", "partner": "Acme Retail", "stranger": "STRANGER", "other": "OTHER"}[n]
				cert, err := selfSigned(key, as2id, time.Now())
				if err != nil {
					panic(err)
				}
				der, _ := x509.MarshalPKCS8PrivateKey(key)
				ti := &testIdentity{
					Identity: Identity{AS2ID: as2id, Key: key, Cert: cert},
					keyPEM:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
					certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
				}
				mu.Lock()
				testIDs[n] = ti
				mu.Unlock()
			})
		}
		wg.Wait()
	})
	return testIDs[name]
}

// files writes the identity's key and certificate into dir and returns
// their paths.
func (ti *testIdentity) files(t testing.TB, dir string) (key, cert string) {
	t.Helper()
	key = filepath.Join(dir, ti.AS2ID+".key")
	cert = filepath.Join(dir, ti.AS2ID+".crt")
	if err := os.WriteFile(key, ti.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, ti.certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// station is one Dockside AS2 station for tests: handler on a loopback
// HTTP server, inbox, store, outbox, sender.
type station struct {
	id       *testIdentity
	inbox    *inbox.Store
	store    *Store
	outbox   *outbox.Store
	handler  *Handler
	server   *httptest.Server
	sender   *Sender
	dispatch *outbox.Dispatcher
	partners *PartnerList
}

// newStation starts a station; partners may be changed later through
// st.partners (the handler and sender read it on each call).
func newStation(t testing.TB, ti *testIdentity, partners ...Partner) *station {
	t.Helper()
	return newStationIn(t, fastTempDir(t), ti, partners...)
}

// newStationIn starts a station whose data lives in dir.
func newStationIn(t testing.TB, dir string, ti *testIdentity, partners ...Partner) *station {
	t.Helper()
	st := &station{id: ti}
	list := PartnerList(partners)
	st.partners = &list
	var err error
	if st.inbox, err = inbox.Open(filepath.Join(dir, "inbox"), nil); err != nil {
		t.Fatal(err)
	}
	if st.store, err = OpenStore(dir); err != nil {
		t.Fatal(err)
	}
	if st.outbox, err = outbox.Open(dir, &outbox.Options{BaseDelay: time.Hour, MaxDelay: time.Hour, MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	st.handler, err = NewHandler(HandlerConfig{Identity: ti.Identity, Partners: partnersFunc{st}, Inbox: st.inbox,
		Store: st.store, Outbox: st.outbox, Logger: testLogger(t), RatePerAddress: -1}) // every test client is 127.0.0.1
	if err != nil {
		t.Fatal(err)
	}
	st.server = httptest.NewServer(st.handler)
	st.sender, err = NewSender(SenderConfig{Identity: ti.Identity, Partners: partnersFunc{st}, Client: st.server.Client(),
		Store: st.store, AsyncMDNURL: st.server.URL, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	st.dispatch = &outbox.Dispatcher{Store: st.outbox, Senders: map[string]outbox.Sender{Transport: st.sender},
		Timeout: 30 * time.Second, Log: testLogger(t)}
	t.Cleanup(func() {
		st.server.Close()
		st.inbox.Close()
		st.store.Close()
		st.outbox.Close()
	})
	return st
}

// partnersFunc reads the station's current partner list.
type partnersFunc struct{ st *station }

func (p partnersFunc) ByAS2ID(id string) (Partner, bool) { return p.st.partners.ByAS2ID(id) }
func (p partnersFunc) ByID(id string) (Partner, bool)    { return p.st.partners.ByID(id) }

// setPartners replaces the station's partners.
func (st *station) setPartners(ps ...Partner) { *st.partners = PartnerList(ps) }

// inboxMessages returns every inbox message with its bytes.
func (st *station) inboxMessages(t testing.TB) ([]*inbox.Message, [][]byte) {
	t.Helper()
	msgs, err := st.inbox.List(inbox.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for _, m := range msgs {
		rc, err := st.inbox.Body(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		bodies = append(bodies, b.Bytes())
	}
	return msgs, bodies
}

// newestInbox returns the newest inbox message and its bytes.
func (st *station) newestInbox(t testing.TB) (*inbox.Message, []byte) {
	t.Helper()
	msgs, err := st.inbox.List(inbox.Filter{Limit: 1})
	if err != nil || len(msgs) == 0 {
		t.Fatalf("inbox empty (%v)", err)
	}
	rc, err := st.inbox.Body(msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	b.ReadFrom(rc)
	return msgs[0], b.Bytes()
}

// sendDue runs the station's dispatcher once.
func (st *station) sendDue(t testing.TB) {
	t.Helper()
	if _, err := st.dispatch.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// needTool skips the test when a command is not installed.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return p
}

// run runs a command and returns its standard output; it fails the test
// on a non-zero exit.
func run(t testing.TB, dir string, name string, args ...string) []byte {
	t.Helper()
	out, err := runErr(dir, name, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}

func runErr(dir string, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &cmdError{err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

type cmdError struct {
	err    error
	stderr string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + e.stderr }

// testPayload is an X12-looking payload of about n bytes, with LF line
// ends (the canonicalization trap) and some binary bytes.
func testPayload(n int) []byte {
	var b bytes.Buffer
	b.WriteString("ISA*00*          *00*          *ZZ*ACME           *ZZ*DOCKSIDE       *260101*1200*U*00401*000000001*0*P*>~\n")
	for i := 0; b.Len() < n; i++ {
		b.WriteString("LIN**SK*ITEM-")
		b.WriteByte(byte('0' + i%10))
		b.WriteString("*QTY*42~\n")
	}
	b.WriteString("IEA*1*000000001~\n\x00\xff\r\n")
	return b.Bytes()
}

var _ = http.MethodPost

// fastTempDir is a temporary folder on tmpfs when /dev/shm is there:
// the stores fsync on every write, and this machine's disk takes about
// 5 ms a sync, which would make the option matrix take minutes. What is
// tested here is the protocol, not the disk.
func fastTempDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "dockside-as2-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// testLogger logs to the test's log when -v is given.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// outboxMessage1 is an outbox record for building messages in tests.
var outboxMessage1 = outbox.Message{ID: 1, Partner: "acme", Name: "x.edi", Created: time.Unix(1767225600, 0)}
