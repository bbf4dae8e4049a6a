package broadcast_test

import (
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/broadcast/broadcasttest"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
)

// TestPropertyChannelSettlesOnThePolicy runs broadcasttest.Property on
// bbolt: the ledger, outbox and broadcast store in one folder.
func TestPropertyChannelSettlesOnThePolicy(t *testing.T) {
	broadcasttest.Property(t, func(t *testing.T) broadcasttest.Backends {
		dir := t.TempDir()
		l, err := ledger.Open(filepath.Join(dir, "ledger.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return broadcasttest.Backends{Ledger: l, Open: func(t *testing.T, o outbox.Options) (outbox.Storage, broadcast.Store) {
			out, err := outbox.Open(dir, &o)
			if err != nil {
				t.Fatal(err)
			}
			st, err := broadcast.OpenStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			return out, st
		}}
	})
}
