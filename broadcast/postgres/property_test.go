package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/broadcast/broadcasttest"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	ledgerpg "github.com/dockside-edi/dockside/ledger/postgres"
	"github.com/dockside-edi/dockside/outbox"
	outboxpg "github.com/dockside-edi/dockside/outbox/postgres"
)

// propertyLease is the outbox's claim lease in the property: what a
// closed outbox was sending is sent again after it.
const propertyLease = 1500 * time.Millisecond

// TestPropertyChannelSettlesOnThePolicy runs broadcasttest.Property on
// PostgreSQL: the ledger, outbox and broadcast store on one migrated
// database; a restart closes and opens the outbox and broadcast store,
// and the messages the closed outbox was sending wait for their lease.
func TestPropertyChannelSettlesOnThePolicy(t *testing.T) {
	broadcasttest.Property(t, func(t *testing.T) broadcasttest.Backends {
		ctx := context.Background()
		pool := pgstoretest.Migrated(t, &pg, ledgerpg.Migrations, outboxpg.Migrations, Migrations)
		l, err := ledgerpg.Open(ctx, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return broadcasttest.Backends{Ledger: l, Lease: propertyLease, Open: func(t *testing.T, o outbox.Options) (outbox.Storage, broadcast.Store) {
			out, err := outboxpg.Open(ctx, pool, &outboxpg.Options{Options: o, Lease: propertyLease})
			if err != nil {
				t.Fatal(err)
			}
			st, err := Open(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			return out, st
		}}
	})
}
