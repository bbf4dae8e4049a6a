package gateway

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/events/stream"
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
// Its cursor (subscriber "nats") is kept in <data>/change-cursors.db.
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

// openChangeCursors opens the change stream's cursor store.
func openChangeCursors(data string) (*stream.BoltCursors, error) {
	return stream.OpenBoltCursors(filepath.Join(data, cursorsFile))
}

// natsSubscriber is the NATS publisher's subscriber name (its cursor).
const natsSubscriber = "nats"

// publishNATS publishes the change stream to NATS JetStream when
// events.publish.nats.url is set, until ctx ends. The server may be down
// at start or later: the relay retries with backoff and catches up from
// its cursor, so it never stops the gateway.
func (g *Gateway) publishNATS(ctx context.Context) error {
	c := g.Config.Events.Publish.NATS
	if c.URL == "" {
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
		g.log.Warn("change stream: NATS stream not ready", "stream", c.Stream, "err", err, "retry_in", wait)
		sleep(ctx, wait)
	}
	r, err := stream.NewRelay(natsSubscriber, g.Ledger, g.Cursors, sink, stream.Options{
		Source: g.Config.Events.Source, FromStart: c.FromStart, MaxBatch: c.MaxBatch, Log: g.log})
	if err != nil {
		return err
	}
	g.log.Info("publishing the change stream to NATS", "stream", c.Stream, "subject", c.Subject)
	if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("change stream to NATS: %w", err)
	}
	return nil
}
