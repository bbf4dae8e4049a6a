package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
)

// crashableLease is a node's lease that, once the node has "crashed",
// is not released when its work stops: the next leader waits for the
// term to expire, as after a kill.
type crashableLease struct {
	cluster.Lease
	crashed atomic.Bool
}

func (l *crashableLease) Release(ctx context.Context, term cluster.Term) error {
	if l.crashed.Load() {
		return nil
	}
	return l.Lease.Release(ctx, term)
}

// streamNode is a gateway serving (workers, the leader-only relays) on
// a shared PostgreSQL, in process.
type streamNode struct {
	name  string
	g     *Gateway
	lease *crashableLease
	stop  func()
}

func startStreamNode(t testing.TB, name, url, partnersDir string, set func(*Config), lease cluster.Lease) *streamNode {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers, cfg.Storage = filepath.Join(t.TempDir(), "data"), partnersDir, 1, url
	set(cfg)
	n := &streamNode{name: name, lease: &crashableLease{Lease: lease}}
	g, err := Open(cfg, &Options{Lease: n.lease, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	n.g = g
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, map[string]outbox.Sender{}) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node %s: serve: %v", name, err)
			}
			g.Close()
		})
	}
	t.Cleanup(n.stop)
	return n
}

// startListeningNATS runs an embedded JetStream server on a loopback
// port (the gateway connects by URL) and returns its URL and a client.
func startListeningNATS(t *testing.T) (string, jetstream.JetStream) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); ns.Shutdown(); ns.WaitForShutdown() })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return ns.ClientURL(), js
}

// natsEvents returns the change events on the stream, in stream order.
func natsEvents(t *testing.T, js jetstream.JetStream) []stream.Event {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, stream.DefaultNATSStream)
	if err != nil {
		return nil
	}
	info, err := st.Info(ctx)
	if err != nil || info.State.Msgs == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
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

// checkStream checks what one subscriber received against the ledger:
// after dropping duplicates (same id: a retry, or the next leader
// resuming from the saved cursor), the ids are exactly want, each
// position's events come in per-SKU sequence order, and each position's
// last event carries the ledger's figures. It returns what is missing.
func checkStream(t *testing.T, who string, evs []stream.Event, want map[string]bool, final map[[2]string]ledger.Balance, report bool) int {
	t.Helper()
	seen := map[string]bool{}
	lastSeq := map[[2]string]uint64{}
	lastEv := map[[2]string]stream.Event{}
	for _, e := range evs {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		if !want[e.ID] {
			if report {
				t.Errorf("%s: event %s (%s at %s) is not one it should get", who, e.ID, e.Data.SKU, e.Data.Location)
			}
			continue
		}
		pos := [2]string{e.Data.SKU, e.Data.Location}
		if e.Data.Sequence <= lastSeq[pos] && report {
			t.Errorf("%s: %s at %s: sequence %d after %d (event %s): out of order", who, pos[0], pos[1], e.Data.Sequence, lastSeq[pos], e.ID)
		}
		lastSeq[pos], lastEv[pos] = e.Data.Sequence, e
	}
	missing := 0
	for id := range want {
		if !seen[id] {
			missing++
		}
	}
	if report {
		if missing > 0 {
			t.Errorf("%s: %d of %d events never arrived: a gap", who, missing, len(want))
		}
		for pos, b := range final {
			e, ok := lastEv[pos]
			if !ok {
				continue
			}
			if e.Data.Balance.OnHand != b.OnHand || e.Data.Balance.Available != b.Available() {
				t.Errorf("%s: %s at %s ends at on hand %d, available %d; ledger %d, %d", who, pos[0], pos[1],
					e.Data.Balance.OnHand, e.Data.Balance.Available, b.OnHand, b.Available())
			}
		}
	}
	return missing
}

