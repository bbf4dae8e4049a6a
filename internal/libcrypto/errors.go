package libcrypto

import "errors"

// ErrUnavailable means libcrypto cannot be used: no cgo, the library is
// missing or too old, or a key failed its self-test.
var ErrUnavailable = errors.New("libcrypto: unavailable")
