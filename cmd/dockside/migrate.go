package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/transports/as2"
	"github.com/dockside-edi/dockside/transports/webhook"
	"github.com/jackc/pgx/v5/pgxpool"
	bolterrors "go.etcd.io/bbolt/errors"

	auditpg "github.com/dockside-edi/dockside/audit/postgres"
	broadcastpg "github.com/dockside-edi/dockside/broadcast/postgres"
	divergencepg "github.com/dockside-edi/dockside/divergence/postgres"
	streampg "github.com/dockside-edi/dockside/events/stream/postgres"
	inboxpg "github.com/dockside-edi/dockside/inbox/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore"
	ledgerpg "github.com/dockside-edi/dockside/ledger/postgres"
	orderspg "github.com/dockside-edi/dockside/orders/postgres"
	outboxpg "github.com/dockside-edi/dockside/outbox/postgres"
	reservationspg "github.com/dockside-edi/dockside/reservations/postgres"
	as2pg "github.com/dockside-edi/dockside/transports/as2/postgres"
	"github.com/dockside-edi/dockside/transports/sftp"
	sftppg "github.com/dockside-edi/dockside/transports/sftp/postgres"
	webhookpg "github.com/dockside-edi/dockside/transports/webhook/postgres"
)

// schemaSets are the migrations of every store that has a PostgreSQL
// implementation, in the order they are applied (gateway.Migrations).
func schemaSets() []pgstore.Set { return gateway.Migrations() }

func migrateCommand() *command {
	return &command{name: "migrate", summary: "create or upgrade the PostgreSQL schema", run: runMigrate}
}

func runMigrate(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "migrate [--storage URL] [--config FILE] [--check] [--from DATA_DIR --to URL]",
		"Creates or upgrades the schema of the PostgreSQL database named by --storage, else by the\n"+
			"configuration's storage setting (or DOCKSIDE_STORAGE). Each migration runs in its own\n"+
			"transaction under a lock: nodes starting together may all run it. With --check it changes\n"+
			"nothing and exits 1 when the schema is not current.\n"+
			"With --from it then copies the bbolt gateway in DATA_DIR (stopped) into the database, for\n"+
			"each store that has a PostgreSQL implementation, and verifies every record; a second run\n"+
			"continues an interrupted one and copies nothing once all is there. It exits 1 when a\n"+
			"copied record differs from its source, naming it, and names the files it leaves behind\n"+
			"that hold data (docs/storage.md lists the data folder's files and what it does with each).")
	gf := addGatewayFlags(fs)
	storage := fs.String("storage", "", "PostgreSQL `URL` (postgres://…; default: the configuration's storage)")
	check := fs.Bool("check", false, "only report whether the schema is current")
	from := fs.String("from", "", "copy the bbolt data folder `DATA_DIR` of a stopped gateway into the database")
	fs.StringVar(storage, "to", "", "the PostgreSQL `URL` to copy into (as --storage)")
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.Stderr, "dockside migrate: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	if *from != "" && *check {
		fmt.Fprintln(e.Stderr, "dockside migrate: --from copies; --check changes nothing: give one of them")
		return exitUsage
	}
	url := *storage
	if url == "" {
		cfg, err := gf.load(e)
		if err != nil {
			return failed(e, err)
		}
		url = cfg.Storage
	}
	if url == "" {
		return failed(e, errors.New("no PostgreSQL storage configured (--storage, storage: or DOCKSIDE_STORAGE); bbolt needs no migration"))
	}
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		return failed(e, err)
	}
	defer pool.Close()
	where := pgstore.Redact(url)
	if *check {
		current := true
		for _, set := range schemaSets() {
			if err := pgstore.Require(ctx, pool, set); err != nil {
				fmt.Fprintf(e.Stdout, "%s: %v\n", set.Store, err)
				current = false
				continue
			}
			fmt.Fprintf(e.Stdout, "%s: current (version %d)\n", set.Store, set.Latest())
		}
		if !current {
			return exitFail
		}
		return exitOK
	}
	applied, err := pgstore.Migrate(ctx, pool, schemaSets()...)
	for _, a := range applied {
		fmt.Fprintf(e.Stdout, "applied %s %s\n", a.Store, a.Name)
	}
	if err != nil {
		return failed(e, fmt.Errorf("migrating %s: %w", where, err))
	}
	fmt.Fprintf(e.Stdout, "%s: schema current (%d migrations applied now)\n", where, len(applied))
	if *from != "" {
		return copyStores(ctx, e, *from, pool)
	}
	return exitOK
}

