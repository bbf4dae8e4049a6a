package main

import (
	"context"
	"errors"
	"fmt"

	auditpg "github.com/dockside-edi/dockside/audit/postgres"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	inboxpg "github.com/dockside-edi/dockside/inbox/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore"
)

// schemaSets are the migrations of every store that has a PostgreSQL
// implementation, in the order they are applied.
func schemaSets() []pgstore.Set {
	return []pgstore.Set{auditpg.Migrations, inboxpg.Migrations, clusterpg.Migrations}
}

func migrateCommand() *command {
	return &command{name: "migrate", summary: "create or upgrade the PostgreSQL schema", run: runMigrate}
}

func runMigrate(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "migrate [--storage URL] [--config FILE] [--check]",
		"Creates or upgrades the schema of the PostgreSQL database named by --storage, else by the\n"+
			"configuration's storage setting (or DOCKSIDE_STORAGE). Each migration runs in its own\n"+
			"transaction under a lock: nodes starting together may all run it. With --check it changes\n"+
			"nothing and exits 1 when the schema is not current.")
	gf := addGatewayFlags(fs)
	storage := fs.String("storage", "", "PostgreSQL `URL` (postgres://…; default: the configuration's storage)")
	check := fs.Bool("check", false, "only report whether the schema is current")
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.Stderr, "dockside migrate: unexpected argument %q\n", pos[0])
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
	return exitOK
}
