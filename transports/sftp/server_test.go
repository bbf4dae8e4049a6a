package sftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
	"golang.org/x/crypto/ssh"
)

func TestHostKeysKeptAcrossStarts(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Root: t.TempDir(), HostKeyDir: dir}
	a, err := New(cfg, &accounts{}, newFakeInbox(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cfg, &accounts{}, newFakeInbox(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ka, kb := a.HostKeys(), b.HostKeys()
	if len(ka) != 2 || ka[0].Type() != ssh.KeyAlgoED25519 || ka[1].Type() != ssh.KeyAlgoRSA {
		t.Fatalf("host key types: %v", []string{ka[0].Type(), ka[1].Type()})
	}
	for i := range ka {
		if !bytes.Equal(ka[i].Marshal(), kb[i].Marshal()) {
			t.Errorf("host key %d changed on the second start", i)
		}
	}
	for _, name := range []string{HostKeyEd25519, HostKeyRSA} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
}

func TestUploadCountsOnlyWhenClosed(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)

	f, err := c.Create("/in/orders.edi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("ISA*00*half")); err != nil {
		t.Fatal(err)
	}
	// Half written: not in the inbox, not visible in in/.
	if got, _ := e.fake.snapshot(); len(got) != 0 {
		t.Fatalf("inbox got %d files before close", len(got))
	}
	if list, _ := c.ReadDir("/in"); len(list) != 0 {
		t.Fatalf("in/ shows %d entries during the upload", len(list))
	}
	if _, err := c.Stat("/in/orders.edi"); err == nil {
		t.Fatal("a half-written upload can be stat'ed")
	}
	if _, err := f.Write([]byte("~rest~")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, bodies := e.fake.snapshot()
	if len(got) != 1 || got[0].Name != "orders.edi" || got[0].Partner != "acme" || got[0].Transport != "sftp" ||
		string(bodies[0]) != "ISA*00*half~rest~" || got[0].Meta[MetaPath] != "/in/orders.edi" || got[0].Meta[MetaUser] != "acme" {
		t.Fatalf("inbox got %+v %q", got, bodies)
	}
	if list, _ := c.ReadDir("/in"); len(list) != 0 {
		t.Errorf("in/ not empty after a stored upload: %d entries", len(list))
	}
	if n := e.names(t, "acme", incoming); len(n) != 0 {
		t.Errorf(".incoming keeps %v", n)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "sftp upload") || !strings.Contains(logs, "size=17") {
		t.Errorf("upload not logged with its size:\n%s", logs)
	}
}

func TestTemporaryNamesCountOnRename(t *testing.T) {
	for _, tmp := range []string{"orders.edi.part", "orders.edi.filepart", ".orders.edi", "orders.edi.ocTransferId123.part"} {
		t.Run(tmp, func(t *testing.T) {
			e := startServer(t, nil, nil)
			u := newUser(t, "acme")
			e.add(u, "acme")
			c := e.client(t, u)
			put(t, c, "/in/"+tmp, []byte("ISA*whole~"))
			if got, _ := e.fake.snapshot(); len(got) != 0 {
				t.Fatalf("a temporary name reached the inbox on close: %+v", got)
			}
			if _, err := c.Stat("/in/" + tmp); err != nil {
				t.Fatalf("the temporary file is not visible for its rename: %v", err)
			}
			if err := c.PosixRename("/in/"+tmp, "/in/orders.edi"); err != nil {
				t.Fatal(err)
			}
			got, bodies := e.fake.snapshot()
			if len(got) != 1 || got[0].Name != "orders.edi" || string(bodies[0]) != "ISA*whole~" {
				t.Fatalf("after rename the inbox has %+v", got)
			}
			if n := e.names(t, "acme", areaIn); len(n) != 0 {
				t.Errorf("in/ keeps %v after the rename", n)
			}
		})
	}
}

func TestPlainRenameAndResumeOfPartial(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	put(t, c, "/in/a.part", []byte("first-"))
	// Resume: append to the partial file, as WinSCP does.
	f, err := c.OpenFile("/in/a.part", os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("second"), 6); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := c.Rename("/in/a.part", "/in/a.edi"); err != nil { // SFTP v3 rename, not the POSIX extension
		t.Fatal(err)
	}
	if _, bodies := e.fake.snapshot(); len(bodies) != 1 || string(bodies[0]) != "first-second" {
		t.Fatalf("inbox got %q", bodies)
	}
}

func TestAbortedUploadIsDiscarded(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c, sc, err := e.dialConfig(e.clientConfig(u))
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/in/big.edi")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(bytes.Repeat([]byte("x"), 100_000))
	eventually(t, "the upload's temporary file", func() bool { return len(e.names(t, "acme", incoming)) == 1 })
	sc.Close() // the connection dies with the file open
	eventually(t, "the partial upload to be discarded", func() bool { return len(e.names(t, "acme", incoming)) == 0 })
	if got, _ := e.fake.snapshot(); len(got) != 0 {
		t.Fatalf("a dead transfer reached the inbox: %+v", got)
	}
	if n := e.names(t, "acme", areaIn); len(n) != 0 {
		t.Errorf("in/ keeps %v", n)
	}
}

func TestInboxFailureKeepsTheUpload(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	e.fake.setFail(errors.New("disk full"))

	f, _ := c.Create("/in/a.edi")
	f.Write([]byte("ISA*a~"))
	if err := f.Close(); err == nil {
		t.Fatal("close succeeded though the inbox failed")
	}
	put(t, c, "/in/b.part", []byte("ISA*b~"))
	if err := c.PosixRename("/in/b.part", "/in/b.edi"); err == nil {
		t.Fatal("rename succeeded though the inbox failed")
	}
	if n := e.names(t, "acme", areaIn); !slices.Equal(n, []string{"a.edi", "b.part"}) {
		t.Fatalf("in/ holds %v, want the kept upload and the unrenamed partial", n)
	}
	e.fake.setFail(nil)
	e.srv.Sweep()
	got, bodies := e.fake.snapshot()
	if len(got) != 1 || got[0].Name != "a.edi" || string(bodies[0]) != "ISA*a~" {
		t.Fatalf("after the sweep the inbox has %+v", got)
	}
	if n := e.names(t, "acme", areaIn); !slices.Equal(n, []string{"b.part"}) {
		t.Errorf("in/ holds %v after the sweep", n)
	}
	if err := c.PosixRename("/in/b.part", "/in/b.edi"); err != nil {
		t.Fatalf("retried rename: %v", err)
	}
}

func TestPickupAndOutboxConfirmation(t *testing.T) {
	store, err := outbox.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	e.srv.pickups = multiPickups{e.pickups, OutboxPickups(store, nil)}

	body := bytes.Repeat([]byte("ISA*997~"), 20_000) // 160 kB: several reads
	id, err := store.Enqueue(&outbox.Message{Partner: "acme", Transport: Transport, Kind: "997", Name: "997-1.x12"}, body)
	if err != nil {
		t.Fatal(err)
	}
	d := &outbox.Dispatcher{Store: store, Senders: map[string]outbox.Sender{Transport: e.srv.Sender()}}
	if _, err := d.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m, _ := store.Get(id); m.State != outbox.Sent {
		t.Fatalf("after the drop the message is %s (%s), want sent (pending pickup)", m.State, m.LastError)
	}
	c := e.client(t, u)
	list, err := c.ReadDir("/out")
	if err != nil || len(list) != 1 || list[0].Name() != "997-1.x12" {
		t.Fatalf("out/ lists %v, %v", list, err)
	}

	// A partial read is no pickup.
	f, err := c.Open("/out/997-1.x12")
	if err != nil {
		t.Fatal(err)
	}
	f.Read(make([]byte, 1000))
	f.Close()
	if p := e.pickups.list(); len(p) != 0 {
		t.Fatalf("a partial read counted as pickup: %v", p)
	}
	if m, _ := store.Get(id); m.State != outbox.Sent {
		t.Fatalf("message %s after a partial read", m.State)
	}

	f, _ = c.Open("/out/997-1.x12")
	var got bytes.Buffer
	if _, err := f.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !bytes.Equal(got.Bytes(), body) {
		t.Fatal("downloaded bytes differ")
	}
	if p := e.pickups.list(); !slices.Equal(p, []string{"acme/997-1.x12"}) {
		t.Fatalf("pickups %v", p)
	}
	if m, _ := store.Get(id); m.State != outbox.Delivered {
		t.Fatalf("message %s after the pickup", m.State)
	}
	// The file stays until the partner deletes it, which is allowed.
	if err := c.Remove("/out/997-1.x12"); err != nil {
		t.Fatalf("partner cannot delete a picked-up file: %v", err)
	}
	if n := e.names(t, "acme", areaOut); len(n) != 0 {
		t.Errorf("out/ holds %v", n)
	}
}

type multiPickups []Pickups

func (m multiPickups) PickedUp(partner, name string) {
	for _, p := range m {
		p.PickedUp(partner, name)
	}
}

func TestSenderRefusesBadNames(t *testing.T) {
	e := startServer(t, nil, nil)
	for _, m := range []*outbox.Message{
		{Partner: "acme", Name: "../escape"},
		{Partner: "acme", Name: ".hidden"},
		{Partner: "acme", Name: ""},
		{Partner: "../acme", Name: "a.x12"},
		{Partner: "", Name: "a.x12"},
	} {
		if _, err := e.srv.Sender().Send(context.Background(), m, []byte("x")); err == nil {
			t.Errorf("partner %q name %q accepted", m.Partner, m.Name)
		}
	}
}

func TestOurTemporaryFilesInOutAreHidden(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	os.WriteFile(filepath.Join(e.root, "acme", areaOut, ".997.x12.tmp-123"), []byte("half"), 0o640)
	if list, _ := c.ReadDir("/out"); len(list) != 0 {
		t.Errorf("out/ lists our temporary file")
	}
	if _, err := c.Open("/out/.997.x12.tmp-123"); err == nil {
		t.Errorf("our temporary file can be read")
	}
}

func TestConcurrentUploadsReachTheInboxOnce(t *testing.T) {
	store, err := inbox.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := startServer(t, store, func(c *Config) { c.MaxSessions = 10 })
	const clients, each = 10, 100
	users := make([]user, clients)
	for i := range users {
		users[i] = newUser(t, fmt.Sprintf("u%d", i))
		e.add(users[i], fmt.Sprintf("p%d", i%2)) // two partners, five clients each
	}
	errs := make(chan error, clients)
	for i := range clients {
		go func() {
			c, sc, err := e.dialConfig(e.clientConfig(users[i]))
			if err != nil {
				errs <- err
				return
			}
			defer sc.Close()
			defer c.Close()
			for j := range each {
				name := fmt.Sprintf("/in/c%02d-f%03d.edi", i, j)
				f, err := c.Create(name)
				if err == nil {
					_, err = f.Write([]byte("ISA*" + name + "~"))
				}
				if err == nil {
					err = f.Close()
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := store.List(inbox.Filter{Limit: 2 * clients * each})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Partner+"/"+m.Name]++
		if m.State != inbox.Received {
			t.Errorf("%s is %s", m.Name, m.State)
		}
		body, _ := store.Body(m.ID)
		data, _ := io.ReadAll(body)
		body.Close()
		if string(data) != "ISA*/in/"+m.Name+"~" {
			t.Errorf("%s holds %q", m.Name, data)
		}
	}
	if len(msgs) != clients*each || len(seen) != clients*each {
		t.Fatalf("inbox holds %d messages, %d distinct; want %d", len(msgs), len(seen), clients*each)
	}
	for i := range clients {
		for j := range each {
			k := fmt.Sprintf("p%d/c%02d-f%03d.edi", i%2, i, j)
			if seen[k] != 1 {
				t.Errorf("%s arrived %d times", k, seen[k])
			}
		}
	}
}

func TestShutdownClosesConnections(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	e.cancel()
	if err := <-e.served; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	e.served <- nil
	if _, err := c.ReadDir("/"); err == nil {
		t.Error("a connection survived the shutdown")
	}
	if _, err := net.Dial("tcp", e.addr); err == nil {
		t.Error("still listening after the shutdown")
	}
}
