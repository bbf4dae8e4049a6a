package main

import "github.com/dockside-edi/dockside/edi/x12"

// newSetValidator returns the validator for transaction set content.
func newSetValidator() (x12.SetValidator, error) {
	return x12.EnvelopeOnly, nil
}
