package libcrypto

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // the hashes under test
	"crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// testKeys are generated once per test binary: 2048 and 3072 bits go to
// libcrypto, 1024 bits stays with crypto/rsa.
var testKeys = sync.OnceValue(func() map[int]*rsa.PrivateKey {
	keys := map[int]*rsa.PrivateKey{}
	for _, bits := range []int{1024, 2048, 3072} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		keys[bits] = k
	}
	return keys
})

// wantNative fails the test when libcrypto should do the work for k but
// does not; it skips when the build or machine has no libcrypto.
func wantNative(t testing.TB, k *Key) {
	t.Helper()
	if _, err := library(); err != nil {
		t.Skipf("no libcrypto here: %v", err)
	}
	if ok, why := k.Native(); !ok {
		t.Fatalf("libcrypto loaded but the key uses crypto/rsa: %v", why)
	}
}

func TestNativeOnlyForLargeTwoPrimeKeys(t *testing.T) {
	small := NewKey(testKeys()[1024])
	if ok, why := small.Native(); ok || !errors.Is(why, ErrUnavailable) {
		t.Errorf("1024-bit key: native %v, %v", ok, why)
	}
	if got := small.Implementation(); got != GoImplementation {
		t.Errorf("1024-bit key implementation %q", got)
	}
	multi, err := rsa.GenerateMultiPrimeKey(rand.Reader, 3, 2048) //nolint:staticcheck // the case under test
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := NewKey(multi).Native(); ok {
		t.Error("three-prime key went to libcrypto")
	}
	big := NewKey(testKeys()[2048])
	wantNative(t, big)
	if got := big.Implementation(); got == GoImplementation || got == "" {
		t.Errorf("native key implementation %q", got)
	}
}

func TestSignIdenticalToCryptoRSA(t *testing.T) {
	hashes := []crypto.Hash{crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512}
	for _, bits := range []int{1024, 2048, 3072} {
		priv := testKeys()[bits]
		k := NewKey(priv)
		if bits >= minBits {
			wantNative(t, k)
		}
		for _, h := range hashes {
			for i := range 4 {
				t.Run(fmt.Sprintf("%d/%v/%d", bits, h, i), func(t *testing.T) {
					hh := h.New()
					fmt.Fprintf(hh, "message %d", i)
					digest := hh.Sum(nil)
					want, err := rsa.SignPKCS1v15(nil, priv, h, digest)
					if err != nil {
						t.Fatal(err)
					}
					got, err := k.Sign(rand.Reader, digest, h)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("signature differs from crypto/rsa\n got %x\nwant %x", got, want)
					}
				})
			}
		}
	}
}

