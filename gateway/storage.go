package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/audit"
	auditpg "github.com/dockside-edi/dockside/audit/postgres"
	"github.com/dockside-edi/dockside/broadcast"
	broadcastpg "github.com/dockside-edi/dockside/broadcast/postgres"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/divergence"
	divergencepg "github.com/dockside-edi/dockside/divergence/postgres"
	streampg "github.com/dockside-edi/dockside/events/stream/postgres"
	"github.com/dockside-edi/dockside/inbox"
	inboxpg "github.com/dockside-edi/dockside/inbox/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/ledger"
	ledgerpg "github.com/dockside-edi/dockside/ledger/postgres"
	"github.com/dockside-edi/dockside/orders"
	orderspg "github.com/dockside-edi/dockside/orders/postgres"
	"github.com/dockside-edi/dockside/outbox"
	outboxpg "github.com/dockside-edi/dockside/outbox/postgres"
	reservationspg "github.com/dockside-edi/dockside/reservations/postgres"
	"github.com/dockside-edi/dockside/transports/as2"
	as2pg "github.com/dockside-edi/dockside/transports/as2/postgres"
	"github.com/dockside-edi/dockside/transports/sftp"
	sftppg "github.com/dockside-edi/dockside/transports/sftp/postgres"
	webhookpg "github.com/dockside-edi/dockside/transports/webhook/postgres"
	webpg "github.com/dockside-edi/dockside/web/postgres"
)

// Migrations are the schema migrations of every store the gateway keeps
// on PostgreSQL, in the order `dockside migrate` applies them.
func Migrations() []pgstore.Set {
	return []pgstore.Set{auditpg.Migrations, inboxpg.Migrations, clusterpg.Migrations,
		outboxpg.Migrations, broadcastpg.Migrations, orderspg.Migrations, as2pg.Migrations, divergencepg.Migrations,
		reservationspg.Migrations, ledgerpg.Migrations, sftppg.Migrations, streampg.Migrations, webhookpg.Migrations,
		webpg.Migrations}
}

// stores are what the gateway keeps durably, behind the owning packages'
// storage interfaces: bbolt files in the data folder, or the PostgreSQL
// database of Config.Storage that several nodes share. openStores picks
// one of the two for all of them; nothing is split between the two.
type stores struct {
	ledger     ledger.Store
	inbox      inbox.Storage
	outbox     outbox.Storage
	broadcast  broadcast.Store
	audit      audit.Store
	divergence divergence.Store
	orders     orders.Store
}

// close closes the stores that were opened.
func (s *stores) close() {
	for _, c := range []interface{ Close() error }{s.orders, s.divergence, s.audit, s.broadcast, s.outbox, s.inbox, s.ledger} {
		if c != nil {
			c.Close()
		}
	}
}

