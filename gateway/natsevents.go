package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/events"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/partners"
)

// metaNATSSequence is the Meta key of a single event read from NATS (its
// stream sequence): such a message must hold one event.
const metaNATSSequence = "nats_sequence"

// serveNATS reads partners' events from NATS JetStream when nats.url is
// set (see ConsumeEvents).
func (g *Gateway) serveNATS(ctx context.Context) error {
	if g.Config.NATS.URL == "" {
		return nil
	}
	nc, err := nats.Connect(g.Config.NATS.URL, nats.Name("dockside"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("nats: connecting to %s: %w", g.Config.NATS.URL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	return g.ConsumeEvents(ctx, js)
}

// ConsumeEvents reads the events of every partner whose profile has
// events.nats, until ctx ends: a durable pull consumer per partner on its
// stream and subject. Each fetched message is checked: a bad event (it
// does not decode, or its profile cannot map it) lands in the inbox on
// its own, where processing fails it with its error (replayable from the
// dashboard), and is terminated, never redelivered. The good ones of a
// fetch land in the inbox together as one message, are posted to the
// ledger as one document (one commit), and are acknowledged once the
// workers have committed their movements. Acknowledgements are sent
// without waiting for the server's reply (Ack, not DoubleAck): a message
// acknowledged late or not at all (a lost ack, a crash) is delivered
// again after nats.ack_wait and its events are duplicates, which change
// nothing; while a fetch waits for its commit, the gateway tells the
// server it is in progress, so only a crash waits for ack_wait. The consumer is
// durable: after a restart the gateway resumes where it stopped. The
// workers must run (Serve runs them).
func (g *Gateway) ConsumeEvents(ctx context.Context, js jetstream.JetStream) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, p := range g.Partners().Profiles() {
		if p.Events == nil || p.Events.NATS == nil {
			continue
		}
		wg.Go(func() {
			if err := g.consumePartner(ctx, js, p); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("nats events of %s: %w", p.ID, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (g *Gateway) consumePartner(ctx context.Context, js jetstream.JetStream, p *partners.Profile) error {
	n := p.Events.NATS
	batch := g.Config.NATS.Batch
	if batch <= 0 {
		batch = 1000
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, n.Stream, jetstream.ConsumerConfig{
		Durable: n.Durable, FilterSubject: n.Subject, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: g.natsAckWait(), MaxAckPending: (natsInFlight + 1) * batch, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("consumer %s on stream %s: %w", n.Durable, n.Stream, err)
	}
	g.log.Info("reading events from NATS", "partner", p.ID, "stream", n.Stream, "subject", n.Subject, "durable", n.Durable)
	// Up to natsInFlight fetches are processed at once: each waits for
	// its inbox message's fsyncs and ledger commit, and the ledger's group
	// commit shares those between them.
	sem := make(chan struct{}, natsInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		// A fetch's first messages wait for its end: at most a quarter
		// of AckWait, so that the first InProgress (a third of AckWait
		// after it) comes before the server would deliver them again.
		mb, err := cons.Fetch(batch, jetstream.FetchMaxWait(min(time.Second, g.natsAckWait()/4)))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			g.log.Warn("nats fetch", "partner", p.ID, "err", err)
			sleep(ctx, time.Second)
			continue
		}
		var msgs []jetstream.Msg
		for m := range mb.Messages() {
			msgs = append(msgs, m)
		}
		if err := mb.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			g.log.Warn("nats fetch", "partner", p.ID, "err", err)
		}
		if len(msgs) == 0 {
			continue
		}
		stop := keepInProgress(ctx, msgs, g.natsAckWait())
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			stop()
			return nil
		}
		wg.Go(func() {
			defer func() { <-sem }()
			defer stop()
			if err := g.natsBatch(ctx, p, msgs); err != nil && ctx.Err() == nil {
				g.log.Error("nats events", "partner", p.ID, "err", err)
				for _, m := range msgs {
					m.NakWithDelay(5 * time.Second)
				}
			}
		})
	}
	return nil
}

// DefaultNATSAckWait is nats.ack_wait when the configuration does not
// say.
const DefaultNATSAckWait = 30 * time.Second

// natsAckWait is the intake consumer's AckWait: nats.ack_wait, at least
// a second.
func (g *Gateway) natsAckWait() time.Duration {
	w := g.Config.NATS.AckWait
	if w <= 0 {
		return DefaultNATSAckWait
	}
	return max(w, time.Second)
}

// keepInProgress tells the server every third of its AckWait that msgs
// are still being worked on, until the returned stop is called: a fetch
// waiting for its turn or its commit is not delivered again meanwhile.
func keepInProgress(ctx context.Context, msgs []jetstream.Msg, ackWait time.Duration) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				for _, m := range msgs {
					m.InProgress()
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// natsInFlight bounds the fetches of one partner processed at once.
const natsInFlight = 4

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// natsBatch handles one fetch: parks and terminates the bad events, posts
// the good ones as one inbox message and acknowledges them once it is
// processed. An error leaves the messages unacknowledged.
func (g *Gateway) natsBatch(ctx context.Context, p *partners.Profile, msgs []jetstream.Msg) error {
	good := make([]jetstream.Msg, 0, len(msgs))
	var body bytes.Buffer
	body.WriteByte('[')
	for i, reason := range g.checkNATSEvents(p, msgs) {
		m := msgs[i]
		if reason != "" {
			if err := g.parkNATS(ctx, p, m, reason); err != nil {
				return err
			}
			continue
		}
		if len(good) > 0 {
			body.WriteByte(',')
		}
		body.Write(m.Data())
		good = append(good, m)
	}
	if len(good) == 0 {
		return nil
	}
	body.WriteByte(']')
	first, _ := good[0].Metadata()
	name := "nats-events.json"
	if first != nil {
		name = "nats-" + first.Stream + "-" + strconv.FormatUint(first.Sequence.Stream, 10) + ".json"
	}
	m, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: p.ID, Transport: "nats", Meta: map[string]string{metaKind: kindEvents}, Name: name}, &body)
	if err != nil {
		return err
	}
	if m, _, err = g.waitFinished(ctx, m); err != nil {
		return err
	}
	switch m.State {
	case inbox.Done, inbox.Duplicate:
		for _, gm := range good {
			gm.Ack()
		}
	case inbox.Failed: // kept in the inbox with its errors, replayable: not redelivered forever
		g.log.Warn("nats events failed", "partner", p.ID, "message", m.ID, "events", len(good))
		for _, gm := range good {
			gm.TermWithReason(fmt.Sprintf("dockside message %d failed", m.ID))
		}
	default: // ctx ended first: delivered again after the restart, duplicates then
		return ctx.Err()
	}
	return nil
}

// checkNATSEvents returns, per message, why it cannot post, or "" (see
// checkNATSEvent). Each message is decoded on its own, but the events
// that decode are mapped together: when none has a problem (the usual
// case) they are all good, and only otherwise is each mapped on its own.
func (g *Gateway) checkNATSEvents(p *partners.Profile, msgs []jetstream.Msg) []string {
	reasons := make([]string, len(msgs))
	evs := make([]events.Event, 0, len(msgs))
	decoded := make([]int, 0, len(msgs)) // the message of each event
	for i, m := range msgs {
		ev, reason := decodeNATSEvent(m.Data())
		if reason != "" {
			reasons[i] = reason
			continue
		}
		evs = append(evs, ev)
		decoded = append(decoded, i)
	}
	if len(evs) == 0 {
		return reasons
	}
	res, err := g.mapper(p.ID).Events(evs, nil, mapping.Source{Partner: p.ID, FileHash: "check", Received: g.now()})
	if res != nil {
		defer res.Release()
	}
	if err == nil && len(res.Problems) == 0 {
		return reasons
	}
	for _, i := range decoded {
		reasons[i] = g.checkNATSEvent(p, msgs[i].Data())
	}
	return reasons
}

// decodeNATSEvent decodes a message that must hold one valid event, or
// says why it does not.
func decodeNATSEvent(data []byte) (events.Event, string) {
	if b := bytes.TrimLeft(data, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return events.Event{}, "not one event (a JSON object)"
	}
	evs, bad := events.Decode(data, events.Options{MaxBatch: 1})
	if len(bad) > 0 {
		return events.Event{}, bad.Error()
	}
	return evs[0], ""
}

// checkNATSEvent returns why a message cannot post, or "": it must hold
// one valid event of the partner that its profile maps.
func (g *Gateway) checkNATSEvent(p *partners.Profile, data []byte) string {
	ev, reason := decodeNATSEvent(data)
	if reason != "" {
		return reason
	}
	res, err := g.mapper(p.ID).Events([]events.Event{ev}, nil, mapping.Source{Partner: p.ID, FileHash: "check", Received: g.now()})
	if err != nil {
		return err.Error()
	}
	res.Release()
	return ""
}

// parkNATS lands a bad message in the inbox on its own (processing fails
// it with its error) and terminates it.
func (g *Gateway) parkNATS(ctx context.Context, p *partners.Profile, m jetstream.Msg, reason string) error {
	name := "nats-event.json"
	meta := map[string]string{metaKind: kindEvents, "nats_subject": m.Subject(), metaNATSSequence: ""}
	if md, err := m.Metadata(); err == nil {
		name = "nats-" + md.Stream + "-" + strconv.FormatUint(md.Sequence.Stream, 10) + ".json"
		meta[metaNATSSequence] = strconv.FormatUint(md.Sequence.Stream, 10)
	}
	if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: p.ID, Transport: "nats", Meta: meta, Name: name}, bytes.NewReader(m.Data())); err != nil {
		return err
	}
	g.log.Warn("nats event refused", "partner", p.ID, "name", name, "reason", reason)
	return m.TermWithReason(clipReason(reason))
}

func clipReason(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}
