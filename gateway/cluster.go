package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/transports/sftp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"
)

// LeaderLeaseTTL is how long a node's term as leader lasts without a
// renewal on PostgreSQL (the Elector renews every third of it): the
// longest a cluster goes without its leader-only work (schedules,
// near-real-time advice and its follow-up, the acknowledgement clock,
// retention, divergence alerts) after the leader dies.
const LeaderLeaseTTL = 15 * time.Second

// leaderLease is the name of the lease that leader-only work runs under.
const leaderLease = "leader"

// storageCheckTimeout bounds a check that PostgreSQL answers.
const storageCheckTimeout = 2 * time.Second

// openCluster opens what a gateway on PostgreSQL shares with the other
// nodes (the pool, the leader lease and the reload generation, read now:
// the one the profiles loaded next reflect); on bbolt the lease is
// cluster.Single. An Options.Lease replaces the lease.
func (g *Gateway) openCluster(ctx context.Context, opts *Options) error {
	g.Lease = cluster.Single{}
	g.node = cluster.Node()
	if pgstore.IsURL(g.Config.Storage) {
		tune := []func(*pgxpool.Config){g.poolSize}
		if opts != nil && opts.tunePool != nil {
			tune = append(tune, opts.tunePool)
		}
		pool, err := pgstore.Open(ctx, g.Config.Storage, tune...)
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		g.pool = pool
		if g.Lease, err = clusterpg.New(ctx, pool, leaderLease, g.node, LeaderLeaseTTL); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		if g.reloadGens, err = clusterpg.NewReloadGeneration(ctx, pool); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		gen, err := g.reloadGens.Generation(ctx)
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		g.reloadGen.Store(gen)
	}
	if opts != nil && opts.Lease != nil {
		g.Lease = opts.Lease
	}
	return nil
}

// poolSize sizes the node's connection pool, unless the storage URL sets
// pool_max_conns: two connections per worker (a message's ledger posting
// and its other writes overlap) and 8 for the rest (transports
// receiving, the outbox, the leader's services). pgx's default, the
// number of CPUs but at least 4, left workers and receiving transports
// queueing for a connection.
func (g *Gateway) poolSize(c *pgxpool.Config) {
	if u, err := url.Parse(g.Config.Storage); err == nil && u.Query().Has("pool_max_conns") {
		return
	}
	c.MaxConns = int32(2*g.Config.Workers + 8)
}

// StorageReady returns nil when the shared storage answers within two
// seconds, else an error wrapping ErrStorageUnavailable. On bbolt there
// is none: always nil.
func (g *Gateway) StorageReady(ctx context.Context) error {
	if g.pool == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, storageCheckTimeout)
	defer cancel()
	if err := g.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: PostgreSQL (%s): %w", ErrStorageUnavailable, pgstore.Redact(g.Config.Storage), err)
	}
	return nil
}

// leaderOnly runs services only while this node holds the leader lease:
// always on bbolt; on PostgreSQL on one node of the cluster at a time,
// their context carrying the term (cluster.TermFrom) for fenced writes.
func (g *Gateway) leaderOnly(services ...Service) Service {
	return ServiceFunc(func(ctx context.Context) error {
		e := &cluster.Elector{Lease: g.Lease, Log: g.log}
		return e.Run(ctx, func(ctx context.Context) error {
			errs := make(chan error, len(services))
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for _, s := range services {
				go func() { errs <- s.Run(ctx) }()
			}
			var first error
			for range services {
				if err := <-errs; err != nil && first == nil && ctx.Err() == nil {
					first = err
					cancel()
				}
			}
			return first
		})
	})
}

// acceptingInbox is the inbox as the transports see it: while the shared
// storage does not answer, new files are refused with
// ErrStorageUnavailable, so nothing is accepted that might be lost. An
// SFTP upload is refused when opened (sftp.Gate), or, when the storage
// fails during the upload, at its close with the bytes kept for the
// sweep; a watched file stays in processing/ for the next rescan.
type acceptingInbox struct{ g *Gateway }

// Accepting implements sftp.Gate.
func (a acceptingInbox) Accepting(ctx context.Context) error { return a.g.StorageReady(ctx) }

// Receive implements the transports' Inbox.
func (a acceptingInbox) Receive(ctx context.Context, arr inbox.Arrival, body io.Reader) (*inbox.Message, error) {
	if err := a.g.StorageReady(ctx); err != nil {
		return nil, err
	}
	return a.g.Inbox.Receive(ctx, arr, body)
}

// adopter is an inbox that takes over uploads written in place
// (*inbox.Store on bbolt; the PostgreSQL inbox keeps bodies in the
// database and has not this ability).
type adopter interface {
	Adopt(ctx context.Context, a inbox.Arrival, in *inbox.Incoming) (*inbox.Message, error)
}

// adoptingInbox is acceptingInbox over an inbox that can adopt uploads.
type adoptingInbox struct {
	acceptingInbox
	in adopter
}

// Adopt implements sftp.Adopter.
func (a adoptingInbox) Adopt(ctx context.Context, arr inbox.Arrival, in *inbox.Incoming) (*inbox.Message, error) {
	if err := a.g.StorageReady(ctx); err != nil {
		return nil, err
	}
	return a.in.Adopt(ctx, arr, in)
}

// sftpInbox is the inbox the SFTP server writes to: with the Adopter
// ability when the store has it (bbolt), so that uploads are written in
// place; else files are streamed to Receive.
func (g *Gateway) sftpInbox() sftp.Inbox {
	if a, ok := g.Inbox.(adopter); ok {
		return adoptingInbox{acceptingInbox{g}, a}
	}
	return acceptingInbox{g}
}

// AcceptingHandler answers 503 with Retry-After while the shared storage
// does not answer, and passes requests on to h otherwise: a load
// balancer's retry, or the sender's, goes to a node that can take them.
func (g *Gateway) AcceptingHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.StorageReady(r.Context()); err != nil {
			g.log.Warn("request refused: storage unavailable", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			w.Header().Set("Retry-After", "30")
			http.Error(w, "storage unavailable: this node takes no new messages now; send again later", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// catchUpAdvice runs, when this node has just taken the leader lease of
// a cluster, the scheduled advice whose latest time fell within the last
// two lease times (the gap while the lease passed from a node that died)
// and that no recorded advice of the partner reflects: the node that
// died may have missed it. A single node (cluster.Single) catches up
// nothing: its schedules behave as they always did.
func (g *Gateway) catchUpAdvice(ctx context.Context, jobs []broadcast.Job) {
	if _, single := g.Lease.(cluster.Single); single {
		return
	}
	now := g.now()
	for _, j := range jobs {
		due := lastTick(j.Schedule, now, 2*g.Lease.TTL())
		if due.IsZero() {
			continue
		}
		if st, err := g.Advice.Store.Partner(j.Name); err == nil && st.Last != 0 {
			if b, err := g.Advice.Store.Get(st.Last); err == nil && !b.Time.Before(due) {
				continue // the advice of that time was recorded
			}
		}
		g.log.Info("scheduled advice due during the leader's takeover: sending it now", "partner", j.Name, "due", due)
		if err := j.Run(ctx); err != nil {
			g.log.Error("scheduled advice after the takeover", "partner", j.Name, "err", err)
		}
	}
}

// lastTick returns the latest time of s in (now-window, now], or zero.
func lastTick(s cron.Schedule, now time.Time, window time.Duration) time.Time {
	var last time.Time
	for t := s.Next(now.Add(-window)); !t.IsZero() && !t.After(now); t = s.Next(t) {
		last = t
	}
	return last
}
