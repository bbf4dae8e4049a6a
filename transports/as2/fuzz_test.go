package as2

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"
)

// Fuzz targets for every parser of untrusted input. Seeds are added
// here; run one with e.g. go test -fuzz FuzzUnwrap ./transports/as2.

func FuzzParseEntity(f *testing.F) {
	f.Add([]byte("Content-Type: text/plain\r\n\r\nhello"))
	f.Add([]byte("A: b\n c\n\nbody"))
	f.Add([]byte("\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseEntity(b, "fuzz")
		if err != nil {
			return
		}
		if !bytes.HasSuffix(b, e.body) {
			t.Fatal("body is not the end of the input")
		}
		e.mediaType()
		e.decodedBody()
	})
}

func FuzzSplitMultipart(f *testing.F) {
	f.Add([]byte("--b\r\nA\r\n--b\r\nB\r\n--b--\r\n"), "b")
	f.Add([]byte("x\n--b\nA\r\n\n--b--"), "b")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		parts, err := splitMultipart(body, boundary, "fuzz")
		if err != nil {
			return
		}
		for _, p := range parts {
			if !bytes.Contains(body, p) {
				t.Fatal("a part is not from the body")
			}
		}
	})
}

func FuzzBERToDER(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x01, 0xaa, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x05})
	f.Add([]byte{0x1f, 0x81, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		der, err := berToDER(b, "fuzz")
		if err != nil {
			return
		}
		again, err := berToDER(der, "fuzz")
		if err != nil || !bytes.Equal(again, der) {
			t.Fatalf("DER output is not stable: % x -> % x (%v)", der, again, err)
		}
	})
}

func FuzzNotificationOptions(f *testing.F) {
	f.Add("signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256, sha1")
	f.Add(`a="b;c", d; e=`)
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseNotificationOptions(s)
		if err == nil {
			o.wantsSignature()
			o.micAlgorithm()
		}
	})
}

func FuzzParseMDN(f *testing.F) {
	us := ident(f, "dockside")
	d, _ := digestByName("sha256")
	for _, sign := range []bool{false, true} {
		ct, body, err := buildMDN(mdnReport{reportingUA: "x", from: "a", to: "b", originalMessageID: "<m@x>",
			disposition: DispProcessed, mic: MIC{"abc=", "sha-256"}, text: "t", sign: sign, digest: d}, us.Identity)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct, body)
	}
	f.Add("message/disposition-notification", []byte("Disposition: processed\r\n"))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		m, err := parseMDN(ctype, body, []*x509Cert{us.Cert}, false)
		if err == nil {
			m.Summary()
		}
	})
}

// FuzzUnwrap feeds whole messages to the receive pipeline.
func FuzzUnwrap(f *testing.F) {
	us, them := ident(f, "dockside"), ident(f, "partner")
	p := Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}, Sign: SignSHA256, Encrypt: EncryptAES128CBC, Compress: true}
	p, _ = p.normalized()
	for _, enc := range []string{EncryptAES128CBC, EncryptNone} {
		toUs := p
		toUs.Encrypt, toUs.Certs = enc, []*x509Cert{us.Cert}
		m, err := buildMessage(toUs, them.Identity, &outboxMessage1, []byte("ISA*00~"), time.Now())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.entity.header("Content-Type"), m.entity.body)
	}
	f.Add("application/pkcs7-mime", []byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03, 0xa0, 0x80, 0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		top := &entity{fields: []field{{"Content-Type", ctype}}, body: body}
		u, err := unwrap(top, p, us.Identity, expansion{max: 1 << 20})
		if err == nil && !bytes.Equal(u.payload, []byte("ISA*00~")) && len(body) > 500 {
			t.Logf("unwrapped %d bytes", len(u.payload))
		}
	})
}

// FuzzDecodeBase64 compares decodeBase64 (streaming, one buffer) with a
// plain reading: white space removed, decoded padded, else unpadded.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("aGVsbG8=\r\n"))
	f.Add([]byte("aGVs bG8"))
	f.Add([]byte("100"))
	f.Add([]byte("QQ==QQ=="))
	f.Fuzz(func(t *testing.T, b []byte) {
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, b)
		want, wantErr := base64.StdEncoding.DecodeString(string(clean))
		if wantErr != nil {
			want, wantErr = base64.RawStdEncoding.DecodeString(string(bytes.TrimRight(clean, "=")))
		}
		got, err := decodeBase64(b)
		if (err == nil) != (wantErr == nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("%q: got %x, %v; want %x, %v", b, got, err, want, wantErr)
		}
	})
}
