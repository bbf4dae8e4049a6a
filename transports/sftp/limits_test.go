package sftp

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

func TestMaxSessionsPerPartner(t *testing.T) {
	e := startServer(t, nil, func(c *Config) { c.MaxSessions = 2 })
	a1, a2, b := newUser(t, "a1"), newUser(t, "a2"), newUser(t, "b")
	e.add(a1, "acme")
	e.add(a2, "acme") // a second login of the same partner
	e.add(b, "beta")
	e.client(t, a1)
	c2, sc2, err := e.dialConfig(e.clientConfig(a2))
	if err != nil {
		t.Fatal(err)
	}
	if c, sc, err := e.dialConfig(e.clientConfig(a1)); err == nil {
		c.Close()
		sc.Close()
		t.Fatal("a third session of acme was opened")
	}
	e.client(t, b) // other partners are not limited by acme's sessions
	c2.Close()
	sc2.Close()
	eventually(t, "a session slot after a logout", func() bool {
		c, sc, err := e.dialConfig(e.clientConfig(a1))
		if err != nil {
			return false
		}
		c.Close()
		sc.Close()
		return true
	})
}

func TestMaxFileSize(t *testing.T) {
	e := startServer(t, nil, func(c *Config) { c.MaxFileSize = 1000 })
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	f, err := c.Create("/in/big.edi")
	if err != nil {
		t.Fatal(err)
	}
	_, werr := f.Write(bytes.Repeat([]byte("x"), 2000))
	cerr := f.Close()
	if werr == nil && cerr == nil {
		t.Fatal("an upload over the limit was accepted")
	}
	put(t, c, "/in/big.part", bytes.Repeat([]byte("x"), 1000))
	fp, _ := c.OpenFile("/in/big.part", 0x2) // O_WRONLY
	if _, err := fp.WriteAt([]byte("y"), 1000); err == nil {
		t.Error("a partial upload grew over the limit")
	}
	fp.Close()
	put(t, c, "/in/ok.edi", bytes.Repeat([]byte("x"), 1000))
	got, _ := e.fake.snapshot()
	if len(got) != 1 || got[0].Name != "ok.edi" {
		t.Fatalf("inbox: %+v", got)
	}
	if n := e.names(t, "acme", incoming); len(n) != 0 {
		t.Errorf(".incoming keeps %v", n)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := startServer(t, nil, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	if _, err := c.ReadDir("/"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("an idle connection stayed open")
	}
	if _, err := c.ReadDir("/"); err == nil {
		t.Fatal("the idle connection still works")
	}
}

func TestLoginTimeout(t *testing.T) {
	e := startServer(t, nil, func(c *Config) { c.LoginTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	// Say nothing: the server sends its version, then must hang up.
	_, err = io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a silent connection open")
	}
}

func TestInboxLimitBelowServerLimit(t *testing.T) {
	store, err := inbox.Open(t.TempDir(), &inbox.Options{MaxSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := startServer(t, store, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	f, _ := c.Create("/in/big.edi")
	f.Write(bytes.Repeat([]byte("x"), 100))
	if err := f.Close(); err == nil {
		t.Fatal("close succeeded though the inbox refused the size")
	}
	put(t, c, "/in/big.part", bytes.Repeat([]byte("x"), 100))
	if err := c.PosixRename("/in/big.part", "/in/big.edi"); err == nil {
		t.Fatal("rename succeeded though the inbox refused the size")
	}
	// Not kept for the sweep: it never would be stored.
	if n := e.names(t, "acme", areaIn); len(n) != 1 || n[0] != "big.part" {
		t.Errorf("in/ holds %v", n)
	}
}
