//go:build cgo && unix

package libcrypto

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

// The few libcrypto 3 entry points used, declared here so that the build
// needs no OpenSSL headers; keys and contexts are opaque pointers.
static struct {
	void *(*d2i_PrivateKey)(int, void **, const unsigned char **, long);
	void (*EVP_PKEY_free)(void *);
	void *(*EVP_PKEY_CTX_new)(void *, void *);
	void (*EVP_PKEY_CTX_free)(void *);
	int (*EVP_PKEY_decrypt_init)(void *);
	int (*EVP_PKEY_CTX_set_rsa_padding)(void *, int);
	int (*EVP_PKEY_decrypt)(void *, unsigned char *, size_t *, const unsigned char *, size_t);
	void (*ERR_clear_error)(void);
	unsigned long (*OpenSSL_version_num)(void);
	const char *(*OpenSSL_version)(int);
} dk;

enum {
	dk_EVP_PKEY_RSA = 6,      // NID_rsaEncryption
	dk_RSA_NO_PADDING = 3,
	dk_OPENSSL_VERSION = 0,
};

// dk_load opens the library and resolves every symbol. It returns NULL,
// or what failed.
static const char *dk_load(const char *name) {
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		return e != NULL ? e : "dlopen failed";
	}
#define DK_SYM(f) if ((*(void **)(&dk.f) = dlsym(h, #f)) == NULL) return #f " not found";
	DK_SYM(d2i_PrivateKey)
	DK_SYM(EVP_PKEY_free)
	DK_SYM(EVP_PKEY_CTX_new)
	DK_SYM(EVP_PKEY_CTX_free)
	DK_SYM(EVP_PKEY_decrypt_init)
	DK_SYM(EVP_PKEY_CTX_set_rsa_padding)
	DK_SYM(EVP_PKEY_decrypt)
	DK_SYM(ERR_clear_error)
	DK_SYM(OpenSSL_version_num)
	DK_SYM(OpenSSL_version)
#undef DK_SYM
	if (dk.OpenSSL_version_num() < 0x30000000UL) {
		return "libcrypto older than 3.0";
	}
	return NULL;
}

static const char *dk_version(void) { return dk.OpenSSL_version(dk_OPENSSL_VERSION); }

// dk_parse reads a PKCS#1 RSAPrivateKey; NULL on error.
static void *dk_parse(const unsigned char *der, long len) {
	const unsigned char *p = der;
	void *k = dk.d2i_PrivateKey(dk_EVP_PKEY_RSA, NULL, &p, len);
	if (k == NULL) {
		dk.ERR_clear_error();
	}
	return k;
}

static void dk_free_key(void *k) { dk.EVP_PKEY_free(k); }
static void dk_free_ctx(void *c) { dk.EVP_PKEY_CTX_free(c); }

// dk_new_ctx makes a context for the raw private operation (RSA
// "decryption" without padding) with key k; NULL on error.
static void *dk_new_ctx(void *k) {
	void *c = dk.EVP_PKEY_CTX_new(k, NULL);
	if (c == NULL) {
		dk.ERR_clear_error();
		return NULL;
	}
	if (dk.EVP_PKEY_decrypt_init(c) != 1 || dk.EVP_PKEY_CTX_set_rsa_padding(c, dk_RSA_NO_PADDING) != 1) {
		dk.EVP_PKEY_CTX_free(c);
		dk.ERR_clear_error();
		return NULL;
	}
	return c;
}

// dk_private computes out = in^d mod n; in and out are n bytes. It
// returns 1 on success. The error queue is cleared on the same thread.
static int dk_private(void *c, unsigned char *out, size_t n, const unsigned char *in) {
	size_t outlen = n;
	if (dk.EVP_PKEY_decrypt(c, out, &outlen, in, n) != 1 || outlen != n) {
		dk.ERR_clear_error();
		return 0;
	}
	return 1;
}
*/
import "C"

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// libraryName is the shared library loaded: OpenSSL 3's libcrypto.
const libraryName = "libcrypto.so.3"

// library loads libcrypto once per process; the C function table it
// fills is not changed afterwards.
var library = sync.OnceValues(func() (string, error) {
	name := C.CString(libraryName)
	defer C.free(unsafe.Pointer(name))
	if e := C.dk_load(name); e != nil {
		return "", fmt.Errorf("%w: %s", ErrUnavailable, C.GoString(e))
	}
	return C.GoString(C.dk_version()) + " (" + libraryName + ")", nil
})

// nativeKey is the key in libcrypto and a pool of contexts set up for the
// raw private operation (a context serves one operation at a time).
type nativeKey struct {
	pkey unsafe.Pointer
	size int
	ctxs chan unsafe.Pointer
}

var errPrivateOp = errors.New("libcrypto: private operation failed")

func newNativeKey(priv *rsa.PrivateKey) (*nativeKey, error) {
	if _, err := library(); err != nil {
		return nil, err
	}
	der := x509.MarshalPKCS1PrivateKey(priv)
	defer clear(der)
	pkey := C.dk_parse((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)))
	if pkey == nil {
		return nil, fmt.Errorf("%w: libcrypto did not take the key", ErrUnavailable)
	}
	return &nativeKey{pkey: pkey, size: priv.Size(), ctxs: make(chan unsafe.Pointer, 2*runtime.GOMAXPROCS(0))}, nil
}

// privateOp sets out = in^d mod n; both are the modulus size.
func (n *nativeKey) privateOp(out, in []byte) error {
	if len(in) != n.size || len(out) != n.size {
		return errPrivateOp
	}
	var c unsafe.Pointer
	select {
	case c = <-n.ctxs:
	default:
		if c = C.dk_new_ctx(n.pkey); c == nil {
			return errPrivateOp
		}
	}
	ok := C.dk_private(c, (*C.uchar)(unsafe.Pointer(&out[0])), C.size_t(n.size), (*C.uchar)(unsafe.Pointer(&in[0])))
	select {
	case n.ctxs <- c:
	default:
		C.dk_free_ctx(c)
	}
	if ok != 1 {
		return errPrivateOp
	}
	return nil
}

// free releases the pooled contexts and the key (contexts in use hold
// their own reference to it).
func (n *nativeKey) free() {
	for {
		select {
		case c := <-n.ctxs:
			C.dk_free_ctx(c)
		default:
			C.dk_free_key(n.pkey)
			return
		}
	}
}