// storeCopy copies one store of a bbolt data folder into PostgreSQL.
type storeCopy struct {
	store string
	run   func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error)
}

// storeCopies are the stores `migrate --from` copies, in order. A store
// that gets a PostgreSQL implementation adds its entry: open its bbolt
// files in the data folder and its PostgreSQL store, and call its
// package's CopyFrom (see pgstore.CopyReport).
func storeCopies() []storeCopy {
	return []storeCopy{
		{"ledger", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			src, err := ledger.Open(filepath.Join(data, "ledger.db"), nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := ledgerpg.Open(ctx, pool, &ledgerpg.Options{ForCopy: true})
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer dst.Close()
			return ledgerpg.CopyFrom(ctx, src, dst)
		}},
		{"audit", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			src, err := audit.Open(filepath.Join(data, "audit.db"), nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := auditpg.Open(ctx, pool, nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return auditpg.CopyFrom(ctx, src, dst)
		}},
		{"inbox", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			src, err := inbox.Open(filepath.Join(data, "inbox"), nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := inboxpg.Open(ctx, pool, nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer dst.Close()
			return inboxpg.CopyFrom(ctx, src, dst)
		}},
		{"outbox", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			if absent(data, filepath.Join("outbox", "outbox.db")) {
				return pgstore.CopyReport{Store: "outbox"}, nil
			}
			src, err := outbox.Open(filepath.Join(data, "outbox"), nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := outboxpg.Open(ctx, pool, nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer dst.Close()
			return outboxpg.CopyFrom(ctx, src, dst)
		}},
		{"broadcast", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			if absent(data, "broadcast.db") {
				return pgstore.CopyReport{Store: "broadcast"}, nil
			}
			src, err := broadcast.OpenStore(data)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := broadcastpg.Open(ctx, pool)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return broadcastpg.CopyFrom(ctx, src, dst)
		}},
		{"orders", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			if absent(data, "orders.db") {
				return pgstore.CopyReport{Store: "orders"}, nil
			}
			src, err := orders.OpenBoltReadOnly(filepath.Join(data, "orders.db"))
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := orderspg.Open(ctx, pool)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return orderspg.CopyFrom(ctx, src, dst)
		}},
		{"divergence", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			if absent(data, "divergence.db") {
				return pgstore.CopyReport{Store: "divergence"}, nil
			}
			src, err := divergence.OpenStore(data)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := divergencepg.Open(ctx, pool)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return divergencepg.CopyFrom(ctx, src, dst)
		}},
		{"as2", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			if absent(data, filepath.Join("as2", "as2.db")) {
				return pgstore.CopyReport{Store: "as2"}, nil
			}
			src, err := as2.OpenStore(filepath.Join(data, "as2"))
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := as2pg.Open(ctx, pool)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return as2pg.CopyFrom(ctx, src, dst)
		}},
		{"reservations", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			if absent(data, "reservations.db") {
				return pgstore.CopyReport{Store: "reservations"}, nil // never served a reservation
			}
			src, err := reservations.OpenBolt(data)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			defer src.Close()
			dst, err := reservationspg.Open(ctx, pool)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return reservationspg.CopyFrom(ctx, src, dst)
		}},
		{"sftp_out", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			// The files waiting in the partners' out/ under the default
			// SFTP root (a root set elsewhere by sftp.root is not copied).
			dst, err := sftppg.Open(ctx, pool, nil)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return sftppg.CopyFrom(ctx, sftp.NewDiskOut(filepath.Join(data, "sftp")), dst)
		}},
		{"stream", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			src, err := sourceCursors(ctx, data)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			dst, err := streampg.Open(ctx, pool, streampg.Options{}) // unfenced: no leader runs while copying
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return streampg.CopyFrom(ctx, src, dst)
		}},
		{"webhook", func(ctx context.Context, data string, pool *pgxpool.Pool) (pgstore.CopyReport, error) {
			// No file: none disabled, and PostgreSQL is verified to list none.
			src, err := webhook.OpenEndpoints(filepath.Join(data, "webhook-endpoints.json"))
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			dst, err := webhookpg.Open(ctx, pool)
			if err != nil {
				return pgstore.CopyReport{}, err
			}
			return webhookpg.CopyFrom(ctx, src, dst)
		}},
	}
}

