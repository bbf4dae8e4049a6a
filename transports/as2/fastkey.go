package as2

import (
	"crypto/rsa"

	"github.com/dockside-edi/dockside/internal/libcrypto"
)

// withFastKey returns id with an *rsa.PrivateKey wrapped so that its
// private operations (decrypting content keys, signing MDNs and
// messages) run in libcrypto when it can be loaded; results are the same
// as crypto/rsa's. Other keys are left alone.
func withFastKey(id Identity) Identity {
	if k, ok := id.Key.(*rsa.PrivateKey); ok {
		id.Key = libcrypto.NewKey(k)
	}
	return id
}

// keyImplementation names what makes the private operations of key.
func keyImplementation(key any) string {
	if k, ok := key.(*libcrypto.Key); ok {
		return k.Implementation()
	}
	return "crypto/rsa or the key's own (not wrapped)"
}
