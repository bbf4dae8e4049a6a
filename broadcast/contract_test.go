package broadcast_test

import (
	"testing"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/broadcast/broadcasttest"
)

func TestBoltStoreContract(t *testing.T) {
	broadcasttest.RunStoreContract(t, func(t *testing.T) broadcast.Store {
		s, err := broadcast.OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// BenchmarkStoreFullAdvice100k is broadcasttest.BenchFullAdvice on
// bbolt, 100,000 figures.
func BenchmarkStoreFullAdvice100k(b *testing.B) {
	broadcasttest.BenchFullAdvice(b, func(b *testing.B) broadcast.Store {
		s, err := broadcast.OpenStore(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		return s
	}, 100_000)
}
