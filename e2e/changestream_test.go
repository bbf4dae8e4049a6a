package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
)

// startNATSServer runs a JetStream server in the test process, listening
// on a loopback port, and returns its URL and a client.
func startNATSServer(t *testing.T) (string, jetstream.JetStream) {
	t.Helper()
	port := freePort(t)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); ns.Shutdown(); ns.WaitForShutdown() })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return url, js
}

// readChanges reads every message of the change stream, in stream order.
func readChanges(t *testing.T, js jetstream.JetStream) []stream.Event {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, stream.DefaultNATSStream)
	if err != nil {
		return nil // not created yet
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []stream.Event
	for range info.State.Msgs {
		m, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		e, err := stream.Unmarshal(m.Data())
		if err != nil {
			t.Fatalf("message %s: %v", m.Subject(), err)
		}
		if want := stream.Subject(stream.DefaultNATSPrefix, &e); m.Subject() != want {
			t.Fatalf("event %s on %s, want %s", e.ID, m.Subject(), want)
		}
		out = append(out, e)
	}
	return out
}

// TestChangeStreamSurvivesKill9: events stream in over HTTP (several
// posters, each retrying a batch until it is accepted) and over NATS
// JetStream (one event per message, read by the partner's durable
// consumer), and out to NATS JetStream and to a webhook subscriber (a
// Python receiver verifying every signature on its own), while serve is
// killed with SIGKILL twice and started again. After that every input
// event is counted once in the ledger, and every output event was
// delivered at least once to both subscribers; each, deduplicating on the
// id (webhook-id), applies each once, in per-SKU order, and ends with the
// ledger's figures. The intake consumer's ack_wait is 2 s, so the fetches
// a killed serve held are delivered again soon after the restart.
func TestChangeStreamSurvivesKill9(t *testing.T) {
	e := setup(t)
	url, js := startNATSServer(t)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WMS", Subjects: []string{"acme.inventory.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	secret := stdwebhooks.NewSecret()
	recv := whtest.Start(t, secret.Text())
	secretFile := filepath.Join(e.dir, "mirror.whsec")
	if err := os.WriteFile(secretFile, []byte(secret.Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "acme-events-token-e2e"
	sum := sha256.Sum256([]byte(token))
	p := filepath.Join(e.partners, "acme-3pl.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, fmt.Sprintf("\nevents:\n  source: urn:acme:wms\n  token_sha256: %s\n  nats:\n    stream: WMS\n    subject: acme.inventory.>\n",
		hex.EncodeToString(sum[:]))...)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "nats:\n  url: %s\n  batch: 20\n  ack_wait: 2s\n", url)
	fmt.Fprintf(f, "events:\n  publish:\n    nats:\n      url: %s\n      from_start: true\n      max_batch: 50\n", url)
	fmt.Fprintf(f, "webhooks:\n  subscribers:\n    - name: mirror\n      url: %s/changes\n      secret_file: %s\n      from_start: true\n", recv.URL, secretFile)
	f.Close()
	e.start()

	// The input: batches of receipts and adjustments over 4 SKUs, over
	// HTTP; as many over NATS, on the same SKUs.
	const batches, perBatch, posters = 60, 20, 3
	const natsRounds, perRound = 12, 100
	skus := []string{"EV-1", "EV-2", "EV.3", "EV 4"}
	want := map[string]int64{}
	event := func(id string, n int) string {
		sku := skus[n%len(skus)]
		qty := int64(1 + n%5)
		kind, extra := "receipt", ""
		if n%7 == 3 {
			kind, qty, extra = "adjustment", -1, `,"reason":"count"`
		}
		want[sku] += qty
		return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"urn:acme:wms","type":"dockside.inventory.%s","data":{"sku":%q,"location":"dallas","quantity":%d%s}}`,
			id, kind, sku, qty, extra)
	}
	bodies := make([]string, batches)
	for i := range batches {
		var evs []string
		for j := range perBatch {
			n := i*perBatch + j
			evs = append(evs, event(fmt.Sprintf("e2e-%d", n), n))
		}
		bodies[i] = "[" + strings.Join(evs, ",") + "]"
	}
	natsMsgs := make([]string, natsRounds*perRound)
	for n := range natsMsgs {
		natsMsgs[n] = event(fmt.Sprintf("nats-%d", n), n+3)
	}
	var next, accepted, published atomic.Int64
	// The input is let in by thirds: the next third is released just
	// before each kill, so every kill lands while input still streams in,
	// however fast the machine is.
	var released atomic.Int64
	released.Store(1)
	waitRelease := func(share, of int) {
		for int64(share*3) >= released.Load()*int64(of) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	post := func(body string) {
		for {
			req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/api/v1/events", e.httpPort), strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted {
					accepted.Add(1)
					return
				}
				if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusConflict && resp.StatusCode < 500 {
					t.Errorf("POST /api/v1/events: %d", resp.StatusCode)
					return
				}
			}
			time.Sleep(100 * time.Millisecond) // the server is down or busy: the same batch again
		}
	}
	var wg sync.WaitGroup
	for range posters {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= batches {
					return
				}
				waitRelease(int(i), batches)
				post(bodies[i])
				time.Sleep(350 * time.Millisecond) // a stream, not a burst: the kills land mid-stream
			}
		})
	}
	wg.Go(func() { // the WMS publishes whether serve is up or not
		for r := range natsRounds {
			waitRelease(r, natsRounds)
			for _, m := range natsMsgs[r*perRound : (r+1)*perRound] {
				if _, err := js.Publish(ctx, "acme.inventory.dallas", []byte(m)); err != nil {
					t.Errorf("publishing an input event: %v", err)
					return
				}
				published.Add(1)
			}
			time.Sleep(700 * time.Millisecond) // bursts: fetches are held while they commit
		}
	})
	intake := func() (acked uint64, inFlight int) { // the intake consumer's acknowledged and unacknowledged input
		c, err := js.Consumer(ctx, "WMS", "dockside-acme-3pl")
		if err != nil {
			return 0, 0
		}
		info, err := c.Info(ctx)
		if err != nil {
			return 0, 0
		}
		return info.AckFloor.Stream, info.NumAckPending
	}
	consumed := func() uint64 { n, _ := intake(); return n }
	delivered := func() []stream.Event { return deliveredEvents(t, recv) }
	// SIGKILL twice, once a third and two thirds of the input are in and
	// output is flowing both ways, preferably while serve holds NATS
	// messages it has not acknowledged (those wait for ack_wait).
	var kills []string
	held := 0 // NATS messages serve held unacknowledged at the kills
	for k := 1; k <= 2; k++ {
		e.waitFor("input and output", 60*time.Second, func() bool {
			return accepted.Load() >= int64(k*batches/3) && consumed() >= uint64(k*len(natsMsgs)/3) &&
				len(readChanges(t, js)) > 0 && len(delivered()) > 0
		})
		released.Store(int64(k + 1)) // the next third streams in while serve is killed
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if _, inFlight := intake(); inFlight > 0 && accepted.Load() > int64(k*batches/3) {
				break
			}
		}
		e.kill()
		acked, inFlight := intake()
		held += inFlight
		kills = append(kills, fmt.Sprintf("%d batches accepted, %d NATS events acknowledged (%d fetched, not acknowledged), %d change events published and %d webhooks delivered",
			accepted.Load(), acked, inFlight, len(readChanges(t, js)), len(delivered())))
		e.start()
	}
	wg.Wait()
	total := batches*perBatch + len(natsMsgs)
	distinct := func(evs []stream.Event) int {
		ids := map[string]bool{}
		for _, ev := range evs {
			ids[ev.ID] = true
		}
		return len(ids)
	}
	e.waitFor("every change event", 120*time.Second, func() bool {
		return distinct(readChanges(t, js)) >= total && distinct(delivered()) >= total
	})
	// Both subscribers are caught up in the API and the metrics.
	var streams struct {
		Subscribers []struct {
			Subscriber, Kind string
			Lag, Last        uint64
			Running          bool
		}
	}
	e.waitFor("no lag in GET /api/v1/streams", 20*time.Second, func() bool {
		e.api("GET", "/api/v1/streams", "", nil, http.StatusOK, &streams)
		caught := 0
		for _, s := range streams.Subscribers {
			if s.Lag == 0 && s.Last > 0 && s.Running {
				caught++
			}
		}
		return caught == 2
	})
	if got := fmt.Sprint(streams.Subscribers); !strings.Contains(got, "nats nats") || !strings.Contains(got, "mirror webhook") {
		t.Errorf("GET /api/v1/streams: %s", got)
	}
	metrics := e.get("/metrics")
	for _, want := range []string{`dockside_stream_lag{kind="nats",subscriber="nats"} 0`, `dockside_stream_lag{kind="webhook",subscriber="mirror"} 0`} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	e.stop()

	// Every input counted once.
	stock := e.stock()
	for _, sku := range skus {
		if got := stock[sku+"@dallas"]["on_hand"]; got != want[sku] {
			t.Errorf("%s on hand %d, want %d", sku, got, want[sku])
		}
	}
	// Every output at least once; applied once, in per-SKU order.
	out, hooks := readChanges(t, js), delivered()
	dups := []int{checkApplied(t, "NATS", out, total, skus, want), checkApplied(t, "webhook", hooks, total, skus, want)}
	log, _ := os.ReadFile(filepath.Join(e.dir, "server.log"))
	t.Logf("%d input events (%d over HTTP in %d batches, %d over NATS); SIGKILL at %s; %d NATS messages out (%d duplicates), %d webhooks (%d duplicates); %d restarts found events already stored and skipped them",
		total, batches*perBatch, batches, len(natsMsgs), strings.Join(kills, ", then at "), len(out), dups[0], len(hooks), dups[1],
		strings.Count(string(log), "events already stored are skipped"))
	if len(kills) == 2 && strings.Contains(kills[1], fmt.Sprintf(" %d change events published", total)) {
		t.Errorf("every event was out before the last SIGKILL: the test did not kill mid-stream")
	}
	if held == 0 {
		t.Errorf("serve held no NATS message at either SIGKILL: the redelivery after ack_wait was not tested")
	}
}

// checkApplied applies the change events a subscriber received as a
// consumer deduplicating on the id does: each once, in per-SKU order
// (the per-SKU sequence only rises), the balances adding up with the
// deltas; it must see total distinct events and end at the ledger's
// figures. It returns the duplicates.
func checkApplied(t *testing.T, name string, evs []stream.Event, total int, skus []string, want map[string]int64) int {
	t.Helper()
	seen := map[string]bool{}
	last := map[string]uint64{}
	applied := map[string]stream.Figures{}
	deltas := map[string]int64{}
	dups := 0
	for _, ev := range evs {
		if seen[ev.ID] {
			dups++
			continue
		}
		seen[ev.ID] = true
		if ev.Data.Partner != "acme-3pl" {
			continue
		}
		pos := ev.Data.SKU + "@" + ev.Data.Location
		if ev.Data.Sequence <= last[pos] {
			t.Errorf("%s: event %s (sequence %d) after sequence %d of %s", name, ev.ID, ev.Data.Sequence, last[pos], pos)
			continue
		}
		last[pos] = ev.Data.Sequence
		if prev := applied[pos]; prev.OnHand+ev.Data.Delta.OnHand != ev.Data.Balance.OnHand {
			t.Errorf("%s: event %s: balance %d is not %d + delta %d: an event of %s is missing", name, ev.ID, ev.Data.Balance.OnHand, prev.OnHand, ev.Data.Delta.OnHand, pos)
		}
		applied[pos] = ev.Data.Balance
		deltas[pos] += ev.Data.Delta.OnHand
	}
	if len(seen) != total {
		t.Errorf("%s: %d distinct change events, want %d (one per input event)", name, len(seen), total)
	}
	for _, sku := range skus {
		pos := sku + "@dallas"
		if applied[pos].OnHand != want[sku] || deltas[pos] != want[sku] {
			t.Errorf("%s: %s: the consumer ends at %d (deltas add up to %d), the ledger at %d", name, pos, applied[pos].OnHand, deltas[pos], want[sku])
		}
	}
	return dups
}

// deliveredEvents are the change events a webhook receiver accepted (2xx),
// in arrival order; a request that fails the receiver's signature check,
// or whose body is not the event its webhook-id names, fails the test.
func deliveredEvents(t *testing.T, recv *whtest.Receiver) []stream.Event {
	t.Helper()
	var out []stream.Event
	for _, r := range recv.Requests(t) {
		if r.Status/100 != 2 {
			continue
		}
		if !r.Verified {
			t.Fatalf("webhook %s failed the receiver's signature check", r.ID)
		}
		ev, err := stream.Unmarshal([]byte(r.Body))
		if err != nil || ev.ID != r.ID {
			t.Fatalf("webhook %s: %v (event %q)", r.ID, err, ev.ID)
		}
		out = append(out, ev)
	}
	return out
}