// openStores opens the gateway's stores from the configuration: on the
// pool when the gateway runs on PostgreSQL (g.pool, opened by
// openCluster), else in the data folder. On error the stores opened so
// far are closed. Every store is assigned to its interface only after
// its Open succeeded: a failed Open's typed nil never becomes a non-nil
// interface.
func (g *Gateway) openStores(ctx context.Context) (*stores, error) {
	s := &stores{}
	var err error
	if g.pool != nil {
		err = g.openPostgresStores(ctx, s)
	} else {
		err = g.openBoltStores(s)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (g *Gateway) openBoltStores(s *stores) error {
	cfg := g.Config
	l, err := ledger.Open(filepath.Join(cfg.Data, "ledger.db"), nil)
	if err != nil {
		return err
	}
	s.ledger = l
	o, err := orders.OpenBolt(filepath.Join(cfg.Data, "orders.db"))
	if err != nil {
		return err
	}
	s.orders = o
	in, err := inbox.Open(filepath.Join(cfg.Data, "inbox"), &inbox.Options{MaxSize: cfg.MaxFileSize, Now: g.now})
	if err != nil {
		return err
	}
	s.inbox = in
	if err := os.MkdirAll(filepath.Join(cfg.Data, "outbox"), 0o750); err != nil {
		return err
	}
	out, err := outbox.Open(filepath.Join(cfg.Data, "outbox"), g.outboxOptions())
	if err != nil {
		return err
	}
	s.outbox = out
	b, err := broadcast.OpenStore(cfg.Data)
	if err != nil {
		return err
	}
	s.broadcast = b
	a, err := audit.Open(filepath.Join(cfg.Data, "audit.db"), g.now)
	if err != nil {
		return err
	}
	s.audit = a
	d, err := divergence.OpenStore(cfg.Data)
	if err != nil {
		return err
	}
	s.divergence = d
	return nil
}

func (g *Gateway) openPostgresStores(ctx context.Context, s *stores) error {
	cfg, pool := g.Config, g.pool
	l, err := ledgerpg.Open(ctx, pool, &ledgerpg.Options{Now: g.now})
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	s.ledger = l
	o, err := orderspg.Open(ctx, pool)
	if err != nil {
		return fmt.Errorf("storage: orders: %w", err)
	}
	s.orders = o
	in, err := inboxpg.Open(ctx, pool, &inboxpg.Options{MaxSize: cfg.MaxFileSize, Now: g.now, Lease: cfg.ClaimLease, Node: g.node})
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	s.inbox = in
	out, err := outboxpg.Open(ctx, pool, &outboxpg.Options{Options: *g.outboxOptions(), Node: g.node, Log: g.log, Lease: cfg.ClaimLease})
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	s.outbox = out
	b, err := broadcastpg.Open(ctx, pool)
	if err != nil {
		return fmt.Errorf("storage: broadcast: %w", err)
	}
	s.broadcast = b
	a, err := auditpg.Open(ctx, pool, g.now)
	if err != nil {
		return fmt.Errorf("storage: audit: %w", err)
	}
	s.audit = a
	d, err := divergencepg.Open(ctx, pool)
	if err != nil {
		return fmt.Errorf("storage: divergence: %w", err)
	}
	s.divergence = d
	return nil
}

func (g *Gateway) outboxOptions() *outbox.Options {
	c := g.Config.Outbox
	return &outbox.Options{Now: g.now, BaseDelay: c.RetryDelay, MaxDelay: c.MaxRetryDelay, MaxAttempts: c.MaxAttempts}
}

// openAS2Records opens the AS2 Message-ID and MDN records: in dir on
// bbolt, in the shared database on PostgreSQL.
func (g *Gateway) openAS2Records(ctx context.Context, dir string) (as2.Records, error) {
	if g.pool != nil {
		st, err := as2pg.Open(ctx, g.pool)
		if err != nil {
			return nil, fmt.Errorf("storage: as2: %w", err)
		}
		return st, nil
	}
	st, err := as2.OpenStore(dir)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// openOutFolder opens the files partners pick up over SFTP: nil on
// bbolt (the SFTP server keeps them in its root on disk), the shared
// database on PostgreSQL, so that any node serves what any node sent.
func (g *Gateway) openOutFolder(ctx context.Context) (sftp.OutFolder, error) {
	if g.pool == nil {
		return nil, nil
	}
	st, err := sftppg.Open(ctx, g.pool, nil)
	if err != nil {
		return nil, fmt.Errorf("storage: sftp out/: %w", err)
	}
	return st, nil
}

// OpenReservations opens the reservation records where the gateway keeps
// its state (the data folder, or the shared database) and serves
// reservations on g's ledger. The caller closes them.
func (g *Gateway) OpenReservations(ctx context.Context) (*Reservations, error) {
	if g.pool == nil {
		return OpenReservations(g.Config.Data, g.Ledger, g.now)
	}
	st, err := reservationspg.Open(ctx, g.pool)
	if err != nil {
		return nil, fmt.Errorf("storage: reservations: %w", err)
	}
	return NewReservations(st, g.Ledger, g.now), nil
}
