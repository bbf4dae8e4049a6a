package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
	"github.com/dockside-edi/dockside/specs"
	"github.com/dockside-edi/dockside/transports/webhook"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options are the parts of a Gateway that tests and commands replace.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Lease replaces the leader lease (default: cluster.Single on bbolt,
	// the PostgreSQL lease on postgres storage).
	Lease cluster.Lease
	// tunePool, when set, adjusts the PostgreSQL pool's configuration
	// (a tracer: benchmarks count round trips).
	tunePool func(*pgxpool.Config)
}

// Gateway holds the stores and the partner profiles, and processes what
// the inbox receives. The stores are the owning packages' interfaces,
// opened from Config.Storage: bbolt files in the data folder, or the
// PostgreSQL database several nodes share (see openStores).
type Gateway struct {
	Config *Config
	Ledger ledger.Store
	Inbox  inbox.Storage
	Outbox outbox.Storage
	Specs  *specs.Catalog
	// Advice builds and sends partners' inventory advice.
	Advice *broadcast.Broadcaster
	// Audit is the log of operator actions (data/audit.db on bbolt).
	Audit audit.Store
	// Cursors are the change stream subscribers' cursors
	// (data/change-cursors.db, or the shared PostgreSQL database): the
	// NATS publisher's "nats" and each webhook subscriber's
	// "webhook/<name>".
	Cursors changeCursors
	// Divergence reports where partners' figures differ from ours.
	Divergence *divergence.Monitor
	// Webhooks lists the webhook endpoints disabled after a 410 Gone.
	Webhooks *webhook.Endpoints

	subscribers       *webhooks.Manager     // the change stream's webhook subscribers; nil: none
	configSubscribers []webhooks.Subscriber // the configuration's, read at start
	reloadMu          sync.Mutex            // one reload at a time: profiles and subscriptions from the same load
	// Lease is the leader lease that schedules and near-real-time advice
	// run under: cluster.Single on bbolt.
	Lease cluster.Lease

	pool    *pgxpool.Pool // the shared storage, on postgres; else nil
	node    string        // this process's name in the cluster: its claims and leader terms
	natsOut natsOut       // the NATS publisher's relay, for its status
	// ledgerWake wakes the change stream's relays on PostgreSQL: this
	// node's commits and the other nodes' notifications (changewake.go).
	ledgerWake wake
	leading    atomic.Bool // the leader-only work runs here (set by publishNATS)
	// reloadGens is the cluster's reload generation, on postgres; else
	// nil. reloadGen is the generation this node's profiles reflect:
	// read at start before the first load, then advanced at each reload
	// of this node at an operator's request or for another node's
	// (clusterreload.go). reloadGenMu makes a bump and its recording
	// one step for a check of the generation.
	reloadGens  *clusterpg.ReloadGeneration
	reloadGen   atomic.Int64
	reloadGenMu sync.Mutex

	log *slog.Logger
	now func() time.Time

	mu       sync.RWMutex
	partners *partners.Directory
	mappers  map[string]*mapping.Mapper
	reloaded chan struct{} // closed (and replaced) when the profiles are reloaded

	hooks []FinishHook
	meter meter
	waits finishWaits // requests waiting for their messages (PostEvents)

	orders     *orderBook     // order documents' orders, by partner + order number
	docs       documents.Pool // typed X12 documents' memory, reused across sets and files
	setBuffers x12.BufferPool // the X12 decoders' set buffers, likewise

	testHooks testHooks
}

// testHooks are called, when set, by the pipeline's goroutines; tests
// inject panics through them.
type testHooks struct {
	posting func(*mapping.Result)    // in postAll's goroutine, before posting
	mapped  func(documents.Document) // on the mapping pool's worker, once mapped
	listen  func(context.Context)    // in listenCommits, before each connection: a test holds it down
}

// FinishHook is told when a message's processing ends (a watched folder
// moves the file to archive/ or failed/, metrics count it).
type FinishHook func(m *inbox.Message, o inbox.Outcome)