// TestChangeStreamAcrossNodes: three gateways on one PostgreSQL, with a
// webhook subscriber from the configuration, a partner's own
// subscription (events.webhook, its location only) and the NATS
// publisher. Postings are made on every node; the relays run on the
// leader only. The leader crashes mid-stream (its term is not released:
// the next node waits for it to expire), the next leader resumes from
// the shared cursors, then stops in turn and the last node finishes.
// Each subscriber gets every event it should (Python receivers checking
// the signatures; JetStream), without a gap, in per-SKU order, ending at
// the ledger's figures; a node that does not relay reports the shared
// cursor.
func TestChangeStreamAcrossNodes(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	erpSecret, northSecret := stdwebhooks.NewSecret(), stdwebhooks.NewSecret()
	erp, north := whtest.Start(t, erpSecret.Text()), whtest.Start(t, northSecret.Text())
	erp.SetDelay(t, 15*time.Millisecond) // slow enough that the leader dies mid-stream
	natsURL, js := startListeningNATS(t)
	dir := t.TempDir()
	pdir := filepath.Join(dir, "partners")
	writePartnerHook(t, pdir, "north", "3pl", "N-DAL", "DAL", partnerHookWebhook(north.URL+"/north"), northSecret)
	secretFile := filepath.Join(dir, "erp.whsec")
	if err := os.WriteFile(secretFile, []byte(erpSecret.Text()), 0o600); err != nil {
		t.Fatal(err)
	}
	set := func(c *Config) {
		c.Webhooks.Subscribers = []WebhookSubscriberConfig{{Name: "erp", URL: erp.URL + "/erp", SecretFile: secretFile, FromStart: true}}
		c.Events.Publish.NATS.URL, c.Events.Publish.NATS.FromStart = natsURL, true
	}
	nodes := map[string]*streamNode{}
	var order []string
	for _, name := range []string{"a", "b", "c"} {
		l, err := clusterpg.New(ctx, pool, leaderLease, name, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		nodes[name] = startStreamNode(t, name, url, pdir, set, l)
		order = append(order, name)
	}
	leader := func() string {
		var h string
		pool.QueryRow(ctx, `SELECT holder FROM cluster_leases WHERE name = $1 AND expires_at > now()`, leaderLease).Scan(&h)
		return h
	}
	skus, locs := []string{"S1", "S2", "S3"}, []string{"DAL", "ATL"}
	doc := 0
	postOn := func(names []string, n int) {
		for range n {
			node := nodes[names[doc%len(names)]]
			sku, loc := skus[doc%len(skus)], locs[(doc/len(skus))%len(locs)]
			m := move(ledger.KindReceipt, sku, loc, int64(doc%5+1))
			if doc%4 == 3 {
				m = move(ledger.KindAdjust, sku, loc, -1)
			}
			postAs(t, node.g, "shop", fmt.Sprintf("doc-%d", doc), "", m, move(ledger.KindReceipt, sku, "ATL", 1))
			doc++
		}
	}
	postOn(order, 30)
	var first string
	waitFor(t, "a leader", func() bool { first = leader(); return first != "" })
	waitFor(t, "the leader relaying part of the stream", func() bool { return len(erp.Requests(t)) >= 5 })
	// The leader crashes: its term is left to expire.
	nodes[first].lease.crashed.Store(true)
	nodes[first].stop()
	rest := func(but ...string) []string {
		var out []string
		for _, n := range order {
			if !contains(but, n) {
				out = append(out, n)
			}
		}
		return out
	}
	postOn(rest(first), 30)
	var second string
	waitFor(t, "the next leader", func() bool { second = leader(); return second != "" && second != first })
	postOn(rest(first), 10)
	// The second leader stops (releasing its term) mid-stream too.
	waitFor(t, "the second leader relaying", func() bool { return len(erp.Requests(t)) >= 40 })
	// A node that does not relay reports the shared cursors, not running.
	other := rest(first, second)[0]
	before, err := nodes[other].g.Cursors.Cursors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sts, err := nodes[other].g.StreamStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := nodes[other].g.Cursors.Cursors(ctx)
	// An operator's redelivery on a node that does not relay: the leader
	// takes it up.
	if err := nodes[other].g.subscribers.Redeliver(ctx, "erp", 1); err != nil {
		t.Fatalf("a redelivery on a node that does not relay: %v", err)
	}
	redelivered := func() bool {
		n := 0
		for _, e := range acceptedEvents(t, erp, nil) {
			if e.ID == "1-0" {
				n++
			}
		}
		return n >= 2
	}
	waitFor(t, "the leader to take up the redelivery", redelivered)
	for _, st := range sts {
		key := st.Subscriber
		if st.Kind == "webhook" {
			key = webhookCursorPrefix + key
		}
		if st.Running || !st.Elsewhere || st.Cursor < before[key] || st.Cursor > after[key] || st.Confirmed != st.Cursor || st.Lag != st.Last-st.Cursor {
			t.Errorf("on a node that does not relay: %+v; shared cursor %d..%d", st, before[key], after[key])
		}
	}
	nodes[second].stop()
	last := rest(first, second)[0]
	postOn([]string{last}, 10)

	// What each subscriber should get, from the ledger.
	g := nodes[last].g
	changes, err := g.Ledger.ChangesSince(ctx, 0, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	all, dal := map[string]bool{}, map[string]bool{}
	final := map[[2]string]ledger.Balance{}
	for _, c := range changes {
		for i, m := range c.Movements {
			id := fmt.Sprintf("%d-%d", c.Seq, i)
			all[id] = true
			if m.Location == "DAL" {
				dal[id] = true
			}
			final[[2]string{m.SKU, m.Location}] = balance(t, g, m.SKU, m.Location)
		}
	}
	lastSeq := changes[len(changes)-1].Seq
	if lastSeq != uint64(doc) {
		t.Fatalf("the ledger has %d postings, want %d", lastSeq, doc)
	}
	finalDAL := map[[2]string]ledger.Balance{}
	for pos, b := range final {
		if pos[1] == "DAL" {
			finalDAL[pos] = b
		}
	}
	waitFor(t, "every subscriber to catch up", func() bool {
		return checkStream(t, "erp", acceptedEvents(t, erp, nil), all, final, false) == 0 &&
			checkStream(t, "north", acceptedEvents(t, north, nil), dal, finalDAL, false) == 0 &&
			checkStream(t, "nats", natsEvents(t, js), all, final, false) == 0
	})
	checkStream(t, "erp", acceptedEvents(t, erp, nil), all, final, true)
	checkStream(t, "north", acceptedEvents(t, north, []string{"doc-", "shop"}), dal, finalDAL, true)
	checkStream(t, "nats", natsEvents(t, js), all, final, true)
	for _, e := range acceptedEvents(t, north, nil) {
		if e.Data.Location != "DAL" || e.Data.LocationCode != "N-DAL" {
			t.Fatalf("north got %s at %s (code %q)", e.ID, e.Data.Location, e.Data.LocationCode)
		}
	}

	// The last node relays; the cursors it saved are the ones every node
	// reports, also a stopped one's store (the same database).
	waitFor(t, "the cursors saved", func() bool {
		cur, err := g.Cursors.Cursors(ctx)
		return err == nil && cur[natsSubscriber] == lastSeq && cur[webhookCursorPrefix+"erp"] == lastSeq &&
			cur[webhookCursorPrefix+partnerSubscriberPrefix+"north"] == lastSeq
	})
	sts, err = g.StreamStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, st := range sts {
		names = append(names, st.Subscriber)
		if !st.Running || st.Elsewhere || st.Cursor != lastSeq || st.Lag != 0 {
			t.Errorf("on the relaying node: %+v", st)
		}
	}
	sort.Strings(names)
	if fmt.Sprint(names) != "[erp nats partner.north]" {
		t.Errorf("subscribers %v", names)
	}
	// An operator's redelivery on the relaying node: from change 1 again.
	had := len(erp.Requests(t))
	if err := g.subscribers.Redeliver(ctx, "erp", 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the redelivery", func() bool { return len(erp.Requests(t)) >= had+len(all) })
	checkStream(t, "erp after the redelivery", acceptedEvents(t, erp, nil), all, final, true)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestStreamSubscriberDisabledAcrossNodes: the list of disabled
// subscribers is shared. The leader disables a subscriber whose receiver
// answers 410; every node reports it disabled; after the leader stops,
// the next leader does not deliver to it either; an operator's Enable on
// a node that does not relay is seen by the leader, which delivers from
// the cursor.
func TestStreamSubscriberDisabledAcrossNodes(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	secret := stdwebhooks.NewSecret()
	erp := whtest.Start(t, secret.Text())
	erp.SetStatus(t, 410)
	dir := t.TempDir()
	pdir := filepath.Join(dir, "partners")
	writePartnerHook(t, pdir, "north", "3pl", "N-DAL", "DAL", "", stdwebhooks.NewSecret())
	secretFile := filepath.Join(dir, "erp.whsec")
	if err := os.WriteFile(secretFile, []byte(secret.Text()), 0o600); err != nil {
		t.Fatal(err)
	}
	set := func(c *Config) {
		c.Webhooks.Subscribers = []WebhookSubscriberConfig{{Name: "erp", URL: erp.URL + "/erp", SecretFile: secretFile, FromStart: true}}
	}
	nodes := map[string]*streamNode{}
	for _, name := range []string{"a", "b", "c"} {
		l, err := clusterpg.New(ctx, pool, leaderLease, name, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		nodes[name] = startStreamNode(t, name, url, pdir, set, l)
	}
	leader := func() string {
		var h string
		pool.QueryRow(ctx, `SELECT holder FROM cluster_leases WHERE name = $1 AND expires_at > now()`, leaderLease).Scan(&h)
		return h
	}
	erpStatus := func(n *streamNode) (disabled, running bool) {
		sts, err := n.g.StreamStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			if st.Subscriber == "erp" {
				return st.Disabled, st.Running
			}
		}
		t.Fatal("no subscriber erp")
		return
	}
	postAs(t, nodes["a"].g, "shop", "doc-1", "", move(ledger.KindReceipt, "S1", "DAL", 5))
	waitFor(t, "every node to report erp disabled", func() bool {
		for _, n := range nodes {
			if off, _ := erpStatus(n); !off {
				return false
			}
		}
		return true
	})
	first := leader()
	nodes[first].stop()
	erp.SetStatus(t, 200)
	var second string
	waitFor(t, "the next leader", func() bool { second = leader(); return second != "" && second != first })
	postAs(t, nodes[second].g, "shop", "doc-2", "", move(ledger.KindReceipt, "S1", "DAL", 2))
	var other string
	for name := range nodes {
		if name != first && name != second {
			other = name
		}
	}
	waitFor(t, "the next leader to run its subscribers", func() bool { return nodes[second].g.subscribers.Running() })
	if off, running := erpStatus(nodes[second]); !off || running {
		t.Errorf("on the next leader: disabled %v, running %v; want disabled, not running", off, running)
	}
	if n := len(acceptedEvents(t, erp, nil)); n != 0 {
		t.Fatalf("a disabled subscriber got %d events", n)
	}
	if was, err := nodes[other].g.subscribers.Enable("erp"); err != nil || !was {
		t.Fatalf("Enable on a node that does not relay: %v, %v", was, err)
	}
	waitFor(t, "the leader to deliver after the Enable", func() bool { return len(acceptedEvents(t, erp, nil)) >= 2 })
	evs := acceptedEvents(t, erp, nil)
	if evs[0].ID != "1-0" || evs[1].ID != "2-0" || evs[1].Data.Balance.OnHand != 7 {
		t.Errorf("after the Enable: %s, %s (on hand %d); want 1-0, 2-0 at 7", evs[0].ID, evs[1].ID, evs[1].Data.Balance.OnHand)
	}
}

// TestRelaysWakeOnNotification: on PostgreSQL the relays' source wakes
// at another node's notification of its commits, not only at the
// ledger's next poll of the change sequence (which sees no change here).
func TestRelaysWakeOnNotification(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	dir := t.TempDir()
	pdir := filepath.Join(dir, "partners")
	writePartnerHook(t, pdir, "north", "3pl", "N-DAL", "DAL", "", stdwebhooks.NewSecret())
	l, err := clusterpg.New(ctx, pool, leaderLease, "a", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n := startStreamNode(t, "a", pool.Config().ConnString(), pdir, func(*Config) {}, l)
	woken := n.g.changeSource().Committed()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := pool.Exec(ctx, "SELECT pg_notify($1, '')", ledgerChannel); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woken:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("a notification did not wake the relays' source")
		}
	}
}
