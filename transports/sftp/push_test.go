package sftp

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/outbox"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestPushSender(t *testing.T) {
	e := startServer(t, nil, nil)
	us := newUser(t, "dockside")
	e.add(us, "acme")
	host, portStr, _ := net.SplitHostPort(e.addr)
	port, _ := strconv.Atoi(portStr)
	line := func(k ssh.PublicKey) string {
		return knownhosts.Line([]string{knownhosts.Normalize(e.addr)}, k)
	}
	keys := e.srv.HostKeys()
	other := newUser(t, "x").signer.PublicKey()
	target := PushTarget{Host: host, Port: port, User: "dockside", Signer: us.signer, HostKey: line(keys[0]), Folder: "in"}

	for i, pin := range []string{line(keys[0]), line(keys[1]), string(ssh.MarshalAuthorizedKey(keys[0]))} {
		tg := target
		tg.HostKey = pin
		s := NewPushSender(func(partner string) (PushTarget, error) {
			if partner != "acme" {
				return PushTarget{}, errors.New("no such partner")
			}
			return tg, nil
		})
		name := "846-" + strconv.Itoa(i) + ".x12"
		r, err := s.Send(context.Background(), &outbox.Message{Partner: "acme", Name: name}, []byte("ISA*846~"))
		if err != nil {
			t.Fatalf("pin %d: %v", i, err)
		}
		if r.Pending || !strings.HasSuffix(r.Text, "/in/"+name) {
			t.Errorf("receipt %+v", r)
		}
	}
	got, bodies := e.fake.snapshot()
	if len(got) != 3 || got[0].Name != "846-0.x12" || string(bodies[0]) != "ISA*846~" {
		t.Fatalf("server inbox: %+v", got)
	}
	if n := e.names(t, "acme", areaIn); len(n) != 0 {
		t.Errorf("in/ keeps %v (a .part left behind?)", n)
	}

	wrong := target
	wrong.HostKey = line(other)
	s := NewPushSender(func(string) (PushTarget, error) { return wrong, nil })
	if _, err := s.Send(context.Background(), &outbox.Message{Partner: "acme", Name: "x.x12"}, []byte("x")); !errors.Is(err, ErrHostKey) {
		t.Fatalf("wrong host key: %v", err)
	}
	badLine := wrong
	badLine.HostKey = "not a key"
	if _, err := Push(context.Background(), badLine, "x.x12", []byte("x")); !errors.Is(err, ErrHostKey) {
		t.Errorf("malformed pin: %v", err)
	}
	if got, _ := e.fake.snapshot(); len(got) != 3 {
		t.Errorf("a push with a wrong host key arrived: %d files", len(got))
	}
	wrongUser := target
	wrongUser.Signer = newUser(t, "y").signer
	if _, err := Push(context.Background(), wrongUser, "x.x12", []byte("x")); err == nil {
		t.Error("push with an unknown key succeeded")
	}
	if _, err := Push(context.Background(), target, "../x.x12", []byte("x")); !errors.Is(err, ErrBadName) {
		t.Errorf("bad name: %v", err)
	}
}

func TestPushHonoursContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	host, portStr, _ := net.SplitHostPort(ln.Addr().String())
	port, _ := strconv.Atoi(portStr)
	u := newUser(t, "u")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Push(ctx, PushTarget{Host: host, Port: port, User: "u", Signer: u.signer, Timeout: time.Hour,
			HostKey: string(ssh.MarshalAuthorizedKey(u.signer.PublicKey()))}, "a.x12", []byte("x"))
		errc <- err
	}()
	c := <-accepted
	defer c.Close()
	cancel() // mid-handshake
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("push to a silent server succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("push ignored its context")
	}
}
