package as2

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadOrCreateIdentity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadOrCreateIdentity(dir, "DOCKSIDE")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, IdentityKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi.Mode())
	}
	if first.Cert.Subject.CommonName != "DOCKSIDE" || first.Cert.NotAfter.Sub(time.Now()) < 700*24*time.Hour {
		t.Errorf("certificate %s until %s", first.Cert.Subject, first.Cert.NotAfter)
	}
	again, err := LoadOrCreateIdentity(dir, "DOCKSIDE")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cert.Equal(first.Cert) || !samePublicKey(again.Key.Public(), first.Key.Public()) {
		t.Fatal("second start made a new identity")
	}
	// A lost certificate is made again for the same key.
	os.Remove(filepath.Join(dir, IdentityCertFile))
	third, err := LoadOrCreateIdentity(dir, "DOCKSIDE")
	if err != nil || !samePublicKey(third.Cert.PublicKey, first.Key.Public()) {
		t.Fatalf("regenerated certificate: %v", err)
	}
	loaded, err := LoadIdentity(filepath.Join(dir, IdentityKeyFile), filepath.Join(dir, IdentityCertFile), "DOCKSIDE")
	if err != nil || !loaded.Cert.Equal(third.Cert) {
		t.Fatalf("LoadIdentity: %v", err)
	}
	other := ident(t, "other")
	_, otherCert := other.files(t, dir)
	if _, err := LoadIdentity(filepath.Join(dir, IdentityKeyFile), otherCert, "DOCKSIDE"); !errors.Is(err, ErrConfig) {
		t.Fatalf("mismatched key and certificate: %v", err)
	}
}

func TestParseCertificates(t *testing.T) {
	a, b := ident(t, "partner"), ident(t, "other")
	certs, err := ParseCertificates(append(append([]byte("junk\n"), a.certPEM...), b.certPEM...))
	if err != nil || len(certs) != 2 {
		t.Fatalf("PEM: %d certificates, %v", len(certs), err)
	}
	certs, err = ParseCertificates(a.Cert.Raw)
	if err != nil || len(certs) != 1 || !certs[0].Equal(a.Cert) {
		t.Fatalf("DER: %v", err)
	}
	if _, err := ParseCertificates([]byte("nothing")); !errors.Is(err, ErrConfig) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	now := time.Now()
	mk := func(notBefore, notAfter time.Time) *x509.Certificate {
		c := *ident(t, "partner").Cert
		c.NotBefore, c.NotAfter = notBefore, notAfter
		return &c
	}
	old := mk(now.Add(-400*24*time.Hour), now.Add(10*24*time.Hour))
	fresh := mk(now.Add(-24*time.Hour), now.Add(700*24*time.Hour))
	expired := mk(now.Add(-800*24*time.Hour), now.Add(-24*time.Hour))
	future := mk(now.Add(24*time.Hour), now.Add(800*24*time.Hour))
	ws := ExpiringCertificates(now, 30*24*time.Hour, Identity{Cert: fresh}, Partner{ID: "acme", Certs: []*x509.Certificate{old, fresh, expired}})
	if len(ws) != 2 || ws[0].Owner != "acme" || ws[0].Expired || !ws[1].Expired {
		t.Fatalf("warnings %+v", ws)
	}
	if got := encryptionCert([]*x509.Certificate{old, fresh, future}, now); got != fresh {
		t.Errorf("encryption certificate: not the newest valid one")
	}
	if got := encryptionCert([]*x509.Certificate{expired, future}, now); got != future {
		t.Errorf("no valid certificate: not the one that expires last")
	}
}
