package authkeys

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrKey: the line holds no usable public key, or more than one.
	ErrKey = errors.New("not an authorized_keys line")
	// ErrUnsupported: an option the server does not enforce, or an
	// unknown option.
	ErrUnsupported = errors.New("option not supported")
	// ErrBadOption: a supported option with a malformed value (pattern
	// list, time), or without the value it needs.
	ErrBadOption = errors.New("malformed option")
	// ErrFromRefused: the client's address is not allowed by from=.
	ErrFromRefused = errors.New("address not allowed by from=")
	// ErrExpired: the key is past its expiry-time.
	ErrExpired = errors.New("key expired")
)

// OptionError is a problem with one option of a line: its 1-based
// position among the line's options, its name as written and why. It
// wraps ErrUnsupported or ErrBadOption.
type OptionError struct {
	Index  int    // 1-based position among the line's options
	Option string // the option's name as written
	Reason string // what is wrong, and what to do
	Err    error  // ErrUnsupported or ErrBadOption
}

// Error returns `option N "name": reason`.
func (e *OptionError) Error() string {
	return fmt.Sprintf("option %d %q: %s", e.Index, e.Option, e.Reason)
}

// Unwrap returns the sentinel.
func (e *OptionError) Unwrap() error { return e.Err }
