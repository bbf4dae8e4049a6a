package as2

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// TestDecodeBase64 covers padded, unpadded and broken base64, including
// the 3-character unpadded input whose output the padded reading sized
// at 0 bytes (a write past the buffer before the fix).
func TestDecodeBase64(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"aGVsbG8=", "hello", true},
		{"aGVsbG8", "hello", true},
		{"aGVs\r\nbG8=\r\n", "hello", true},
		{"100", "\xd7\x4d", true},
		{"1", "", false},
		{"10", "\xd7", true},
		{"AAAA====", "\x00\x00\x00", true},
		{"!!!", "", false},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := decodeBase64([]byte(tt.in))
		if (err == nil) != tt.ok || (tt.ok && string(got) != tt.want) {
			t.Errorf("decodeBase64(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestCrashingSignedPost POSTs, on loopback, the multipart/signed bodies
// the fuzz targets found crashing the base64 helper (a signature part of
// 3 base64 characters). The handler answers with a clean AS2 refusal: an
// MDN saying authentication-failed for a message, 400 for an MDN.
func TestCrashingSignedPost(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	signed := func(first string) string {
		return "--b\r\n" + first + "\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\n100\r\n--b--\r\n"
	}
	tests := []struct {
		name   string
		mdn    bool // ask for an MDN
		body   string
		status int
		ctype  string // of the response
		text   string
	}{
		{"message, MDN asked", true, signed("Content-Type: application/edi-x12\r\n\r\nISA*00~"), http.StatusOK, "multipart/report", "authentication-failed"},
		{"message, no MDN", false, signed("Content-Type: application/edi-x12\r\n\r\nISA*00~"), http.StatusBadRequest, "text/plain", "authentication-failed"},
		{"asynchronous MDN", false, signed("Content-Type: message/disposition-notification\r\n\r\nDisposition: processed\r\n"), http.StatusBadRequest, "text/plain", "MDN refused"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, st.server.URL, strings.NewReader(tt.body))
			req.Header.Set("AS2-From", `"Acme Retail"`)
			req.Header.Set("AS2-To", "DOCKSIDE")
			req.Header.Set("Message-ID", "<crash-"+string(rune('a'+i))+"@x>")
			req.Header.Set("Content-Type", `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"`)
			if tt.mdn {
				req.Header.Set("Disposition-Notification-To", "edi@acme.example")
			}
			resp, err := st.server.Client().Do(req)
			if err != nil {
				t.Fatalf("the handler dropped the connection: %v", err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype) || !strings.Contains(b.String(), tt.text) {
				t.Fatalf("HTTP %d %s %q, want %d %s with %q", resp.StatusCode, resp.Header.Get("Content-Type"), b.String(), tt.status, tt.ctype, tt.text)
			}
		})
	}
}

// panickingInbox panics when it is given a payload (a bug in the inbox).
type panickingInbox struct{}

func (panickingInbox) Receive(context.Context, inbox.Arrival, io.Reader) (*inbox.Message, error) {
	panic("inbox bug")
}

// TestHandlerPanic: a panic while a message is handled is recovered: the
// partner gets an MDN saying unexpected-processing-error, the message is
// not recorded as processed, and its resend is processed once the bug is
// gone.
func TestHandlerPanic(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	post := func() (int, string, string) {
		req, _ := http.NewRequest(http.MethodPost, st.server.URL, strings.NewReader("ISA*00~"))
		req.Header.Set("AS2-From", `"Acme Retail"`)
		req.Header.Set("AS2-To", "DOCKSIDE")
		req.Header.Set("Message-ID", "<panic@x>")
		req.Header.Set("Content-Type", "application/edi-x12")
		req.Header.Set("Disposition-Notification-To", "edi@acme.example")
		resp, err := st.server.Client().Do(req)
		if err != nil {
			t.Fatalf("the handler dropped the connection: %v", err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b.String()
	}
	real := st.handler.cfg.Inbox
	st.handler.cfg.Inbox = panickingInbox{}
	status, ctype, body := post()
	if status != http.StatusOK || !strings.HasPrefix(ctype, "multipart/report") || !strings.Contains(body, "unexpected-processing-error") {
		t.Fatalf("after a panic: HTTP %d %s %q", status, ctype, body)
	}
	st.handler.cfg.Inbox = real
	status, _, body = post()
	if status != http.StatusOK || !strings.Contains(body, "Disposition: automatic-action/MDN-sent-automatically; processed\r\n") {
		t.Fatalf("the resend: HTTP %d %q", status, body)
	}
	if msgs, _ := st.inboxMessages(t); len(msgs) != 1 {
		t.Fatalf("%d messages in the inbox, want the resent one", len(msgs))
	}
}