// cursorMap is a set of change-stream cursors (streampg.CursorSource).
type cursorMap map[string]uint64

// Cursors implements streampg.CursorSource.
func (m cursorMap) Cursors(context.Context) (map[string]uint64, error) { return m, nil }

// sourceCursors reads the change stream's cursors of the data folder:
// change-cursors.db, and the webhook subscribers' cursors of an older
// webhook-cursors.db that serve has not moved yet, under the name and
// with the precedence serve would move them with (gateway's
// migrateWebhookCursors: "webhook/<name>", a cursor already there wins).
// A file that is absent is not created.
func sourceCursors(ctx context.Context, data string) (cursorMap, error) {
	all := cursorMap{}
	for _, f := range []struct{ file, prefix string }{{"change-cursors.db", ""}, {"webhook-cursors.db", "webhook/"}} {
		if absent(data, f.file) {
			continue
		}
		st, err := stream.OpenBoltCursors(filepath.Join(data, f.file))
		if err != nil {
			return nil, err
		}
		cursors, err := st.Cursors(ctx)
		st.Close()
		if err != nil {
			return nil, err
		}
		for name, seq := range cursors {
			if _, ok := all[f.prefix+name]; !ok {
				all[f.prefix+name] = seq
			}
		}
	}
	return all, nil
}

// absent reports whether the data folder lacks file: a store the
// gateway never opened, with nothing to copy.
func absent(data, file string) bool {
	_, err := os.Stat(filepath.Join(data, file))
	return errors.Is(err, os.ErrNotExist)
}

// copyStores copies the bbolt gateway in data into pool, store by store.
func copyStores(ctx context.Context, e *env, data string, pool *pgxpool.Pool) int {
	if _, err := os.Stat(filepath.Join(data, "ledger.db")); err != nil {
		return failed(e, fmt.Errorf("--from %s: not the data folder of a Dockside gateway (no ledger.db)", data))
	}
	for _, c := range storeCopies() {
		r, err := c.run(ctx, data, pool)
		if errors.Is(err, bolterrors.ErrTimeout) {
			err = fmt.Errorf("%w (is a gateway still serving on %s? stop it first)", err, data)
		}
		if err != nil {
			fmt.Fprintf(e.Stdout, "%s: copied %d, already present %d of %d before the error\n", c.store, r.Copied, r.Present, r.Source)
			code := failed(e, fmt.Errorf("copying %s from %s: %w", c.store, data, err))
			if errors.Is(err, pgstore.ErrCopyMismatch) {
				code = exitFail // the copy ran and found a difference
			}
			return code
		}
		fmt.Fprintln(e.Stdout, r)
	}
	fmt.Fprintf(e.Stdout, "copied and verified: %d stores\n", len(storeCopies()))
	left, err := leftBehind(data)
	if err != nil {
		return failed(e, fmt.Errorf("--from %s: %w", data, err))
	}
	for _, f := range left {
		if d, ok := entryFor(dataFolder(), f); ok {
			fmt.Fprintf(e.Stdout, "not copied: %s: %s\n", f, d.why)
		}
	}
	return exitOK
}
