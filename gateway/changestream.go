package gateway

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/events/stream"
	streampg "github.com/dockside-edi/dockside/events/stream/postgres"
	"github.com/dockside-edi/dockside/web"
	"github.com/jackc/pgx/v5"
)

// EventsConfig configures the change stream out: every ledger posting
// as change events (docs/events.md), delivered to subscribers.
type EventsConfig struct {
	// Source is the CloudEvents source of the change events (default
	// urn:dockside:ledger). Consumers deduplicate on (source, id).
	Source string `yaml:"source"`
	// Publish lists where the change events go.
	Publish PublishConfig `yaml:"publish"`
}

// PublishConfig lists the change stream's subscribers.
type PublishConfig struct {
	// NATS publishes every change event to NATS JetStream.
	NATS PublishNATSConfig `yaml:"nats"`
}

// PublishNATSConfig publishes the change events to NATS JetStream: one
// message per event on <subject>.<kind>.<location>.<sku>, Nats-Msg-Id
// <subject>:<event id>, delivered at least once and in ledger order.
// Its cursor (subscriber "nats") is kept in <data>/change-cursors.db, or
// on PostgreSQL storage in the shared database, where the cluster's
// leader publishes.
type PublishNATSConfig struct {
	// URL is the server (nats://host:4222). Empty (the default): change
	// events are not published to NATS.
	URL string `yaml:"url"`
	// Stream is the JetStream stream, created over <subject>.> with file
	// storage when it does not exist (default DOCKSIDE_CHANGES). Its
	// messages under subject must be this gateway's only.
	Stream string `yaml:"stream"`
	// Subject is the subjects' prefix (default dockside.changes).
	Subject string `yaml:"subject"`
	// FromStart publishes the whole ledger the first time (no cursor
	// yet); false (the default): only postings after the first start.
	FromStart bool `yaml:"from_start"`
	// MaxBatch caps the events published before waiting for their
	// acknowledgements (default 1000 events).
	MaxBatch int `yaml:"max_batch"`
	// AckTimeout bounds the wait for a batch's acknowledgements (default
	// 10 s); on expiry the batch is retried from its first unacknowledged
	// event.
	AckTimeout time.Duration `yaml:"ack_timeout"`
}

// cursorsFile is the change stream's cursor store in the data folder.
const cursorsFile = "change-cursors.db"

// changeCursors is the type of Gateway.Cursors (named here so that
// gateway.go need not import package stream).
type changeCursors = stream.CursorStore

// openChangeCursors opens the change stream's cursor store: in the data
// folder on bbolt; on PostgreSQL in the database the nodes share, its
// writes fenced by the leader's term when their context carries one (the
// relays run on the leader only), so that a node deposed as leader moves
// no cursor after another took over.
func (g *Gateway) openChangeCursors(ctx context.Context) (stream.CursorStore, error) {
	if g.pool == nil {
		return stream.OpenBoltCursors(filepath.Join(g.Config.Data, cursorsFile))
	}
	return streampg.Open(ctx, g.pool, streampg.Options{Fence: fenceTerm})
}

// fenceTerm fences a write in tx by the leader's term that ctx carries;
// a write without a term (an operator's) is not fenced.
func fenceTerm(ctx context.Context, tx pgx.Tx) error {
	if _, ok := cluster.TermFrom(ctx); !ok {
		return nil
	}
	return clusterpg.FenceContext(ctx, tx)
}

// natsSubscriber is the NATS publisher's subscriber name (its cursor).
const natsSubscriber = "nats"

