package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/ledger"
)

// startNATS runs an embedded JetStream server (in process, no listener)
// on a temp folder.
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
	return js
}

// readStream reads every message of the stream with a consumer, acking
// each, and decodes the events.
func readStream(t testing.TB, js jetstream.JetStream, name string) ([]stream.Event, []jetstream.Msg) {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := int(info.State.Msgs)
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []stream.Event
	var msgs []jetstream.Msg
	for len(msgs) < total {
		mb, err := cons.Fetch(total-len(msgs), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range mb.Messages() {
			e, err := stream.Unmarshal(m.Data())
			if err != nil {
				t.Fatalf("message %s: %v", m.Subject(), err)
			}
			evs = append(evs, e)
			msgs = append(msgs, m)
			n++
		}
		if n == 0 {
			t.Fatalf("read %d of %d messages: %v", len(msgs), total, mb.Error())
		}
	}
	return evs, msgs
}

func TestSubjectToken(t *testing.T) {
	long := fmt.Sprintf("%0200d", 7)
	for _, tc := range []struct{ in, want string }{
		{"SKU-1_a", "SKU-1_a"},
		{"SKU.1/A", "SKU%2E1%2FA"},
		{"a b*c>d%", "a%20b%2Ac%3Ed%25"},
		{"", "%"},
		{"é", "%C3%A9"},
		{long, "~"},
	} {
		got := stream.SubjectToken(tc.in)
		if tc.want == "~" {
			if len(got) != 33 || got[0] != '~' {
				t.Errorf("SubjectToken(%d bytes) = %q, want ~ and 32 hex digits", len(tc.in), got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("SubjectToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	e := stream.Event{Data: stream.Data{Kind: "in_transit", Location: "DAL.1", SKU: "SKU 9"}}
	if got := stream.Subject("dockside.changes", &e); got != "dockside.changes.in_transit.DAL%2E1.SKU%209" {
		t.Errorf("Subject = %q", got)
	}
}

// TestNATSSinkPublishes runs a relay into the NATS sink and reads the
// stream back with a consumer: every event once, in ledger order, on its
// subject, with its Nats-Msg-Id.
func TestNATSSinkPublishes(t *testing.T) {
	js := startNATS(t)
	l := openLedger(t)
	rng := rand.New(rand.NewPCG(20, 21))
	postRandom(t, l, rng, "a", 30)
	sink, err := stream.NewNATSSink(context.Background(), js, stream.NATSOptions{Stream: "CHANGES", Prefix: "dock.chg"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := stream.NewRelay("nats", l, openCursors(t), sink, stream.Options{FromStart: true, MaxBatch: 16})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r)
	postRandom(t, l, rng, "b", 30)
	want := allEvents(t, l)
	waitFor(t, "every event published", func() bool { return r.Status().Delivered == uint64(len(want)) })
	stop()
	got, msgs := readStream(t, js, "CHANGES")
	checkEvents(t, got, want)
	if len(got) != len(want) {
		t.Errorf("%d messages, want %d", len(got), len(want))
	}
	for i, m := range msgs {
		if want := stream.Subject("dock.chg", &got[i]); m.Subject() != want {
			t.Errorf("message %d on %s, want %s", i, m.Subject(), want)
		}
		if id := m.Headers().Get(jetstream.MsgIDHeader); id != "dock.chg:"+got[i].ID {
			t.Errorf("message %d: Nats-Msg-Id %q", i, id)
		}
	}
}

// TestNATSSinkSkipsWhatTheStreamHolds: a restarted sink (after a crash
// between the server's acknowledgement and the cursor's save) delivers
// the same events again after the duplicate window has passed; it must
// read the stream back and skip them, and fill a hole it finds (a later
// event stored, an earlier one not).
func TestNATSSinkSkipsWhatTheStreamHolds(t *testing.T) {
	ctx := context.Background()
	js := startNATS(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "CHANGES", Subjects: []string{"dock.chg.>", "other.>"},
		Storage: jetstream.FileStorage, Duplicates: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	l := openLedger(t)
	postRandom(t, l, rand.New(rand.NewPCG(22, 23)), "a", 20)
	want := allEvents(t, l)
	evs := eventsOf(t, l)
	first, err := stream.NewNATSSink(ctx, js, stream.NATSOptions{Stream: "CHANGES", Prefix: "dock.chg"})
	if err != nil {
		t.Fatal(err)
	}
	// The first life publishes events 0..9 and event 12 (as if 10 and 11
	// had failed while 12 went through), and someone else publishes on
	// another subject.
	if n, err := first.Deliver(ctx, evs[:10]); n != 10 || err != nil {
		t.Fatalf("Deliver = %d, %v", n, err)
	}
	if n, err := first.Deliver(ctx, evs[12:13]); n != 1 || err != nil {
		t.Fatalf("Deliver = %d, %v", n, err)
	}
	if _, err := js.Publish(ctx, "other.thing", []byte("x")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // past the duplicate window: the server no longer dedupes
	// The second life starts from the cursor, before all of it.
	second, err := stream.NewNATSSink(ctx, js, stream.NATSOptions{Stream: "CHANGES", Prefix: "dock.chg"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := second.Deliver(ctx, evs); n != len(evs) || err != nil {
		t.Fatalf("Deliver = %d, %v", n, err)
	}
	st, _ := js.Stream(ctx, "CHANGES")
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"dock.chg.>"}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for range len(want) {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		e, err := stream.Unmarshal(m.Data())
		if err != nil {
			t.Fatal(err)
		}
		count[e.ID]++
	}
	for _, w := range want {
		if count[w.ID] != 1 {
			t.Errorf("event %s stored %d times", w.ID, count[w.ID])
		}
	}
	if info, _ := st.Info(ctx); info.State.Msgs != uint64(len(want))+1 {
		t.Errorf("stream holds %d messages, want %d", info.State.Msgs, len(want)+1)
	}
}

// eventsOf makes l's events with a relay into a slice.
func eventsOf(t testing.TB, l *ledger.Ledger) []stream.Event {
	t.Helper()
	want := allEvents(t, l)
	sink := &collector{}
	r, err := stream.NewRelay("collect", l, openCursors(t), sink, stream.Options{FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r)
	waitFor(t, "the events", func() bool { return len(sink.got()) == len(want) })
	stop()
	return sink.got()
}

// TestNATSSinkServerDown: the JetStream server goes away mid-stream and
// comes back (same port, same storage); the relay keeps retrying and
// then publishes everything posted meanwhile, each event once, in order.
func TestNATSSinkServerDown(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	start := func() *server.Server {
		ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
		if err != nil {
			t.Fatal(err)
		}
		go ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats server not ready")
		}
		return ns
	}
	ns := start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	l := openLedger(t)
	rng := rand.New(rand.NewPCG(40, 41))
	sink, err := stream.NewNATSSink(context.Background(), js, stream.NATSOptions{Stream: "CHANGES", Prefix: "dock.chg", AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r, err := stream.NewRelay("nats", l, openCursors(t), sink, stream.Options{Backoff: func(int) time.Duration { return 50 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r)
	waitFor(t, "the relay", func() bool { return r.Status().Running })
	postRandom(t, l, rng, "a", 20)
	waitFor(t, "the first events", func() bool { return r.Status().Delivered == uint64(len(allEvents(t, l))) })
	ns.Shutdown()
	ns.WaitForShutdown()
	postRandom(t, l, rng, "b", 20)
	waitFor(t, "a failed delivery", func() bool { return r.Status().Failures > 0 })
	ns = start()
	want := allEvents(t, l)
	waitFor(t, "every event", func() bool { return r.Status().Delivered == uint64(len(want)) })
	stop()
	got, _ := readStream(t, js, "CHANGES")
	checkEvents(t, got, want)
	if len(got) != len(want) {
		t.Errorf("%d messages, want %d (each event once)", len(got), len(want))
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
