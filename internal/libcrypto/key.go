package libcrypto

import (
	"crypto"
	"crypto/fips140"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
)

// GoImplementation is what [Key.Implementation] reports when crypto/rsa
// does the work.
const GoImplementation = "Go crypto/rsa"

// minBits is the smallest modulus given to libcrypto; smaller keys keep
// crypto/rsa's checks and errors.
const minBits = 2048

// Key is an RSA private key whose private operations run in libcrypto
// when it could be loaded, else in crypto/rsa. It is safe for concurrent
// use.
type Key struct {
	priv   *rsa.PrivateKey
	native *nativeKey // nil: crypto/rsa does everything
	why    error      // why native is nil
}

var (
	_ crypto.Signer    = (*Key)(nil)
	_ crypto.Decrypter = (*Key)(nil)
)

// NewKey wraps priv, which must not be modified afterwards. It loads
// libcrypto on first use and checks that it signs like crypto/rsa with
// this key; if anything fails the key uses crypto/rsa ([Key.Native] says
// why).
func NewKey(priv *rsa.PrivateKey) *Key {
	k := &Key{priv: priv}
	switch {
	case fips140.Enforced():
		k.why = fmt.Errorf("%w: FIPS 140-only mode", ErrUnavailable)
	case priv.N == nil || priv.N.BitLen() < minBits:
		k.why = fmt.Errorf("%w: keys under %d bits stay with crypto/rsa", ErrUnavailable, minBits)
	case len(priv.Primes) != 2:
		k.why = fmt.Errorf("%w: only two-prime keys", ErrUnavailable)
	default:
		k.native, k.why = newNativeKey(priv)
		if k.why == nil {
			k.why = k.selfTest()
		}
		if k.why != nil && k.native != nil {
			k.native.free()
			k.native = nil
		}
	}
	if k.native != nil {
		runtime.AddCleanup(k, (*nativeKey).free, k.native)
	}
	return k
}

// selfTest signs with libcrypto and verifies with crypto/rsa's public
// operation: the imported key is the same key.
func (k *Key) selfTest() error {
	d := sha256.Sum256([]byte("dockside libcrypto self-test"))
	sig, err := k.signPKCS1v15(crypto.SHA256, d[:])
	if err == nil {
		err = rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, d[:], sig)
	}
	if err != nil {
		return fmt.Errorf("%w: self-test: %v", ErrUnavailable, err)
	}
	return nil
}

// Native reports whether libcrypto does the private operations, and if
// not, why.
func (k *Key) Native() (bool, error) { return k.native != nil, k.why }

// Implementation names what does the private operations: the OpenSSL
// version string, or [GoImplementation].
func (k *Key) Implementation() string {
	if k.native == nil {
		return GoImplementation
	}
	v, _ := library()
	return v
}

// PrivateKey returns the wrapped key.
func (k *Key) PrivateKey() *rsa.PrivateKey { return k.priv }

// Public returns the *rsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.priv.Public() }

// Sign signs digest like (*rsa.PrivateKey).Sign: PKCS#1 v1.5 unless opts
// is *rsa.PSSOptions. rand is used by PSS only.
func (k *Key) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); pss || k.native == nil {
		return k.priv.Sign(rand, digest, opts)
	}
	h := opts.HashFunc()
	if _, ok := digestInfoPrefix[h]; !ok || len(digest) != h.Size() {
		return k.priv.Sign(rand, digest, opts) // its error, or its work
	}
	return k.signPKCS1v15(h, digest)
}

func (k *Key) signPKCS1v15(h crypto.Hash, digest []byte) ([]byte, error) {
	em, err := encodePKCS1v15Signature(k.priv.Size(), h, digest)
	if err != nil {
		return nil, err
	}
	sig := make([]byte, len(em))
	err = k.native.privateOp(sig, em)
	runtime.KeepAlive(k)
	if err != nil {
		return nil, err
	}
	return sig, nil
}

// Decrypt decrypts like (*rsa.PrivateKey).Decrypt: PKCS#1 v1.5 when opts
// is nil or *rsa.PKCS1v15DecryptOptions (with SessionKeyLen, a wrong
// padding yields random bytes read from rand, not an error), OAEP when
// opts is *rsa.OAEPOptions.
func (k *Key) Decrypt(rand io.Reader, ciphertext []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	if k.native == nil {
		return k.priv.Decrypt(rand, ciphertext, opts)
	}
	switch o := opts.(type) {
	case nil:
		return k.decryptPKCS1v15(ciphertext)
	case *rsa.PKCS1v15DecryptOptions:
		if o.SessionKeyLen <= 0 {
			return k.decryptPKCS1v15(ciphertext)
		}
		key := make([]byte, o.SessionKeyLen)
		if _, err := io.ReadFull(rand, key); err != nil {
			return nil, err
		}
		if err := k.decryptSessionKey(ciphertext, key); err != nil {
			return nil, err
		}
		return key, nil
	case *rsa.OAEPOptions:
		mgf := o.MGFHash
		if mgf == 0 {
			mgf = o.Hash
		}
		if !o.Hash.Available() || !mgf.Available() {
			return k.priv.Decrypt(rand, ciphertext, opts)
		}
		return k.decryptOAEP(ciphertext, o.Hash, mgf, o.Label)
	}
	return k.priv.Decrypt(rand, ciphertext, opts) // its error
}

// raw is m = c^d mod n with the ciphertext as crypto/rsa takes it: at
// most the modulus size, left-padded with zeros, less than n.
func (k *Key) raw(ciphertext []byte) ([]byte, error) {
	size := k.priv.Size()
	if len(ciphertext) > size {
		return nil, rsa.ErrDecryption
	}
	in := make([]byte, size)
	copy(in[size-len(ciphertext):], ciphertext)
	out := make([]byte, size)
	err := k.native.privateOp(out, in)
	runtime.KeepAlive(k)
	if err != nil {
		return nil, rsa.ErrDecryption
	}
	return out, nil
}

func (k *Key) decryptPKCS1v15(ciphertext []byte) ([]byte, error) {
	em, err := k.raw(ciphertext)
	if err != nil {
		return nil, rsa.ErrDecryption
	}
	valid, index := checkPKCS1v15Encryption(em)
	if valid == 0 {
		return nil, rsa.ErrDecryption
	}
	return em[index:], nil
}

// decryptSessionKey overwrites key with the decrypted key when the
// padding is right and it has len(key) bytes; it leaves key alone
// otherwise, in constant time (Bleichenbacher).
func (k *Key) decryptSessionKey(ciphertext, key []byte) error {
	if k.priv.Size()-(len(key)+3+8) < 0 {
		return rsa.ErrDecryption
	}
	em, err := k.raw(ciphertext)
	if err != nil {
		return rsa.ErrDecryption
	}
	copySessionKey(em, key)
	return nil
}

func (k *Key) decryptOAEP(ciphertext []byte, h, mgf crypto.Hash, label []byte) ([]byte, error) {
	if len(ciphertext) > k.priv.Size() || k.priv.Size() < 2*h.Size()+2 {
		return nil, rsa.ErrDecryption
	}
	em, err := k.raw(ciphertext)
	if err != nil {
		return nil, rsa.ErrDecryption
	}
	return decodeOAEP(em, h, mgf, label)
}
