package as2

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// Files of the generated identity in the data folder.
const (
	IdentityKeyFile  = "as2-key.pem"  // PKCS#8, mode 0600
	IdentityCertFile = "as2-cert.pem" // self-signed
)

// identityValidity is the lifetime of a generated certificate.
const identityValidity = 2 * 365 * 24 * time.Hour

// LoadOrCreateIdentity loads our key and certificate from dir, creating a
// self-signed RSA-2048 pair on first start (each file written
// atomically, the key first). A certificate whose key is not the stored
// key is replaced. The key's private operations run in libcrypto when it
// can be loaded (see package internal/libcrypto).
func LoadOrCreateIdentity(dir, as2id string) (Identity, error) {
	keyPath := filepath.Join(dir, IdentityKeyFile)
	certPath := filepath.Join(dir, IdentityCertFile)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Identity{}, fmt.Errorf("as2: %w", err)
	}
	key, err := readKey(keyPath)
	if errors.Is(err, os.ErrNotExist) {
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return Identity{}, fmt.Errorf("as2: generating key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return Identity{}, err
		}
		if err := atomicfile.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return Identity{}, fmt.Errorf("as2: %w", err)
		}
	} else if err != nil {
		return Identity{}, err
	}
	certs, err := LoadCertificates(certPath)
	if err == nil && len(certs) > 0 && samePublicKey(certs[0].PublicKey, key.Public()) {
		return withFastKey(Identity{AS2ID: as2id, Key: key, Cert: certs[0]}), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Identity{}, err
	}
	cert, err := selfSigned(key, as2id, time.Now())
	if err != nil {
		return Identity{}, err
	}
	if err := atomicfile.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		return Identity{}, fmt.Errorf("as2: %w", err)
	}
	return withFastKey(Identity{AS2ID: as2id, Key: key, Cert: cert}), nil
}

// LoadIdentity loads a configured key (PEM: PKCS#8, PKCS#1) and
// certificate (PEM or DER; the first certificate is ours). The key's
// private operations run in libcrypto when it can be loaded.
func LoadIdentity(keyFile, certFile, as2id string) (Identity, error) {
	key, err := readKey(keyFile)
	if err != nil {
		return Identity{}, err
	}
	certs, err := LoadCertificates(certFile)
	if err != nil {
		return Identity{}, err
	}
	if len(certs) == 0 || !samePublicKey(certs[0].PublicKey, key.Public()) {
		return Identity{}, fmt.Errorf("%w: %s is not the certificate of %s", ErrConfig, certFile, keyFile)
	}
	return withFastKey(Identity{AS2ID: as2id, Key: key, Cert: certs[0]}), nil
}

// readKey reads an RSA private key from a PEM file.
func readKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("as2: reading key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: %s: no PEM block", ErrConfig, path)
	}
	var k any
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s: %T is not an RSA key", ErrConfig, path, k)
	}
	return rk, nil
}

// selfSigned makes a certificate for key, named after the AS2 id.
func selfSigned(key *rsa.PrivateKey, as2id string, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: as2id, Organization: []string{"Dockside AS2"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(identityValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	pub := key.Public().(*rsa.PublicKey)
	tmpl.SubjectKeyId = subjectKeyID(pub)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, fmt.Errorf("as2: creating certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// subjectKeyID is the SHA-1 of the public key (RFC 5280 §4.2.1.2 method 1).
func subjectKeyID(pub *rsa.PublicKey) []byte {
	return digestOf(crypto.SHA1, x509.MarshalPKCS1PublicKey(pub))
}

func samePublicKey(a, b crypto.PublicKey) bool {
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}

// LoadCertificates reads certificates from files holding PEM blocks or a
// single DER certificate.
func LoadCertificates(paths ...string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("as2: reading certificate: %w", err)
		}
		certs, err := ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, certs...)
	}
	return out, nil
}

// ParseCertificates reads PEM CERTIFICATE blocks, or one DER
// certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		return out, nil
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("%w: no PEM certificate and not DER: %v", ErrConfig, err)
	}
	return []*x509.Certificate{c}, nil
}
