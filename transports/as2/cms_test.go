package as2

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	us, other := ident(t, "dockside"), ident(t, "other")
	content := testPayload(5000)
	for _, c := range contentCiphers {
		for _, kt := range []string{KeyRSA, KeyRSAOAEP} {
			t.Run(c.name+"/"+kt, func(t *testing.T) {
				env, err := encryptEnveloped(content, us.Cert, c.name, kt)
				if err != nil {
					t.Fatal(err)
				}
				dc, err := decryptEnveloped(env, us.Identity)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(dc.content, content) || dc.cipher != c.name || dc.keyTransport != kt {
					t.Fatalf("got cipher %s, key transport %s, %d bytes", dc.cipher, dc.keyTransport, len(dc.content))
				}
				// Another key cannot read it. The only recipient is tried
				// (our key may stand under another certificate); a PKCS#1
				// v1.5 key transport rejects a wrong key implicitly, and the
				// content must then not pass for a MIME entity.
				if _, err := decryptEnveloped(env, other.Identity); !errors.Is(err, ErrDecryption) {
					t.Fatalf("decrypting with another key: %v, want ErrDecryption", err)
				}
			})
		}
	}
}

func TestCompressRoundTrip(t *testing.T) {
	content := bytes.Repeat([]byte("LIN**SK*ITEM*QTY*42~\n"), 1000)
	z, err := compressData(content)
	if err != nil {
		t.Fatal(err)
	}
	if len(z) > len(content)/10 {
		t.Errorf("compressed %d bytes to %d", len(content), len(z))
	}
	got, err := decompressData(z, int64(len(content)), nil)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := decompressData(z, int64(len(content)-1), nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v, want ErrTooLarge", err)
	}
	z[len(z)-3] ^= 0xff // the zlib checksum
	if _, err := decompressData(z, 1<<20, nil); !errors.Is(err, ErrDecompression) {
		t.Fatalf("corrupt: %v, want ErrDecompression", err)
	}
}

func TestBERToDER(t *testing.T) {
	tests := []struct {
		name    string
		in, out []byte
	}{
		{"der unchanged", []byte{0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa}, []byte{0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa}},
		{"indefinite sequence", []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{"constructed octet string", []byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x01, 0xaa, 0x04, 0x02, 0xbb, 0xcc, 0x00, 0x00, 0x00, 0x00},
			[]byte{0x30, 0x05, 0x04, 0x03, 0xaa, 0xbb, 0xcc}},
		{"context tag keeps segments", []byte{0xa0, 0x80, 0x04, 0x01, 0xaa, 0x00, 0x00}, []byte{0xa0, 0x03, 0x04, 0x01, 0xaa}},
		{"long length", append([]byte{0x04, 0x81, 0x80}, make([]byte, 0x80)...), append([]byte{0x04, 0x81, 0x80}, make([]byte, 0x80)...)},
		{"trailing bytes ignored", []byte{0x05, 0x00, '\r', '\n'}, []byte{0x05, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := berToDER(tt.in, "test")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.out) {
				t.Fatalf("% x, want % x", got, tt.out)
			}
		})
	}
	for _, bad := range [][]byte{{}, {0x30}, {0x30, 0x80}, {0x30, 0x05, 0x02}, {0x04, 0x80, 0x00, 0x00}, {0x30, 0x85, 1, 2, 3, 4, 5}} {
		if _, err := berToDER(bad, "test"); !errors.Is(err, ErrASN1) {
			t.Errorf("berToDER(% x): %v, want ErrASN1", bad, err)
		}
	}
	deep := bytes.Repeat([]byte{0x30, 0x80}, maxBERDepth+2)
	if _, err := berToDER(deep, "test"); !errors.Is(err, ErrASN1) {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	us, other := ident(t, "dockside"), ident(t, "other")
	content := []byte("Content-Type: application/edi-x12\r\n\r\nISA*00~\n")
	for _, d := range digestAlgs {
		if d.name == "sha224" {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			sig, err := signDetached(content, us.Identity, d)
			if err != nil {
				t.Fatal(err)
			}
			v, err := verifySignedData(sig, [][]byte{content}, []*x509Cert{other.Cert, us.Cert})
			if err != nil {
				t.Fatal(err)
			}
			if v.digest.name != d.name || v.signer != us.Cert || !bytes.Equal(v.content, content) {
				t.Fatalf("verified %s by %s", v.digest.name, v.signer.Subject)
			}
			if _, err := verifySignedData(sig, [][]byte{content}, []*x509Cert{other.Cert}); !errors.Is(err, ErrAuthentication) {
				t.Fatalf("wrong certificate: %v, want ErrAuthentication", err)
			}
			tampered := bytes.Replace(content, []byte("ISA"), []byte("ISB"), 1)
			if _, err := verifySignedData(sig, [][]byte{tampered}, []*x509Cert{us.Cert}); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("tampered: %v, want ErrIntegrity", err)
			}
		})
	}
}