// Open opens the data folder's stores and loads the partner profiles.
func Open(cfg *Config, opts *Options) (*Gateway, error) {
	g := &Gateway{Config: cfg, log: slog.Default(), now: time.Now}
	g.docs.MaxHLDepth = cfg.Limits.MaxHLDepth
	if opts != nil {
		if opts.Logger != nil {
			g.log = opts.Logger
		}
		if opts.Now != nil {
			g.now = opts.Now
		}
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	var err error
	if g.Specs, err = specs.Load(); err != nil {
		return nil, fmt.Errorf("loading X12 specs: %w", err)
	}
	// The cluster first: on postgres its reload generation is read before
	// the profiles are loaded, which then reflect at least that one.
	if err := g.openCluster(context.Background(), opts); err != nil {
		return nil, g.closeOnError(err)
	}
	if err := g.ReloadPartners(); err != nil {
		return nil, g.closeOnError(err)
	}
	st, err := g.openStores(context.Background())
	if err != nil {
		return nil, g.closeOnError(err)
	}
	if g.orders, err = openOrderBook(context.Background(), st.orders, st.ledger, g.log, g.now, g.routeOrder); err != nil {
		st.close()
		return nil, g.closeOnError(err)
	}
	g.Ledger, g.Inbox, g.Outbox, g.Audit = st.ledger, st.inbox, st.outbox, st.audit
	cursors, err := g.openChangeCursors(context.Background())
	if err != nil {
		st.close()
		return nil, g.closeOnError(err)
	}
	g.Cursors = cursors
	if n, err := migrateWebhookCursors(context.Background(), cfg.Data, g.webhookCursors()); err != nil {
		st.close()
		return nil, g.closeOnError(err)
	} else if n > 0 {
		g.log.Info("webhook subscribers' cursors moved to "+cursorsFile, "cursors", n)
	}
	if g.Webhooks, err = g.openWebhookEndpoints(context.Background()); err != nil {
		st.close()
		return nil, g.closeOnError(err)
	}
	if g.subscribers, err = g.openSubscribers(); err != nil {
		st.close()
		return nil, g.closeOnError(err)
	}
	id := cfg.Identity
	g.Advice = &broadcast.Broadcaster{Ledger: g.Ledger, Outbox: g.Outbox, Store: st.broadcast, Now: g.now, Log: g.log,
		Partner:  func(id string) (*partners.Profile, error) { return g.Partners().ByID(id) },
		Identity: broadcast.Identity{ISAQualifier: id.ISAQualifier, ISAID: id.ISAID, GSID: id.GSID}}
	g.Divergence = &divergence.Monitor{Log: g.log, Settings: g.divergenceSettings,
		Checker: &divergence.Checker{Ledger: g.Ledger, Store: st.divergence, Beliefs: st.broadcast.Beliefs, Figures: g.Advice.Figures,
			Profiles: func() []*partners.Profile { return g.Partners().Profiles() }, Now: g.now}}
	return g, nil
}

// divergenceSettings returns a partner's divergence threshold and webhook.
func (g *Gateway) divergenceSettings(partner string) (time.Duration, string, bool) {
	p, err := g.Partners().ByID(partner)
	if err != nil {
		return 0, "", false
	}
	return p.Divergence.WarnAfter, p.Divergence.Webhook, true
}

func (g *Gateway) closeOnError(err error) error {
	g.Close()
	return err
}

// Close closes the stores.
func (g *Gateway) Close() error {
	var errs []error
	if g.Audit != nil {
		errs = append(errs, g.Audit.Close())
	}
	if g.Divergence != nil {
		errs = append(errs, g.Divergence.Checker.Store.Close())
	}
	if g.Advice != nil {
		errs = append(errs, g.Advice.Store.Close())
	}
	if g.Outbox != nil {
		errs = append(errs, g.Outbox.Close())
	}
	if g.Inbox != nil {
		errs = append(errs, g.Inbox.Close())
	}
	if g.orders != nil {
		errs = append(errs, g.orders.close())
	}
	if g.Cursors != nil {
		errs = append(errs, g.Cursors.Close())
	}
	if g.Ledger != nil {
		errs = append(errs, g.Ledger.Close())
	}
	if g.pool != nil {
		g.pool.Close()
	}
	return errors.Join(errs...)
}

// ReloadPartners loads the partner profiles again; on error the profiles
// in use stay.
func (g *Gateway) ReloadPartners() error {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	dir := g.Config.Partners
	if dir == "" {
		var err error
		if dir, err = materializeDemo(g.Config.Data); err != nil {
			return fmt.Errorf("demo partners: %w", err)
		}
	}
	d, err := partners.Load(dir)
	if err != nil {
		return fmt.Errorf("partner profiles: %w", err)
	}
	mappers := make(map[string]*mapping.Mapper, d.Len())
	for _, p := range d.Profiles() {
		mappers[p.ID] = mapping.NewWithLimits(p, g.Config.Flat.limits(g.Config.MaxFileSize))
	}
	if err := g.updateSubscribers(d); err != nil {
		return fmt.Errorf("partner profiles: change stream subscriptions: %w", err)
	}
	g.mu.Lock()
	g.partners, g.mappers = d, mappers
	if g.reloaded != nil {
		close(g.reloaded)
	}
	g.reloaded = make(chan struct{})
	g.mu.Unlock()
	return nil
}

// partnersReloaded returns a channel closed at the next reload of the
// profiles: services built from them (advice schedules, watched folders)
// rebuild then.
func (g *Gateway) partnersReloaded() <-chan struct{} {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.reloaded
}

// Partners returns the loaded partner profiles.
func (g *Gateway) Partners() *partners.Directory {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.partners
}

func (g *Gateway) mapper(partner string) *mapping.Mapper {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.mappers[partner]
}

// OnFinish adds a hook called after each message is finished.
func (g *Gateway) OnFinish(h FinishHook) {
	g.mu.Lock()
	g.hooks = append(g.hooks, h)
	g.mu.Unlock()
}

// Logger returns the gateway's logger.
func (g *Gateway) Logger() *slog.Logger { return g.log }

// Now returns the gateway's clock reading.
func (g *Gateway) Now() time.Time { return g.now() }
