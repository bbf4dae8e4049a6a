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
