package divergence_test

import (
	"testing"

	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/divergence/divergencetest"
)

// TestBoltStoreContract runs the divergence.Store contract suite on
// bbolt.
func TestBoltStoreContract(t *testing.T) {
	divergencetest.Run(t, func(t *testing.T) divergence.Store {
		s, err := divergence.OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
