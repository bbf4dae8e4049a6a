package gateway

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/ledger"
)

// TestClusterAdviceOnTwoNodesStaysTrue: an operator's advice on the
// follower (full, as the API builds it) races the leader's delta for the
// same partner, the ledger changing between them, round after round; once
// every advice is delivered, what the channel holds of every SKU is what
// its policy lets it sell from the ledger now (Figures), none possible or
// unknown besides, and no advice was marked not sent. Before a partner's
// lock held across the nodes, the full advice built from the older
// ledger read could be recorded last and supersede the newer delta.
func TestClusterAdviceOnTwoNodesStaysTrue(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	lease := func(holder string) *Options {
		l, err := clusterpg.New(ctx, pool, leaderLease, holder, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return &Options{Lease: l}
	}
	nodes := map[string]*clusterNode{"a": startClusterNode(t, url, lease("a")), "b": startClusterNode(t, url, lease("b"))}
	var leaderID string
	waitFor(t, "a leader", func() bool {
		pool.QueryRow(ctx, `SELECT holder FROM cluster_leases WHERE name = $1 AND expires_at > now()`, leaderLease).Scan(&leaderID)
		return leaderID != ""
	})
	leader, follower := nodes["a"], nodes["b"]
	if leaderID == "b" {
		leader, follower = follower, leader
	}
	const partner = "shopmart"
	skus := []string{"WIDGET-RED", "WIDGET-BLUE", "GADGET-S"}
	post := func(key, sku, loc string, q int64) {
		t.Helper()
		if _, err := leader.g.Ledger.Post(ctx, ledger.Document{Key: key, Movements: []ledger.Movement{{SourceKey: key, SKU: sku,
			Location: loc, Kind: ledger.KindReceipt, Quantity: q}}}); err != nil {
			t.Fatal(err)
		}
	}
	for i, sku := range skus {
		post("stock-"+sku, sku, "dallas", int64(40+10*i))
	}
	if _, err := leader.g.Advice.Broadcast(ctx, partner, broadcast.Options{Send: true}); err != nil {
		t.Fatal(err)
	}
	const rounds = 8
	for r := range rounds {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { // the operator's "send advice now" on the follower
			defer wg.Done()
			_, errs[0] = follower.g.adviceNow(ctx, partner, false, true)
		}()
		go func() { // a change, and the leader's delta after it
			defer wg.Done()
			post(fmt.Sprint("round-", r), skus[r%len(skus)], []string{"dallas", "reno"}[r%2], int64(7+r))
			_, errs[1] = leader.g.Advice.Broadcast(ctx, partner, broadcast.Options{Delta: true, Send: true})
		}()
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", r, err)
			}
		}
	}
	store := leader.g.Advice.Store
	waitFor(t, "every advice delivered or superseded", func() bool {
		list, err := store.List(partner, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range list {
			if b.Delivery == broadcast.DeliveryNotSent {
				t.Fatalf("advice %d (%s, seq %d) marked not sent: its messages were queued", b.ID, b.Mode, b.Seq)
			}
			if b.Delivery != broadcast.DeliveryDelivered && b.Delivery != broadcast.DeliverySuperseded {
				return false
			}
		}
		return true
	})
	want, err := leader.g.Advice.Figures(ctx, partner)
	if err != nil {
		t.Fatal(err)
	}
	beliefs, err := store.Beliefs(partner)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(skus) {
		t.Fatalf("figures %v, want one per SKU of %v", want, skus)
	}
	for sku, q := range want {
		if !beliefs.Agrees(sku, q) {
			t.Errorf("%s: the channel holds %d (possible %v, unknown %v), its policy lets it sell %d",
				sku, beliefs.Held[sku], beliefs.Possible[sku], beliefs.Unknown[sku], q)
		}
	}
	if len(beliefs.Held) != len(want) {
		t.Errorf("the channel holds %v, want %v", beliefs.Held, want)
	}
}
