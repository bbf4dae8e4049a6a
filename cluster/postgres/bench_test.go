package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/jackc/pgx/v5"
)

// BenchmarkRenew is one renewal of a held lease (what the leader does
// every third of the TTL).
func BenchmarkRenew(b *testing.B) {
	ctx := context.Background()
	l := newLease(b, pgstoretest.Migrated(b, &pg, Migrations), "node-a", time.Minute)
	for b.Loop() {
		if _, err := l.Acquire(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite is a one-row leader-only write, in its own transaction,
// without and with the fence: the fence's cost is the difference.
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(b, &pg, Migrations)
	if _, err := pool.Exec(ctx, `CREATE TABLE leader_work (what text, epoch bigint)`); err != nil {
		b.Fatal(err)
	}
	l := newLease(b, pool, "node-a", time.Hour)
	term, err := l.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, fenced := range []bool{false, true} {
		name := "unfenced"
		if fenced {
			name = "fenced"
		}
		b.Run(name, func(b *testing.B) {
			wctx := cluster.WithTerm(ctx, term)
			for b.Loop() {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					if fenced {
						if err := FenceContext(wctx, tx); err != nil {
							return err
						}
					}
					_, err := tx.Exec(ctx, `INSERT INTO leader_work VALUES ('x', $1)`, term.Epoch)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
