package sftp

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// panickingInbox panics on the first payloads it is given (a bug of the
// inbox), then stores like the fake inbox.
type panickingInbox struct {
	*fakeInbox
	panics atomic.Int32 // panics left
}

func (p *panickingInbox) Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error) {
	if p.panics.Add(-1) >= 0 {
		panic("inbox bug")
	}
	return p.fakeInbox.Receive(ctx, a, body)
}

// TestHandlerPanic: a panic while an upload is handed to the inbox fails
// that upload's close (the client is told), logs the panic, and keeps the
// file in in/ for the sweep; the session goes on serving and the next
// upload is stored.
func TestHandlerPanic(t *testing.T) {
	pi := &panickingInbox{fakeInbox: newFakeInbox()}
	pi.panics.Store(1)
	e := startServer(t, pi, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	f, err := c.Create("/in/first.edi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("ISA*first~")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err == nil {
		t.Fatal("close succeeded although the inbox panicked")
	}
	if !strings.Contains(e.logs.String(), "inbox panicked: inbox bug") {
		t.Fatalf("the panic is not logged:\n%s", e.logs.String())
	}
	if names := e.names(t, "acme", "in"); len(names) != 1 || names[0] != "first.edi" {
		t.Fatalf("in/ holds %v, want the kept upload", names)
	}
	put(t, c, "/in/second.edi", []byte("ISA*second~")) // same session
	got, bodies := pi.snapshot()
	if len(got) != 1 || got[0].Name != "second.edi" || string(bodies[0]) != "ISA*second~" {
		t.Fatalf("inbox got %v", got)
	}
	e.srv.Sweep(context.Background()) // the kept upload is offered again
	if got, _ := pi.snapshot(); len(got) != 2 || got[1].Name != "first.edi" {
		t.Fatalf("after the sweep the inbox got %v", got)
	}
}
