package main

import (
	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/specs"
)

// newSetValidator returns the validator for transaction set content: the
// embedded specs (every set of specs.Load).
func newSetValidator() (x12.SetValidator, error) {
	c, err := specs.Load()
	if err != nil {
		return nil, err
	}
	return c, nil
}