func TestSignFallsBackLikeCryptoRSA(t *testing.T) {
	priv := testKeys()[2048]
	k := NewKey(priv)
	d := sha256.Sum256([]byte("x"))
	// PSS is randomised: check it verifies.
	sig, err := k.Sign(rand.Reader, d[:], &rsa.PSSOptions{Hash: crypto.SHA256})
	if err != nil || rsa.VerifyPSS(&priv.PublicKey, crypto.SHA256, d[:], sig, nil) != nil {
		t.Errorf("PSS: %v", err)
	}
	// A digest of the wrong size: crypto/rsa's error.
	if _, err := k.Sign(rand.Reader, d[:20], crypto.SHA256); err == nil {
		t.Error("short digest signed")
	}
	// No hash (raw DigestInfo): crypto/rsa's result.
	want, err := rsa.SignPKCS1v15(nil, priv, 0, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Sign(rand.Reader, d[:], crypto.Hash(0)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("hash 0: %v", err)
	}
}

// decryptCase is a ciphertext and the options to decrypt it with.
type decryptCase struct {
	name string
	ct   []byte
	opts crypto.DecrypterOpts
}

// decryptCases are valid and invalid ciphertexts for the key.
func decryptCases(t *testing.T, priv *rsa.PrivateKey) []decryptCase {
	pub := &priv.PublicKey
	var cases []decryptCase
	for _, n := range []int{0, 1, 16, 24, 32, 100} {
		msg := bytes.Repeat([]byte{byte(n) + 1}, n)
		ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub, msg)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			decryptCase{fmt.Sprintf("pkcs1/%d/nil", n), ct, nil},
			decryptCase{fmt.Sprintf("pkcs1/%d/opts", n), ct, &rsa.PKCS1v15DecryptOptions{}})
		// For session keys, the right length and a wrong one (random key).
		cases = append(cases,
			decryptCase{fmt.Sprintf("pkcs1/%d/session-%d", n, n), ct, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: max(n, 1)}},
			decryptCase{fmt.Sprintf("pkcs1/%d/session-wrong", n), ct, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: n + 5}})
	}
	type oaep struct{ h, mgf crypto.Hash }
	for _, o := range []oaep{{crypto.SHA1, 0}, {crypto.SHA256, 0}, {crypto.SHA256, crypto.SHA1}, {crypto.SHA384, crypto.SHA256}, {crypto.SHA512, 0}} {
		for _, label := range [][]byte{nil, []byte("label")} {
			opts := &rsa.OAEPOptions{Hash: o.h, MGFHash: o.mgf, Label: label}
			for _, n := range []int{0, 16, 32} {
				msg := bytes.Repeat([]byte{7}, n)
				if priv.Size() < 2*o.h.Size()+2+n {
					continue // too small a key for this hash
				}
				ct, err := rsa.EncryptOAEPWithOptions(rand.Reader, pub, msg, opts)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("oaep/%v-%v/%q/%d", o.h, o.mgf, label, n)
				cases = append(cases, decryptCase{name, ct, opts},
					decryptCase{name + "/other-label", ct, &rsa.OAEPOptions{Hash: o.h, MGFHash: o.mgf, Label: []byte("other")}},
					decryptCase{name + "/as-pkcs1", ct, nil})
			}
		}
	}
	// Ciphertexts that are not encryptions: random blocks, bytes flipped,
	// too long, not less than the modulus, short (left-padded).
	size := priv.Size()
	for i := range 8 {
		ct := make([]byte, size)
		rand.Read(ct)
		ct[0] &= 0x7f
		cases = append(cases, decryptCase{fmt.Sprintf("random/%d", i), ct, nil},
			decryptCase{fmt.Sprintf("random/%d/session", i), ct, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: 32}},
			decryptCase{fmt.Sprintf("random/%d/oaep", i), ct, &rsa.OAEPOptions{Hash: crypto.SHA256}})
	}
	good, _ := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte("0123456789abcdef0123456789abcdef"))
	flipped := bytes.Clone(good)
	flipped[size/2] ^= 1
	nBytes := priv.N.FillBytes(make([]byte, size))
	nPlus := new(big.Int).Add(priv.N, big.NewInt(1)).FillBytes(make([]byte, size))
	short := new(big.Int).SetInt64(12345).Bytes()
	for _, c := range []decryptCase{
		{"flipped", flipped, nil},
		{"flipped/session", flipped, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: 32}},
		{"too-long", append([]byte{0}, good...), nil},
		{"too-long/oaep", append([]byte{0}, good...), &rsa.OAEPOptions{Hash: crypto.SHA1}},
		{"modulus", nBytes, nil},
		{"modulus/session", nBytes, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: 32}},
		{"modulus+1/oaep", nPlus, &rsa.OAEPOptions{Hash: crypto.SHA1}},
		{"short", short, nil},
		{"short/session", short, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: 16}},
		{"session-too-long-for-key", good, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: size - 10}},
	} {
		cases = append(cases, c)
	}
	return cases
}

// fixedReader always yields the same bytes: the "random" session key of
// a wrong padding is then the same from both implementations.
type fixedReader byte

func (r fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestDecryptMatchesCryptoRSA(t *testing.T) {
	for _, bits := range []int{1024, 2048, 3072} {
		priv := testKeys()[bits]
		k := NewKey(priv)
		if bits >= minBits {
			wantNative(t, k)
		}
		for _, c := range decryptCases(t, priv) {
			t.Run(fmt.Sprintf("%d/%s", bits, c.name), func(t *testing.T) {
				want, wantErr := priv.Decrypt(fixedReader(0xa5), c.ct, c.opts)
				got, gotErr := k.Decrypt(fixedReader(0xa5), c.ct, c.opts)
				if !bytes.Equal(got, want) || (gotErr == nil) != (wantErr == nil) {
					t.Fatalf("got %x, %v; crypto/rsa %x, %v", got, gotErr, want, wantErr)
				}
				if wantErr != nil && errors.Is(wantErr, rsa.ErrDecryption) != errors.Is(gotErr, rsa.ErrDecryption) {
					t.Fatalf("error %v; crypto/rsa %v", gotErr, wantErr)
				}
			})
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	priv := testKeys()[2048]
	k := NewKey(priv)
	wantNative(t, k)
	d := sha256.Sum256([]byte("concurrent"))
	want, _ := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, d[:])
	ct, _ := rsa.EncryptPKCS1v15(rand.Reader, &priv.PublicKey, d[:])
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				sig, err := k.Sign(nil, d[:], crypto.SHA256)
				if err != nil || !bytes.Equal(sig, want) {
					t.Errorf("sign: %v", err)
				}
				pt, err := k.Decrypt(rand.Reader, ct, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: 32})
				if err != nil || !bytes.Equal(pt, d[:]) {
					t.Errorf("decrypt: %v", err)
				}
			}
		})
	}
	wg.Wait()
}

