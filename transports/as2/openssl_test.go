package as2

import (
	"bytes"
	"compress/zlib"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Interop with an independent peer: messages built by `openssl cms`
// (OpenSSL 3) and posted by `curl` to a Handler on loopback; our MDNs
// checked with `openssl cms -verify -binary` and their MIC with
// `openssl dgst`. Debian's OpenSSL has no zlib, so CompressedData is
// built here by hand (BER, indefinite lengths, 1000-byte segments, as
// Bouncy Castle streams it) and then signed and encrypted by openssl.

const dnoSHA256 = "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256, sha1"

type inboundCase struct {
	name      string
	sign      string // openssl -md: sha1, sha256, sha384, sha512, md5; "" unsigned
	signer    string // test identity that signs (default partner)
	encrypt   string // openssl cipher: aes-128-cbc, aes-192-cbc, aes-256-cbc, des3...; "" clear
	oaep      bool
	stream    bool   // openssl -stream: BER with indefinite lengths
	keyid     bool   // openssl -keyid: signer and recipient named by subject key identifier
	recipient string // test identity encrypted to (default dockside)
	compress  string // "", "before" (signing), "after"
	from      string // AS2-From (default the partner's, quoted: it has a space)
	dno       string // Disposition-Notification-Options; "-" for none
	noMDN     bool   // no Disposition-Notification-To
	tamper    bool   // change a byte of the signed content after signing
	profile   func(*Partner)

	want     Disposition
	wantMIC  string // openssl dgst name of the expected MIC; "" none
	micSpell string // the MIC algorithm as the MDN must spell it
}

func TestOpenSSLInbound(t *testing.T) {
	needTool(t, "openssl")
	needTool(t, "curl")
	us, partner := ident(t, "dockside"), ident(t, "partner")
	base := Partner{ID: "acme", AS2ID: partner.AS2ID, Certs: []*x509Cert{partner.Cert}}
	st := newStation(t, us, base)
	dir := t.TempDir()
	for _, n := range []string{"dockside", "partner", "stranger", "other"} {
		ident(t, n).files(t, dir)
	}
	cases := []inboundCase{
		{name: "plain", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-sha1", sign: "sha1", dno: "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha1", want: DispProcessed, wantMIC: "sha1", micSpell: "sha1"},
		{name: "signed-sha256", sign: "sha256", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-sha384", sign: "sha384", dno: "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-384", want: DispProcessed, wantMIC: "sha384", micSpell: "sha-384"},
		{name: "signed-sha512-params-reversed", sign: "sha512", dno: "signed-receipt-micalg=optional, SHA-512 ; signed-receipt-protocol=required, pkcs7-signature", want: DispProcessed, wantMIC: "sha512", micSpell: "SHA-512"},
		{name: "micalg-first-supported", sign: "sha256", dno: "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, md5, sha1, sha-256", want: DispProcessed, wantMIC: "sha1", micSpell: "sha1"},
		{name: "encrypted-aes128", encrypt: "aes-128-cbc", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-encrypted-aes192", sign: "sha256", encrypt: "aes-192-cbc", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-encrypted-aes256", sign: "sha256", encrypt: "aes-256-cbc", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-encrypted-3des", sign: "sha1", encrypt: "des3", dno: "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-1", want: DispProcessed, wantMIC: "sha1", micSpell: "sha-1"},
		{name: "signed-encrypted-aes256-oaep", sign: "sha256", encrypt: "aes-256-cbc", oaep: true, dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-encrypted-3des-oaep", sign: "sha384", encrypt: "des3", oaep: true, dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-encrypted-ber-stream", sign: "sha256", encrypt: "aes-256-cbc", stream: true, dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "signed-encrypted-keyid", sign: "sha256", encrypt: "aes-256-cbc", keyid: true, dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "compressed-before-signing", sign: "sha256", encrypt: "aes-256-cbc", compress: "before", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "compressed-after-signing", sign: "sha256", encrypt: "aes-128-cbc", compress: "after", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "compressed-unsigned", compress: "before", dno: dnoSHA256, want: DispProcessed, wantMIC: "sha256", micSpell: "sha-256"},
		{name: "unsigned-mdn", sign: "sha384", encrypt: "aes-256-cbc", dno: "-", want: DispProcessed, wantMIC: "sha384", micSpell: "sha-384"},
		{name: "no-mdn", sign: "sha256", encrypt: "aes-256-cbc", noMDN: true, want: DispProcessed},

		{name: "wrong-certificate", sign: "sha256", signer: "stranger", encrypt: "aes-256-cbc", dno: dnoSHA256, want: DispAuthFailed},
		{name: "tampered", sign: "sha256", tamper: true, dno: dnoSHA256, want: DispIntegrityFailed},
		{name: "tampered-encrypted", sign: "sha256", tamper: true, encrypt: "aes-256-cbc", dno: dnoSHA256, want: DispIntegrityFailed},
		{name: "unknown-partner", sign: "sha256", from: "NOBODY", dno: dnoSHA256, want: DispAuthFailed},
		{name: "unsupported-cipher", sign: "sha256", encrypt: "camellia-256-cbc", dno: dnoSHA256, want: DispUnsupportedFormat},
		{name: "unsupported-digest-md5", sign: "md5", dno: dnoSHA256, want: DispUnsupportedFormat},
		{name: "encrypted-to-another-cert", sign: "sha256", encrypt: "aes-256-cbc", recipient: "other", dno: dnoSHA256, want: DispDecryptionFailed},
		{name: "encryption-required", sign: "sha256", dno: dnoSHA256, profile: func(p *Partner) { p.RequireEncrypted = true }, want: DispDecryptionFailed},
		{name: "signature-required", encrypt: "aes-256-cbc", dno: dnoSHA256, profile: func(p *Partner) { p.RequireSigned = true }, want: DispAuthFailed},
		{name: "micalg-required-unsupported", sign: "sha256", dno: "signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, md5", want: DispUnsupportedMICAlgs},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base
			if c.profile != nil {
				c.profile(&p)
			}
			st.setPartners(p)
			before, _ := st.inboxMessages(t)
			cdir := filepath.Join(dir, c.name)
			os.Mkdir(cdir, 0o755)
			payload := testPayload(2000 + 100*i)
			msgID := fmt.Sprintf("<openssl-%d-%s@acme.example>", i, c.name)
			res := postOpenSSL(t, st.server.URL, dir, cdir, c, payload, msgID)
			after, bodies := st.inboxMessages(t)
			if !c.want.OK() {
				if len(after) != len(before) {
					t.Fatalf("a refused message reached the inbox: %d messages, were %d", len(after), len(before))
				}
			} else {
				if len(after) != len(before)+1 {
					t.Fatalf("inbox has %d messages, want %d", len(after), len(before)+1)
				}
				if !bytes.Equal(bodies[0], payload) {
					t.Fatalf("inbox payload differs: %d bytes, want %d", len(bodies[0]), len(payload))
				}
				m := after[0]
				if m.Meta[MetaMessageID] != msgID || m.Meta[MetaFrom] != partner.AS2ID || m.Partner != "acme" || m.Transport != "as2" {
					t.Fatalf("inbox record: partner %q transport %q meta %v", m.Partner, m.Transport, m.Meta)
				}
				if m.Name != "order.edi" {
					t.Errorf("name %q, want order.edi", m.Name)
				}
			}
			if c.noMDN {
				if res.status != 200 || !strings.Contains(res.text, "processed") {
					t.Fatalf("no-MDN answer: %d %q", res.status, res.text)
				}
				return
			}
			if res.disposition != c.want.String() {
				t.Fatalf("disposition %q, want %q", res.disposition, c.want.String())
			}
			if c.wantMIC == "" || !c.want.OK() {
				if res.mic != "" && !c.want.OK() {
					t.Errorf("failure MDN carries a MIC: %q", res.mic)
				}
				return
			}
			want := strings.TrimSpace(string(run(t, cdir, "sh", "-c", fmt.Sprintf("openssl dgst -%s -binary %s | base64 -w0", c.wantMIC, res.micFile))))
			if res.mic != want+", "+c.micSpell {
				t.Fatalf("Received-Content-MIC %q, want %q (openssl dgst -%s of %s)", res.mic, want+", "+c.micSpell, c.wantMIC, filepath.Base(res.micFile))
			}
			if got := after[0].Meta[MetaMIC]; got != res.mic {
				t.Errorf("inbox MIC %q, MDN MIC %q", got, res.mic)
			}
		})
	}
}

// x509Cert shortens the certificate type in tables.
type x509Cert = x509.Certificate

// openSSLResult is what came back for a posted message.
type openSSLResult struct {
	status      int
	text        string // body of a no-MDN answer
	disposition string // without the action mode
	mic         string // Received-Content-MIC
	micFile     string // the file whose digest the MIC must be
}

// postOpenSSL builds a message with openssl, posts it with curl and reads
// the MDN (verified with openssl when signed).
func postOpenSSL(t *testing.T, url, keys, dir string, c inboundCase, payload []byte, msgID string) openSSLResult {
	t.Helper()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := func(who string) (string, string) {
		ti := ident(t, who)
		return filepath.Join(keys, ti.AS2ID+".key"), filepath.Join(keys, ti.AS2ID+".crt")
	}
	write("payload.edi", payload)
	entity := append([]byte("Content-Type: application/edi-x12\r\nContent-Transfer-Encoding: binary\r\n"+
		"Content-Disposition: attachment; filename=\"order.edi\"\r\n\r\n"), payload...)
	cur := write("entity.mime", entity)
	res := openSSLResult{micFile: filepath.Join(dir, "payload.edi")}
	if c.encrypt != "" || c.compress != "" {
		res.micFile = cur
	}
	if c.compress == "before" {
		cur = write("compressed1.mime", compressedEntity(t, readFile(t, cur)))
	}
	if c.sign != "" {
		signer := c.signer
		if signer == "" {
			signer = "partner"
		}
		k, crt := key(signer)
		res.micFile = cur
		args := []string{"cms", "-sign", "-binary", "-md", c.sign, "-in", cur, "-signer", crt, "-inkey", k, "-out", "signed.mime"}
		if c.keyid {
			args = append(args, "-keyid")
		}
		run(t, dir, "openssl", args...)
		cur = filepath.Join(dir, "signed.mime")
		if c.tamper {
			b := readFile(t, cur)
			i := bytes.Index(b, []byte("ITEM-3"))
			b[i+5] = '7'
			write("signed.mime", b)
		}
	}
	if c.compress == "after" {
		cur = write("compressed2.mime", compressedEntity(t, readFile(t, cur)))
	}
	var headers []string
	body := filepath.Join(dir, "body.bin")
	if c.encrypt != "" {
		recip := c.recipient
		if recip == "" {
			recip = "dockside"
		}
		_, crt := key(recip)
		args := []string{"cms", "-encrypt", "-binary", "-" + c.encrypt, "-in", cur, "-outform", "DER", "-out", body}
		if c.stream {
			args = append(args, "-stream")
		}
		if c.keyid {
			args = append(args, "-keyid")
		}
		args = append(args, "-recip", crt)
		if c.oaep {
			args = append(args, "-keyopt", "rsa_padding_mode:oaep")
		}
		run(t, dir, "openssl", args...)
		headers = append(headers, `Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"`,
			"Content-Transfer-Encoding: binary", `Content-Disposition: attachment; filename="smime.p7m"`)
	} else {
		h, b := splitMIME(t, readFile(t, cur))
		headers = append(headers, h...)
		write("body.bin", b)
	}
	from := c.from
	if from == "" {
		from = `"` + ident(t, "partner").AS2ID + `"`
	}
	args := []string{"-sS", "-D", "headers.txt", "-o", "response.bin", "--data-binary", "@" + body,
		"-H", "AS2-Version: 1.2", "-H", "AS2-From: " + from, "-H", "AS2-To: DOCKSIDE", "-H", "Message-ID: " + msgID,
		"-H", "Subject: openssl interop", "-H", "Expect:"}
	if !c.noMDN {
		args = append(args, "-H", "Disposition-Notification-To: edi@acme.example")
		if c.dno != "-" {
			args = append(args, "-H", "Disposition-Notification-Options: "+c.dno)
		}
	}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	run(t, dir, "curl", append(args, url)...)
	status, ctype := readResponseHeaders(t, readFile(t, filepath.Join(dir, "headers.txt")))
	res.status = status
	resp := readFile(t, filepath.Join(dir, "response.bin"))
	if c.noMDN {
		res.text = string(resp)
		return res
	}
	if status != 200 {
		t.Fatalf("HTTP %d: %s", status, resp)
	}
	write("mdn.eml", append([]byte("MIME-Version: 1.0\r\nContent-Type: "+ctype+"\r\n\r\n"), resp...))
	report := resp
	if strings.HasPrefix(ctype, "multipart/signed") {
		_, ourCrt := key("dockside")
		run(t, dir, "openssl", "cms", "-verify", "-binary", "-in", "mdn.eml", "-CAfile", ourCrt, "-purpose", "any", "-out", "report.mime")
		report = readFile(t, filepath.Join(dir, "report.mime"))
	} else if c.dno != "-" && c.dno != "" && c.want != DispUnsupportedMICAlgs && c.from == "" {
		t.Fatalf("MDN not signed (%s) though the options ask for it", ctype)
	}
	res.disposition = field1(report, "Disposition")
	if _, d, ok := strings.Cut(res.disposition, ";"); ok {
		res.disposition = strings.TrimSpace(d)
	}
	res.mic = field1(report, "Received-Content-MIC")
	if got := field1(report, "Original-Message-ID"); got != msgID {
		t.Errorf("Original-Message-ID %q, want %q", got, msgID)
	}
	return res
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitMIME splits a MIME document at its first blank line, independent
// of the package's parser. MIME-Version is dropped (HTTP has its own).
func splitMIME(t *testing.T, b []byte) ([]string, []byte) {
	t.Helper()
	i := bytes.Index(b, []byte("\n\n"))
	j := bytes.Index(b, []byte("\r\n\r\n"))
	var head, body []byte
	switch {
	case j >= 0 && (i < 0 || j < i):
		head, body = b[:j], b[j+4:]
	case i >= 0:
		head, body = b[:i], b[i+2:]
	default:
		t.Fatal("no blank line in MIME document")
	}
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n") {
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			out[len(out)-1] += " " + strings.TrimSpace(l)
			continue
		}
		if !strings.HasPrefix(strings.ToLower(l), "mime-version:") {
			out = append(out, l)
		}
	}
	return out, body
}

var statusLine = regexp.MustCompile(`^HTTP/[0-9.]+ ([0-9]{3})`)

func readResponseHeaders(t *testing.T, b []byte) (int, string) {
	t.Helper()
	var status int
	var ctype string
	for _, l := range strings.Split(string(b), "\r\n") {
		if m := statusLine.FindStringSubmatch(l); m != nil {
			fmt.Sscan(m[1], &status)
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Content-Type") {
			ctype = strings.TrimSpace(v)
		}
	}
	return status, ctype
}

// field1 returns the value of the first "Name: value" line in b.
func field1(b []byte, name string) string {
	for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// compressedEntity wraps a MIME entity in a CompressedData entity built
// by hand: BER with indefinite lengths and a constructed OCTET STRING of
// 1000-byte segments, as streaming encoders write it.
func compressedEntity(t *testing.T, content []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(content)
	w.Close()
	indef := func(tag byte, inner ...[]byte) []byte {
		out := []byte{tag, 0x80}
		for _, b := range inner {
			out = append(out, b...)
		}
		return append(out, 0, 0)
	}
	prim := func(tag byte, v []byte) []byte {
		out := []byte{tag}
		switch n := len(v); {
		case n < 0x80:
			out = append(out, byte(n))
		case n < 0x100:
			out = append(out, 0x81, byte(n))
		default:
			out = append(out, 0x82, byte(n>>8), byte(n))
		}
		return append(out, v...)
	}
	oidCompressed := []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x09}
	oidZlibAlg := []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03, 0x08}
	oidDataType := []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}
	var segments [][]byte
	for zb := z.Bytes(); len(zb) > 0; {
		n := min(1000, len(zb))
		segments = append(segments, prim(0x04, zb[:n]))
		zb = zb[n:]
	}
	der := indef(0x30,
		prim(0x06, oidCompressed),
		indef(0xa0,
			indef(0x30,
				prim(0x02, []byte{0}),
				prim(0x30, prim(0x06, oidZlibAlg)),
				indef(0x30,
					prim(0x06, oidDataType),
					indef(0xa0, indef(0x24, segments...))))))
	head := "Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=\"smime.p7z\"\r\n" +
		"Content-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename=\"smime.p7z\"\r\n\r\n"
	return append([]byte(head), der...)
}

var _ = base64.StdEncoding