// TestMultipartSignedForms: the signed part verifies whether the
// delimiters are OpenSSL's (LF), JavaMail's (CRLF) or a CR-ended part as
// OpenSSL -binary reads it.
func TestMultipartSignedForms(t *testing.T) {
	us := ident(t, "dockside")
	d, _ := digestByName("sha256")
	entity := []byte("Content-Type: text/plain\r\n\r\nhello\r\n")
	sig, err := signDetached(entity, us.Identity, d)
	if err != nil {
		t.Fatal(err)
	}
	sigPart := "Content-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n" + string(encodeBase64Lines(sig))
	forms := map[string]string{
		"openssl": "--b\n" + string(entity) + "\n--b\n" + sigPart + "\n--b--\n",
		"crlf":    "--b\r\n" + string(entity) + "\r\n--b\r\n" + sigPart + "\r\n--b--\r\n",
	}
	for name, body := range forms {
		content, _, err := verifyMultipartSigned([]byte(body), "b", []*x509Cert{us.Cert}, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(content, entity) {
			t.Errorf("%s: content %q", name, content)
		}
	}
	// Signed with a trailing CR, as OpenSSL -binary would read "x\r\n--b".
	crEntity := []byte("Content-Type: text/plain\r\n\r\nhello\r")
	sig, _ = signDetached(crEntity, us.Identity, d)
	sigPart = "Content-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n" + string(encodeBase64Lines(sig))
	body := "--b\r\n" + strings.TrimSuffix(string(crEntity), "\r") + "\r\n--b\r\n" + sigPart + "\r\n--b--\r\n"
	if content, _, err := verifyMultipartSigned([]byte(body), "b", []*x509Cert{us.Cert}, "cr"); err != nil || !bytes.Equal(content, crEntity) {
		t.Errorf("CR-ended part: %v, %q", err, content)
	}
}

// TestEnvelopeToOurKeyUnderAnotherCertificate: a partner still encrypting
// to our previous certificate (same key, another serial) is read; a
// guessed recipient whose "content" is not a MIME entity is refused.
func TestEnvelopeToOurKeyUnderAnotherCertificate(t *testing.T) {
	us := ident(t, "dockside")
	key, ok := us.Key.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("test key is %T", us.Key)
	}
	old, err := selfSigned(key, us.AS2ID, time.Now().Add(-400*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if old.SerialNumber.Cmp(us.Cert.SerialNumber) == 0 {
		t.Fatal("the two certificates share a serial number")
	}
	entity := []byte("Content-Type: application/edi-x12\r\n\r\n" + string(testPayload(800)))
	for _, kt := range []string{KeyRSA, KeyRSAOAEP} {
		env, err := encryptEnveloped(entity, old, EncryptAES256CBC, kt)
		if err != nil {
			t.Fatal(err)
		}
		dc, err := decryptEnveloped(env, us.Identity)
		if err != nil || !bytes.Equal(dc.content, entity) {
			t.Fatalf("%s: %v", kt, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"Content-Type: text/plain\r\n\r\nhi", true},
		{"Content-Type: text/plain\n\nhi", true},
		{"ISA*00*  ~", false},
		{"Content Type: x\r\n\r\n", false},
		{": x\r\n\r\n", false},
		{"Content-Type: text/plain\r\nno blank line", false},
	} {
		if got := startsWithHeader([]byte(tc.in)); got != tc.want {
			t.Errorf("startsWithHeader(%q) = %v", tc.in, got)
		}
	}
}
