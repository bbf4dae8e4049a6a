//go:build !cgo || !unix

package libcrypto

import (
	"crypto/rsa"
	"fmt"
)

// library is never there without cgo.
func library() (string, error) {
	return "", fmt.Errorf("%w: built without cgo", ErrUnavailable)
}

// nativeKey is never made without cgo.
type nativeKey struct{}

func newNativeKey(*rsa.PrivateKey) (*nativeKey, error) {
	_, err := library()
	return nil, err
}

func (*nativeKey) privateOp(out, in []byte) error { panic("libcrypto: no native key without cgo") }

func (*nativeKey) free() {}