// publishNATS publishes the change stream to NATS JetStream when
// events.publish.nats.url is set, until ctx ends. The server may be down
// at start or later: the relay retries with backoff and catches up from
// its cursor, so it never stops the gateway.
func (g *Gateway) publishNATS(ctx context.Context) error {
	g.leading.Store(true) // it runs while this node leads (leaderOnly): for StreamStatuses
	defer g.leading.Store(false)
	c := g.Config.Events.Publish.NATS
	if c.URL == "" {
		<-ctx.Done() // leader-only work runs until its term ends
		return nil
	}
	nc, err := nats.Connect(c.URL, nats.Name("dockside-changes"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("events.publish.nats: connecting to %s: %w", c.URL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("events.publish.nats: %w", err)
	}
	return g.PublishChanges(ctx, js)
}

// PublishChanges runs the NATS publisher of the change stream on js until
// ctx ends. Setting the stream up is retried while the server does not
// answer.
func (g *Gateway) PublishChanges(ctx context.Context, js jetstream.JetStream) error {
	c := g.Config.Events.Publish.NATS
	var sink *stream.NATSSink
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		var err error
		sink, err = stream.NewNATSSink(ctx, js, stream.NATSOptions{Stream: c.Stream, Prefix: c.Subject, AckTimeout: c.AckTimeout, Log: g.log})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		g.natsOut.set(nil, fmt.Sprintf("NATS stream %s not ready: %v", c.Stream, err))
		g.log.Warn("change stream: NATS stream not ready", "stream", c.Stream, "err", err, "retry_in", wait)
		sleep(ctx, wait)
	}
	r, err := stream.NewRelay(natsSubscriber, g.changeSource(), g.Cursors, sink, stream.Options{
		Source: g.Config.Events.Source, FromStart: c.FromStart, MaxBatch: c.MaxBatch, Log: g.log})
	if err != nil {
		return err
	}
	g.natsOut.set(r, "")
	g.log.Info("publishing the change stream to NATS", "stream", c.Stream, "subject", c.Subject)
	if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		g.natsOut.set(r, err.Error())
		return fmt.Errorf("change stream to NATS: %w", err)
	}
	return nil
}

// natsOut is the NATS publisher's relay once its stream is set up, or
// why it is not running.
type natsOut struct {
	mu    sync.Mutex
	relay *stream.Relay
	err   string
}

func (n *natsOut) set(r *stream.Relay, err string) {
	n.mu.Lock()
	n.relay, n.err = r, err
	n.mu.Unlock()
}

func (n *natsOut) get() (*stream.Relay, string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.relay, n.err
}

// StreamStatuses returns the state of every change stream subscriber:
// the NATS publisher (when events.publish.nats.url is set) and the
// webhook subscribers, with their lag behind the ledger's last change.
func (g *Gateway) StreamStatuses(ctx context.Context) ([]web.StreamStatus, error) {
	var out []web.StreamStatus
	if g.Config.Events.Publish.NATS.URL != "" {
		last, err := g.Ledger.LastSeq(ctx)
		if err != nil {
			return nil, err
		}
		cursor, err := g.Cursors.Cursor(ctx, natsSubscriber)
		if err != nil && !errors.Is(err, stream.ErrUnknownSubscriber) {
			return nil, err
		}
		st := web.StreamStatus{Subscriber: natsSubscriber, Kind: "nats", Cursor: cursor, Confirmed: cursor, Last: last,
			Elsewhere: g.pool != nil && !g.leading.Load()}
		r, why := g.natsOut.get()
		if r != nil {
			rs := r.Status()
			st.Running, st.Delivered = rs.Running, rs.Delivered
			if rs.Running { // else relayed by another node, or stopped: the saved cursor counts
				st.Confirmed = max(rs.Confirmed, cursor)
			}
			st.Failures, st.Failed, st.LastError, st.LastErrorAt, st.NextAttempt = rs.Failures, rs.Failed, rs.LastError, rs.LastErrorAt, rs.NextAttempt
		}
		if st.LastError == "" {
			st.LastError = why
		}
		if last > st.Confirmed {
			st.Lag = last - st.Confirmed
		}
		out = append(out, st)
	}
	if g.subscribers != nil {
		subs, err := g.subscribers.Statuses(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			out = append(out, web.StreamStatus{Subscriber: s.Name, Kind: "webhook", Running: s.Running, Elsewhere: s.Elsewhere, Disabled: s.Disabled != nil,
				Cursor: s.Cursor, Confirmed: s.Confirmed, Last: s.Last, Lag: s.Behind, Delivered: s.Delivered,
				Failures: s.Failures, Failed: s.Failed, LastError: s.LastError, LastErrorAt: s.LastErrorAt, NextAttempt: s.NextAttempt})
		}
	}
	return out, nil
}
