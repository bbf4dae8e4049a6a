package as2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

// TestHandlerRequests: what is not an AS2 message is refused before any
// cryptography, with a plain HTTP status.
func TestHandlerRequests(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	st.handler.cfg.MaxBody = 1 << 10
	headers := map[string]string{"AS2-From": `"Acme Retail"`, "AS2-To": "DOCKSIDE", "Message-ID": "<h@x>", "Content-Type": "application/edi-x12"}
	without := func(name string) map[string]string {
		h := map[string]string{}
		for k, v := range headers {
			if k != name {
				h[k] = v
			}
		}
		return h
	}
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		body    string
		status  int
		text    string
	}{
		{"get", http.MethodGet, headers, "", http.StatusMethodNotAllowed, "POST"},
		{"no AS2-From", http.MethodPost, without("AS2-From"), "ISA", http.StatusBadRequest, "AS2-From"},
		{"no AS2-To", http.MethodPost, without("AS2-To"), "ISA", http.StatusBadRequest, "AS2-To"},
		{"no Message-ID", http.MethodPost, without("Message-ID"), "ISA", http.StatusBadRequest, "Message-ID"},
		{"too large", http.MethodPost, headers, strings.Repeat("x", 2<<10), http.StatusRequestEntityTooLarge, "over"},
		{"plain, no MDN asked", http.MethodPost, headers, "ISA*00~", http.StatusOK, "processed"},
		{"not for us", http.MethodPost, map[string]string{"AS2-From": `"Acme Retail"`, "AS2-To": "SOMEONE", "Message-ID": "<h2@x>"}, "ISA", http.StatusBadRequest, "unexpected-processing-error"},
		{"unknown partner, no MDN asked", http.MethodPost, map[string]string{"AS2-From": "NOBODY", "AS2-To": "DOCKSIDE", "Message-ID": "h3@x"}, "ISA", http.StatusBadRequest, "authentication-failed"},
		{"MDN for nothing we sent", http.MethodPost, map[string]string{"AS2-From": `"Acme Retail"`, "AS2-To": "DOCKSIDE", "Message-ID": "<m@x>",
			"Content-Type": "message/disposition-notification"}, "Original-Message-ID: <nothing@x>\r\nDisposition: automatic-action/MDN-sent-automatically; processed\r\n", http.StatusOK, "no message of ours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, st.server.URL, bytes.NewReader([]byte(tt.body)))
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := st.server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(b.String(), tt.text) {
				t.Fatalf("HTTP %d %q, want %d with %q", resp.StatusCode, b.String(), tt.status, tt.text)
			}
		})
	}
	msgs, _ := st.inboxMessages(t)
	if len(msgs) != 1 || msgs[0].Meta[MetaMIC] == "" {
		t.Fatalf("inbox: %d messages, want only the plain one", len(msgs))
	}
}

// failingInbox cannot store anything.
type failingInbox struct{}

func (failingInbox) Receive(context.Context, inbox.Arrival, io.Reader) (*inbox.Message, error) {
	return nil, errors.New("disk full")
}

// TestInboxFailure: when the payload cannot be stored the MDN says
// unexpected-processing-error, nothing is recorded as processed, and the
// same message sent again once the inbox works is processed.
func TestInboxFailure(t *testing.T) {
	a, b := twoStations(t)
	them := ident(t, "partner")
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert}, MDNSigned: true})
	real := b.handler.cfg.Inbox
	b.handler.cfg.Inbox = failingInbox{}
	m := deliver(t, a, b, testPayload(400))
	if m.State != outbox.Failed || !strings.Contains(m.LastError, "unexpected-processing-error") {
		t.Fatalf("state %s, error %q", m.State, m.LastError)
	}
	b.handler.cfg.Inbox = real
	if err := a.outbox.Retry(m.ID); err != nil {
		t.Fatal(err)
	}
	a.sendDue(t)
	if m, _ = a.outbox.Get(m.ID); m.State != outbox.Delivered {
		t.Fatalf("after the inbox is back: %s %q", m.State, m.LastError)
	}
}

// TestDecompressionBounded: a zip bomb (megabytes of zeros, compressed to
// a few kilobytes, built here) is refused, with the MDN naming the
// limit it went over: the decompression limit (MaxExpanded), or the
// unwrap memory its decompressed content counts against with its body.
// A message within both is taken.
func TestDecompressionBounded(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	zeros := func(n int) []byte {
		return append([]byte("Content-Type: application/edi-x12\r\n\r\n"), make([]byte, n)...)
	}
	tests := []struct {
		name                string
		body, expanded, mem int64 // MaxBody, MaxExpanded, UnwrapMemory (0: defaults)
		held                int64 // of UnwrapMemory, taken by other messages meanwhile
		content             []byte
		want                string
	}{
		{"over the decompression limit (default MaxBody)", 1 << 20, 0, 1 << 30, 0, zeros(4 << 20), "decompressed content over the decompression limit of 1048576 bytes"},
		{"over a decompression limit set", 0, 4 << 20, 0, 0, zeros(16 << 20), "decompressed content over the decompression limit of 4194304 bytes"},
		{"over the unwrap memory", 0, 0, 2 << 20, 0, zeros(16 << 20), "the message and its decompressed content over the unwrap memory of 2097152 bytes"},
		{"unwrap memory taken meanwhile", 0, 4 << 20, 2 << 20, 1 << 20, zeros(3 << 19), "too little unwrap memory free for the decompressed content; send it again later"},
		{"within both", 0, 4 << 20, 2 << 20, 0, zeros(1 << 20), "processed"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
			h, err := NewHandler(HandlerConfig{Identity: us.Identity, Partners: partnersFunc{st}, Inbox: st.inbox, Store: st.store,
				MaxBody: tt.body, MaxExpanded: tt.expanded, UnwrapMemory: tt.mem, Logger: testLogger(t), RatePerAddress: -1})
			if err != nil {
				t.Fatal(err)
			}
			if tt.held > 0 {
				if !h.working.tryAcquire(tt.held) {
					t.Fatal("budget")
				}
				defer h.working.release(tt.held)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			head, body, _ := bytes.Cut(compressedEntity(t, tt.content), []byte("\r\n\r\n"))
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			for _, l := range strings.Split(string(head), "\r\n") {
				k, v, _ := strings.Cut(l, ": ")
				req.Header.Set(k, v)
			}
			req.Header.Set("AS2-From", quoteAS2ID(them.AS2ID))
			req.Header.Set("AS2-To", "DOCKSIDE")
			req.Header.Set("Message-ID", fmt.Sprintf("<bomb%d@x>", i))
			req.Header.Set("Disposition-Notification-To", "edi@acme.example")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), tt.want) {
				t.Fatalf("HTTP %d, MDN does not say %q:\n%.2000s", resp.StatusCode, tt.want, b)
			}
			msgs, _ := st.inboxMessages(t)
			if stored := len(msgs) == 1; stored != (tt.want == "processed") {
				t.Fatalf("%d messages in the inbox", len(msgs))
			}
			if h.working.free != h.working.total-tt.held {
				t.Fatalf("unwrap memory %d of %d free after the message", h.working.free, h.working.total)
			}
		})
	}
}