// fuzzKey is the fixed test-only key of FuzzDecrypt (generating keys in
// every fuzz worker took most of its time).
func fuzzKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz-rsa2048.TEST-ONLY.key"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("testdata key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// rawBlock is c^d mod n, the encoded block a ciphertext carries (for
// seeds).
func rawBlock(priv *rsa.PrivateKey, ct []byte) []byte {
	m := new(big.Int).Exp(new(big.Int).SetBytes(ct), priv.D, priv.N)
	return m.FillBytes(make([]byte, priv.Size()))
}

// rawEncrypt is em^e mod n (em reduced mod n), modulus-sized: the
// ciphertext whose decryption is the block em.
func rawEncrypt(pub *rsa.PublicKey, em []byte) []byte {
	m := new(big.Int).SetBytes(em)
	m.Mod(m, pub.N)
	c := new(big.Int).Exp(m, big.NewInt(int64(pub.E)), pub.N)
	return c.FillBytes(make([]byte, pub.Size()))
}

// FuzzDecrypt compares both implementations on arbitrary encoded blocks
// and options. The input is the block the private operation yields
// (0x00 0x02 PS 0x00 M for PKCS#1 v1.5, OAEP's masked seed and data
// block), encrypted with the public key before each run, so that the
// fuzzer steers the padding checks; with mode bit 2 it is the
// ciphertext itself (sizes, values over the modulus). The key is fixed
// (testdata, test-only).
func FuzzDecrypt(f *testing.F) {
	priv := fuzzKey(f)
	k := NewKey(priv)
	good, _ := rsa.EncryptPKCS1v15(rand.Reader, &priv.PublicKey, make([]byte, 32))
	oaep, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, make([]byte, 16), nil)
	f.Add(rawBlock(priv, good), uint8(0), uint8(32))
	f.Add(rawBlock(priv, good), uint8(1), uint8(32))
	f.Add(rawBlock(priv, good), uint8(1), uint8(16))
	f.Add(rawBlock(priv, oaep), uint8(2), uint8(0))
	f.Add(good, uint8(4), uint8(32))
	f.Add([]byte{1, 2, 3}, uint8(4), uint8(0))
	f.Add([]byte{0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 42}, uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, mode, keyLen uint8) {
		ct := in
		if mode&4 == 0 {
			if len(in) > priv.Size() {
				return
			}
			ct = rawEncrypt(&priv.PublicKey, in)
		}
		var opts crypto.DecrypterOpts
		switch mode % 3 {
		case 1:
			opts = &rsa.PKCS1v15DecryptOptions{SessionKeyLen: int(keyLen)}
		case 2:
			opts = &rsa.OAEPOptions{Hash: crypto.SHA256}
		}
		want, wantErr := priv.Decrypt(fixedReader(1), ct, opts)
		got, gotErr := k.Decrypt(fixedReader(1), ct, opts)
		if !bytes.Equal(got, want) || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("got %x, %v; crypto/rsa %x, %v", got, gotErr, want, wantErr)
		}
	})
}

// FuzzPKCS1v15Check compares the constant-time check of a PKCS#1 v1.5
// encryption block with a plain reading of RFC 8017 §7.2.2 (no RSA: fast).
func FuzzPKCS1v15Check(f *testing.F) {
	f.Add([]byte{0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 42})
	f.Add([]byte{0, 2, 1, 1, 1, 1, 1, 1, 1, 0, 42})
	f.Add([]byte{0, 2, 0})
	f.Add([]byte{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0})
	f.Fuzz(func(t *testing.T, em []byte) {
		if len(em) < 2 {
			return
		}
		valid, index := checkPKCS1v15Encryption(em)
		wantValid, wantIndex := 0, 0
		if em[0] == 0 && em[1] == 2 {
			if i := bytes.IndexByte(em[2:], 0); i >= 8 {
				wantValid, wantIndex = 1, 2+i+1
			}
		}
		if valid != wantValid || index != wantIndex {
			t.Fatalf("% x: valid %d index %d, want %d %d", em, valid, index, wantValid, wantIndex)
		}
	})
}

func BenchmarkSign2048(b *testing.B) {
	priv := testKeys()[2048]
	d := sha256.Sum256([]byte("x"))
	for _, impl := range []struct {
		name string
		s    crypto.Signer
	}{{"crypto-rsa", priv}, {"key", NewKey(priv)}} {
		b.Run(impl.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := impl.s.Sign(nil, d[:], crypto.SHA256); err != nil {
						b.Error(err)
					}
				}
			})
		})
	}
}
