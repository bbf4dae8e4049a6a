// Package libcrypto runs RSA private-key operations (PKCS#1 v1.5
// signatures, PKCS#1 v1.5 and OAEP decryption) with the system's OpenSSL
// libcrypto when it is there, because it is about twice as fast as
// crypto/rsa on amd64, and with crypto/rsa otherwise.
//
// [NewKey] wraps an *rsa.PrivateKey in a [Key], a crypto.Signer and
// crypto.Decrypter that gives the same results as the *rsa.PrivateKey:
// PKCS#1 v1.5 signatures are deterministic and byte-identical, and
// decryptions return the same plaintexts and the same errors
// (rsa.ErrDecryption), including the random session key of
// rsa.PKCS1v15DecryptOptions.SessionKeyLen when the padding is wrong.
//
// Only the modular exponentiation, m = c^d mod n, runs in libcrypto (with
// its blinding and CRT fault check); the padding is built and checked
// here in Go, in constant time, so the behaviour does not depend on the
// OpenSSL version. Anything else (PSS, keys under 2048 bits or with more
// than two primes, hashes other than SHA-1, SHA-224, SHA-256, SHA-384 and
// SHA-512, FIPS 140-only mode) goes to crypto/rsa.
//
// The library is loaded at run time with dlopen("libcrypto.so.3"): the
// build needs cgo and a C compiler but no OpenSSL headers or link-time
// library. Without cgo (CGO_ENABLED=0), or when the library cannot be
// loaded or fails the self-test of a key, crypto/rsa does everything and
// [Key.Implementation] says so. The library is loaded once per process,
// on the first [NewKey].
package libcrypto
