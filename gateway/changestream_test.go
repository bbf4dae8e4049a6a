package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/events/stream"
)

// TestChangeStreamToNATS: events come in over NATS, are posted, and go
// out as change events on the publisher's stream, with the ledger's
// figures; a restart of the publisher resumes from its cursor and
// publishes nothing twice.
func TestChangeStreamToNATS(t *testing.T) {
	g, dir := openTest(t, nil)
	enableEvents(t, g, dir, "reject")
	enableNATSEvents(t, g, dir)
	js := startNATS(t)
	g.Config.Events.Publish.NATS.FromStart = true
	publishing := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := g.PublishChanges(ctx, js); err != nil {
				t.Error(err)
			}
		})
		var once sync.Once
		stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
		t.Cleanup(stop)
		return stop
	}
	stopIn := consume(t, g, js)
	stopOut := publishing()
	publish(t, js,
		acmeEvent("c1", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":10`),
		acmeEvent("c2", "adjustment", `"sku":"WIDGET-RED","location":"dallas","quantity":-3,"reason":"broken"`),
		acmeEvent("c3", "reservation", `"sku":"WIDGET-RED","location":"dallas","quantity":2,"order":"SO-1"`),
	)
	out := func() []stream.Event {
		st, err := js.Stream(context.Background(), stream.DefaultNATSStream)
		if err != nil {
			return nil
		}
		info, err := st.Info(context.Background())
		if err != nil || info.State.Msgs == 0 {
			return nil
		}
		cons, err := st.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		var evs []stream.Event
		for range info.State.Msgs {
			m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
			if err != nil {
				t.Fatal(err)
			}
			e, err := stream.Unmarshal(m.Data())
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e)
		}
		return evs
	}
	waitFor(t, "three change events", func() bool { return len(out()) >= 3 })
	stopOut()
	stopIn()
	evs := out()
	if len(evs) != 3 {
		t.Fatalf("%d change events, want 3", len(evs))
	}
	b := balance(t, g, "WIDGET-RED", "dallas")
	last := evs[2].Data
	if last.Kind != "allocate" || last.Order != "SO-1" || last.Balance.OnHand != b.OnHand || last.Balance.Allocated != b.Allocated || last.Balance.Available != b.Available() {
		t.Errorf("last change event %+v, ledger %+v", last, b)
	}
	if evs[0].Data.Delta.OnHand != 10 || evs[1].Data.Delta.OnHand != -3 || evs[0].Source != stream.DefaultSource {
		t.Errorf("change events %+v", evs)
	}
	// The publisher restarts: its cursor is saved, nothing goes out twice,
	// a new posting goes out once.
	stopIn = consume(t, g, js)
	stopOut = publishing()
	publish(t, js, acmeEvent("c4", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":1`))
	waitFor(t, "the fourth change event", func() bool { return len(out()) >= 4 })
	stopOut()
	stopIn()
	if evs = out(); len(evs) != 4 || evs[3].Data.Balance.OnHand != b.OnHand+1 {
		t.Fatalf("after the restart: %d change events (want 4), last %+v", len(evs), evs[len(evs)-1].Data)
	}
	if c, err := g.Cursors.Cursor(context.Background(), natsSubscriber); err != nil || c != evs[3].Data.Change {
		t.Errorf("cursor %d, %v; want %d", c, err, evs[3].Data.Change)
	}
}

// TestPublishNATSConfig: the publisher's settings load from the file and
// the environment, and a subject that NATS cannot take is refused.
func TestPublishNATSConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dockside.yaml")
	if err := os.WriteFile(path, []byte("events:\n  publish:\n    nats:\n      url: nats://127.0.0.1:4222\n      subject: acme.changes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DOCKSIDE_EVENTS_PUBLISH_NATS_FROM_START": "true"}
	c, err := LoadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	n := c.Events.Publish.NATS
	if n.URL != "nats://127.0.0.1:4222" || n.Subject != "acme.changes" || !n.FromStart || n.Stream != stream.DefaultNATSStream || c.Events.Source != stream.DefaultSource {
		t.Errorf("loaded %+v, source %q", n, c.Events.Source)
	}
	for _, bad := range []string{"acme.*", "acme..changes", "acme.>", "acme changes", ""} {
		env["DOCKSIDE_EVENTS_PUBLISH_NATS_SUBJECT"] = bad
		if bad == "" {
			if err := os.WriteFile(path, []byte("events:\n  publish:\n    nats:\n      url: nats://127.0.0.1:4222\n      subject: \"\"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := LoadConfig(path, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "events.publish.nats.subject") {
			t.Errorf("subject %q: %v", bad, err)
		}
	}
}
