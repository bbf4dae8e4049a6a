package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// CopyReport is what copying one store from its bbolt files into
// PostgreSQL did (`dockside migrate --from`). A store's PostgreSQL
// package offers CopyFrom(ctx, bboltStore, pgStore) returning one: it
// copies each record PostgreSQL lacks under its own id, keeps those it
// has (a run interrupted before, so a second run continues and changes
// nothing once complete), then verifies every record of the source
// against PostgreSQL.
type CopyReport struct {
	Store    string // the store's name, as its migration Set's
	Source   int    // records in the bbolt store
	Copied   int    // written by this run
	Present  int    // already in PostgreSQL
	Verified int    // source records found equal in PostgreSQL
}

// String is the report as `dockside migrate --from` prints it.
func (r CopyReport) String() string {
	return fmt.Sprintf("%s: %d records, %d copied now, %d already present, %d verified equal", r.Store, r.Source, r.Copied, r.Present, r.Verified)
}

// Mismatch returns an error wrapping ErrCopyMismatch for record what
// (e.g. "message 12") of store.
func Mismatch(store, what, why string) error {
	return fmt.Errorf("%w: %s %s: %s", ErrCopyMismatch, store, what, why)
}

// AdvanceIdentity sets the identity sequence of table's id column past
// the largest id in the table, after rows were inserted with their own
// ids (OVERRIDING SYSTEM VALUE): new rows then get new ids.
func AdvanceIdentity(ctx context.Context, pool *pgxpool.Pool, table string) error {
	_, err := pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), GREATEST((SELECT max(id) FROM `+table+`), 1))`, table)
	if err != nil {
		return fmt.Errorf("pgstore: advancing the ids of %s: %w", table, err)
	}
	return nil
}
