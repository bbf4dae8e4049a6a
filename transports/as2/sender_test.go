package as2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/outbox"
)

// TestSenderRefusesBadMDNs: a synchronous MDN that does not confirm
// exactly what we sent makes the attempt fail.
func TestSenderRefusesBadMDNs(t *testing.T) {
	us, them, stranger := ident(t, "dockside"), ident(t, "partner"), ident(t, "stranger")
	sha256, _ := digestByName("sha256")
	type answer struct {
		status int
		mdn    func(msgID, mic string) (string, []byte)
	}
	mdnBy := func(signer *testIdentity, sign bool, d Disposition, mic func(string) string, orig func(string) string) func(string, string) (string, []byte) {
		return func(msgID, realMIC string) (string, []byte) {
			m, _ := ParseMIC(realMIC)
			ct, body, err := buildMDN(mdnReport{reportingUA: "fake", from: us.AS2ID, to: them.AS2ID, originalMessageID: orig(msgID),
				disposition: d, mic: MIC{Value: mic(m.Value), Alg: m.Alg}, text: "fake", sign: sign, digest: sha256}, signer.Identity)
			if err != nil {
				panic(err)
			}
			return ct, body
		}
	}
	same := func(s string) string { return s }
	tests := []struct {
		name string
		a    answer
		want error
	}{
		{"good", answer{200, mdnBy(them, true, DispProcessed, same, same)}, nil},
		{"wrong MIC", answer{200, mdnBy(them, true, DispProcessed, func(string) string { return "AAAA" }, same)}, ErrMICMismatch},
		{"error disposition", answer{200, mdnBy(them, true, DispIntegrityFailed, same, same)}, ErrMDN},
		{"unsigned", answer{200, mdnBy(them, false, DispProcessed, same, same)}, ErrAuthentication},
		{"signed by a stranger", answer{200, mdnBy(stranger, true, DispProcessed, same, same)}, ErrAuthentication},
		{"another message", answer{200, mdnBy(them, true, DispProcessed, same, func(string) string { return "<other@x>" })}, ErrMDN},
		{"http error", answer{503, nil}, ErrHTTP},
	}
	var current answer
	var lastMIC string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if current.mdn == nil {
			http.Error(w, "busy", current.status)
			return
		}
		ct, body := current.mdn(r.Header.Get("Message-ID"), lastMIC)
		w.Header().Set("Content-Type", ct)
		w.Write(body)
	}))
	defer srv.Close()
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, URL: srv.URL, Certs: []*x509Cert{them.Cert}, MDNSigned: true})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current = tt.a
			m := &outbox.Message{ID: uint64(i + 1), Partner: "acme", Name: "x.edi", Created: time.Now()}
			p, _ := st.partners.ByID("acme")
			p, _ = p.normalized()
			built, err := buildMessage(p, us.Identity, m, []byte("ISA*00~"), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			lastMIC = built.mic.String() // the MIC does not depend on the signature's randomness
			_, err = st.sender.Send(context.Background(), m, []byte("ISA*00~"))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("send: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}
