package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/inbox"
)

// startNATS runs an embedded JetStream server (in process, no listener)
// on a temp folder with a stream EVENTS over acme.events.>.
func startNATS(t testing.TB) jetstream.JetStream {
	t.Helper()
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); ns.Shutdown(); ns.WaitForShutdown() })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"acme.events.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	return js
}

// enableNATSEvents gives acme-3pl's events an events.nats section.
func enableNATSEvents(t testing.TB, g *Gateway, partnersDir string) {
	t.Helper()
	p := filepath.Join(partnersDir, "acme-3pl.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, []byte("  nats:\n    stream: EVENTS\n    subject: acme.events.>\n")...)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
}

func publish(t testing.TB, js jetstream.JetStream, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := js.Publish(context.Background(), "acme.events.dallas", []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
}

// consume runs the workers and the NATS consumer until stop is called.
func consume(t testing.TB, g *Gateway, js jetstream.JetStream) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { g.RunWorkers(ctx, 2) })
	wg.Go(func() {
		if err := g.ConsumeEvents(ctx, js); err != nil {
			t.Error(err)
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// pending returns the consumer's messages not yet acknowledged or
// terminated (waiting plus in flight).
func pending(t testing.TB, js jetstream.JetStream) uint64 {
	t.Helper()
	c, err := js.Consumer(context.Background(), "EVENTS", "dockside-acme-3pl")
	if err != nil {
		return 1 // not created yet
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.NumPending + uint64(info.NumAckPending)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEventsOverNATS(t *testing.T) {
	g, dir := openTest(t, nil)
	enableEvents(t, g, dir, "reject")
	enableNATSEvents(t, g, dir)
	js := startNATS(t)

	publish(t, js,
		acmeEvent("n1", "receipt", `"item":"AC-1001","location_code":"DAL1","quantity":1,"unit":"CA"`),
		acmeEvent("n2", "receipt", `"item":"AC-9999","location":"dallas","quantity":1`), // unknown item
		`{"id": "n3", "oops`, // not JSON
		acmeEvent("n4", "adjustment", `"sku":"WIDGET-RED","location":"dallas","quantity":-2,"reason":"found broken"`),
		"["+acmeEvent("n5", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":100`)+"]", // a batch: one event per message
	)
	stop := consume(t, g, js)
	waitFor(t, "the consumer to settle every message", func() bool { return pending(t, js) == 0 })
	waitFor(t, "the parked messages to fail", func() bool {
		ms, _ := g.Inbox.List(inbox.Filter{State: inbox.Failed})
		return len(ms) == 3
	})
	stop()
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 10 {
		t.Fatalf("after the first run: %+v, want on hand 12 - 2", b)
	}
	failed, _ := g.Inbox.List(inbox.Filter{State: inbox.Failed})
	var reasons []string
	for _, m := range failed {
		if m.Transport != "nats" || len(m.Errors) == 0 {
			t.Fatalf("parked message %+v", m)
		}
		reasons = append(reasons, m.Errors[0].Place+": "+m.Errors[0].Msg)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{`data.item: "AC-9999": not found in table "acme_items"`, "invalid JSON", "must hold one event"} {
		if !strings.Contains(all, want) {
			t.Errorf("no failed message says %q:\n%s", want, all)
		}
	}

	// A restart resumes where the consumer stopped: only new messages are
	// read, the old ones are not posted again.
	publish(t, js, acmeEvent("n6", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":5`))
	stop = consume(t, g, js)
	waitFor(t, "the new message", func() bool { return pending(t, js) == 0 && balance(t, g, "WIDGET-RED", "dallas").OnHand == 15 })
	stop()
	done, _ := g.Inbox.List(inbox.Filter{State: inbox.Done})
	posted := 0
	for _, m := range done {
		posted += m.Result.Movements
		if m.Result.Duplicates != 0 {
			t.Errorf("message %d reposted %d events", m.ID, m.Result.Duplicates)
		}
	}
	if posted != 3 {
		t.Errorf("%d movements posted, want 3", posted)
	}
}

// TestNATSRedeliveryIsDuplicate: an event delivered again after its
// commit (the ack was lost in a crash) changes nothing.
func TestNATSRedeliveryIsDuplicate(t *testing.T) {
	g, dir := openTest(t, nil)
	enableEvents(t, g, dir, "reject")
	enableNATSEvents(t, g, dir)
	js := startNATS(t)
	ev := acmeEvent("d1", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":4`)
	// The first delivery was committed (through the inbox, as the
	// consumer does)...
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := g.PostEvents(short, "acme-3pl", "", []byte(fmt.Sprintf("[%s, %s]", ev, acmeEvent("d0", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":1`)))); err != nil {
		t.Fatal(err)
	}
	if err := g.Drain(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	// ...and the stream delivers it again.
	publish(t, js, ev)
	stop := consume(t, g, js)
	waitFor(t, "the redelivered event", func() bool { return pending(t, js) == 0 })
	stop()
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 5 {
		t.Fatalf("balance %+v, want 5", b)
	}
}

// TestNATSBatchWithBadEvents: one fetch of many good events with bad ones
// among them (one that does not decode, one its profile cannot map): the
// good ones are posted once, in one inbox message, and acknowledged; each
// bad one is parked as a failed message with its error and terminated;
// nothing is delivered again.
func TestNATSBatchWithBadEvents(t *testing.T) {
	g, dir := openTest(t, nil)
	enableEvents(t, g, dir, "reject")
	enableNATSEvents(t, g, dir)
	js := startNATS(t)
	const good = 400
	var bodies []string
	for i := range good {
		bodies = append(bodies, acmeEvent(fmt.Sprintf("b%d", i), "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":1`))
		switch i {
		case 100:
			bodies = append(bodies, acmeEvent("bad-item", "receipt", `"item":"AC-9999","location":"dallas","quantity":1`))
		case 300:
			bodies = append(bodies, acmeEvent("bad-qty", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":0`))
		}
	}
	ctx := context.Background()
	var futures []jetstream.PubAckFuture
	for _, b := range bodies {
		f, err := js.PublishAsync("acme.events.dallas", []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			t.Fatal(err)
		}
	}
	stop := consume(t, g, js)
	waitFor(t, "the consumer to settle every message", func() bool { return pending(t, js) == 0 })
	waitFor(t, "the parked messages to fail", func() bool {
		ms, _ := g.Inbox.List(inbox.Filter{State: inbox.Failed})
		return len(ms) == 2
	})
	stop()
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != good {
		t.Fatalf("balance %+v, want on hand %d", b, good)
	}
	done, _ := g.Inbox.List(inbox.Filter{State: inbox.Done})
	posted := 0
	for _, m := range done {
		posted += m.Result.Movements
		if m.Result.Duplicates != 0 || len(m.Errors) != 0 {
			t.Errorf("message %d: %d duplicates, errors %v", m.ID, m.Result.Duplicates, m.Errors)
		}
	}
	if posted != good || len(done) > 2 {
		t.Errorf("%d movements posted in %d messages, want %d in one or two fetches", posted, len(done), good)
	}
	failed, _ := g.Inbox.List(inbox.Filter{State: inbox.Failed})
	var reasons []string
	for _, m := range failed {
		if m.Transport != "nats" || m.Meta[metaNATSSequence] == "" || len(m.Errors) == 0 {
			t.Fatalf("parked message %+v", m)
		}
		reasons = append(reasons, m.Errors[0].Place+": "+m.Errors[0].Msg)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{`data.item: "AC-9999": not found in table "acme_items"`, "data.quantity: must be a positive integer"} {
		if !strings.Contains(all, want) {
			t.Errorf("no failed message says %q:\n%s", want, all)
		}
	}
	c, err := js.Consumer(ctx, "EVENTS", "dockside-acme-3pl")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumRedelivered != 0 || info.AckFloor.Stream != uint64(len(bodies)) {
		t.Errorf("consumer: %d redelivered, ack floor %d, want 0 and %d", info.NumRedelivered, info.AckFloor.Stream, len(bodies))
	}
}

// TestNATSHeldFetchAndCrash: with nats.ack_wait at 1 s, a fetch held
// longer than that while it waits for its commit (no workers run) is not
// delivered again: the gateway tells the server it is in progress. When
// the consumer then stops without acknowledging (as a killed gateway
// does), the next one gets the messages again after ack_wait, and each
// event counts once.
func TestNATSHeldFetchAndCrash(t *testing.T) {
	g, dir := openTest(t, nil)
	g.Config.NATS.AckWait = time.Second
	enableEvents(t, g, dir, "reject")
	enableNATSEvents(t, g, dir)
	js := startNATS(t)
	for i := range 5 {
		publish(t, js, acmeEvent(fmt.Sprintf("h%d", i), "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":2`))
	}
	info := func() *jetstream.ConsumerInfo {
		c, err := js.Consumer(context.Background(), "EVENTS", "dockside-acme-3pl")
		if err != nil {
			return nil
		}
		in, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	// The consumer alone: its fetch lands in the inbox and waits there.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.ConsumeEvents(ctx, js) }()
	waitFor(t, "the fetch", func() bool { in := info(); return in != nil && in.NumAckPending == 5 })
	time.Sleep(3 * time.Second) // three times ack_wait
	if in := info(); in.NumRedelivered != 0 || in.NumAckPending != 5 || in.Delivered.Consumer != 5 {
		t.Fatalf("a held fetch was delivered again: %d redelivered, %d in flight, %d deliveries", in.NumRedelivered, in.NumAckPending, in.Delivered.Consumer)
	}
	// It stops without acknowledging (a crash); the next consumer, with
	// the workers, gets the messages again once ack_wait has passed.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stop := consume(t, g, js)
	waitFor(t, "the redelivered messages", func() bool { return pending(t, js) == 0 })
	stop()
	if in := info(); in.Delivered.Consumer < 10 {
		t.Errorf("%d deliveries, want the 5 messages twice", in.Delivered.Consumer)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 10 {
		t.Fatalf("balance %+v, want 5 events of 2 once", b)
	}
}
