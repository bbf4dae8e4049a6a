package as2

import (
	"bytes"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
)

// TestSignDetachedRSAIsPkcs7s: the SignedData built here is byte for
// byte the one pkcs7 builds (PKCS#1 v1.5 signatures are deterministic),
// given pkcs7's signing time, for every digest pkcs7 signs with, and with
// the key as the stations wrap it.
func TestSignDetachedRSAIsPkcs7s(t *testing.T) {
	id := ident(t, "dockside").Identity
	content := []byte("Content-Type: text/plain\r\n\r\nsigned\r\n")
	for _, name := range []string{SignSHA1, SignSHA256, SignSHA384, SignSHA512} {
		d, _ := digestByName(name)
		sd, err := pkcs7.NewSignedData(content)
		if err != nil {
			t.Fatal(err)
		}
		sd.SetDigestAlgorithm(d.oid)
		if err := sd.AddSigner(id.Cert, id.Key, pkcs7.SignerInfoConfig{}); err != nil {
			t.Fatal(err)
		}
		sd.Detach()
		want, err := sd.Finish()
		if err != nil {
			t.Fatal(err)
		}
		p7, err := pkcs7.Parse(want)
		if err != nil {
			t.Fatal(err)
		}
		var at time.Time
		if err := p7.UnmarshalSignedAttribute(oidAttrSigningTime, &at); err != nil {
			t.Fatal(err)
		}
		for _, key := range []Identity{id, withFastKey(id)} {
			got, err := signDetachedRSA(content, key, d, at)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s with %T: DER differs from pkcs7's\n got %x\nwant %x", name, key.Key, got, want)
			}
			if _, err := verifySignedData(got, [][]byte{content}, []*x509Cert{id.Cert}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}
