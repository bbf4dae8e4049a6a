package as2

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/outbox"
)

// capture records the requests it passes on to another handler.
type capture struct {
	next http.Handler
	mu   sync.Mutex
	last struct {
		header http.Header
		body   []byte
	}
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.last.header, c.last.body = r.Header.Clone(), body
	c.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.next.ServeHTTP(w, r)
}

// TestOpenSSLOutbound sends our messages to a Dockside partner through a
// recording proxy, then decrypts and verifies the recorded bytes with
// `openssl cms` and checks the partner's MIC with `openssl dgst`.
func TestOpenSSLOutbound(t *testing.T) {
	needTool(t, "openssl")
	us, them := ident(t, "dockside"), ident(t, "partner")
	dir := t.TempDir()
	usKey, usCrt := us.files(t, dir)
	themKey, themCrt := them.files(t, dir)
	_ = usKey
	partnerSide := newStation(t, them, Partner{ID: "dockside", AS2ID: us.AS2ID, Certs: []*x509Cert{us.Cert}})
	rec := &capture{next: partnerSide.handler}
	proxy := httptest.NewServer(rec)
	defer proxy.Close()
	ourSide := newStation(t, us)

	cases := []Partner{
		{Sign: SignSHA1, Encrypt: EncryptAES128CBC},
		{Sign: SignSHA256, Encrypt: EncryptAES192CBC, KeyEncryption: KeyRSAOAEP},
		{Sign: SignSHA384, Encrypt: EncryptAES256CBC},
		{Sign: SignSHA512, Encrypt: Encrypt3DES},
		{Sign: SignSHA256, Encrypt: Encrypt3DES, KeyEncryption: KeyRSAOAEP},
		{Sign: SignSHA256, Encrypt: EncryptAES256CBC, TransferEncoding: TransferBase64},
		{Sign: SignSHA256, Encrypt: EncryptAES256CBC, Compress: true},
		{Sign: SignSHA256, Encrypt: EncryptNone},
		{Sign: SignNone, Encrypt: EncryptAES256CBC},
	}
	for i, p := range cases {
		p.ID, p.AS2ID, p.URL, p.Certs, p.MDN, p.MDNSigned = "acme", them.AS2ID, proxy.URL, []*x509Cert{them.Cert}, MDNSync, true
		name := fmt.Sprintf("%s-%s-%s-%s-compress=%v", p.Sign, p.Encrypt, defaultTo(p.KeyEncryption, KeyRSA), defaultTo(p.TransferEncoding, TransferBinary), p.Compress)
		t.Run(name, func(t *testing.T) {
			ourSide.setPartners(p)
			payload := testPayload(3000 + i)
			m := &outbox.Message{ID: uint64(100 + i), Partner: "acme", Name: "advice.edi", Created: time.Now()}
			r, err := ourSide.sender.Send(context.Background(), m, payload)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			cdir := filepath.Join(dir, fmt.Sprint(i))
			os.Mkdir(cdir, 0o755)
			rec.mu.Lock()
			hdr, body := rec.last.header, rec.last.body
			rec.mu.Unlock()
			ctype := hdr.Get("Content-Type")
			signedFile := filepath.Join(cdir, "signed.mime")
			if p.Encrypt != EncryptNone {
				if !strings.HasPrefix(ctype, "application/pkcs7-mime") {
					t.Fatalf("Content-Type %q", ctype)
				}
				os.WriteFile(filepath.Join(cdir, "enc.der"), body, 0o644)
				run(t, cdir, "openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "enc.der", "-recip", themCrt, "-inkey", themKey, "-out", signedFile)
			} else {
				os.WriteFile(signedFile, append([]byte("Content-Type: "+ctype+"\r\n\r\n"), body...), 0o644)
			}
			content := filepath.Join(cdir, "content.mime")
			if p.Sign == SignNone {
				content = signedFile
			} else {
				run(t, cdir, "openssl", "cms", "-verify", "-binary", "-in", signedFile, "-CAfile", usCrt, "-purpose", "any", "-out", content)
			}
			got := readFile(t, content)
			switch {
			case p.Compress:
				if !bytes.Contains(got, []byte("smime-type=compressed-data")) {
					t.Fatalf("signed content is not the compressed entity:\n%.200s", got)
				}
			case p.TransferEncoding == TransferBase64:
				if !bytes.Contains(got, []byte("Content-Transfer-Encoding: base64")) {
					t.Fatalf("no base64 transfer encoding:\n%.300s", got)
				}
			default:
				if !bytes.HasSuffix(got, payload) || !bytes.Contains(got, []byte(`filename=advice.edi`)) {
					t.Fatalf("content is not the payload entity:\n%.300s", got)
				}
			}
			alg := strings.ReplaceAll(defaultTo(p.Sign, SignSHA256), "none", "sha256")
			want := strings.TrimSpace(string(run(t, cdir, "sh", "-c", "openssl dgst -"+alg+" -binary content.mime | base64 -w0")))
			if p.Sign == SignNone {
				// Unsigned but encrypted: the MIC covers the decrypted entity.
				want = strings.TrimSpace(string(run(t, cdir, "sh", "-c", "openssl dgst -sha256 -binary signed.mime | base64 -w0")))
			}
			if !strings.Contains(r.Text, "MIC "+want+", ") || !strings.Contains(r.Text, "processed") {
				t.Fatalf("receipt %q does not carry MIC %s", r.Text, want)
			}
		})
	}
}
