// Package broadcasttest holds the contract every broadcast.Store
// implementation passes: run RunStoreContract from the implementation's
// tests. Property runs the broadcaster's property test (random changes,
// advice, failures, acknowledgements and restarts settle on the policy)
// on the stores of one backend, bbolt or PostgreSQL.
package broadcasttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/mapping"
)

// RunStoreContract runs the contract's cases, each on a new empty store
// from open (closed by the case).
func RunStoreContract(t *testing.T, open func(t *testing.T) broadcast.Store) {
	cases := []struct {
		name string
		run  func(t *testing.T, s broadcast.Store)
	}{
		{"not sent changes no belief", notSent},
		{"queued figures are possible, delivered ones held", queuedThenDelivered},
		{"a full advice replaces, a delta updates", fullReplacesDeltaUpdates},
		{"failed stays possible, superseded does not", failedAndSuperseded},
		{"delivery is final", deliveryIsFinal},
		{"a rejection makes the figures unknown", rejected},
		{"examined only moves forward", examined},
		{"partners are apart; lists newest first", partnersApart},
		{"unknown broadcast", unknownBroadcast},
		{"a Record whose context ended records nothing", recordContextEnded},
		{"a partner's lock has one holder at a time", partnerLock},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			c.run(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func lines(kv ...any) []mapping.AdviceLine {
	var out []mapping.AdviceLine
	for i := 0; i < len(kv); i += 2 {
		out = append(out, mapping.AdviceLine{SKU: kv[i].(string), PartnerID: kv[i].(string), Quantity: int64(kv[i+1].(int))})
	}
	return out
}

func record(t *testing.T, s broadcast.Store, partner, mode string, seq uint64, d broadcast.Delivery, ls []mapping.AdviceLine) broadcast.Broadcast {
	t.Helper()
	b := broadcast.Broadcast{Partner: partner, Time: t0, Mode: mode, Seq: seq, Items: len(ls), Delivery: d}
	if err := s.Record(context.Background(), &b, ls); err != nil {
		t.Fatal(err)
	}
	if b.ID == 0 {
		t.Fatal("Record set no id")
	}
	return b
}

func update(t *testing.T, s broadcast.Store, id uint64, f broadcast.Fate) {
	t.Helper()
	if err := s.Update(id, f); err != nil {
		t.Fatal(err)
	}
}

func delivered(ack broadcast.Ack) broadcast.Fate {
	return broadcast.Fate{Delivery: broadcast.DeliveryDelivered, DeliveredAt: t0.Add(time.Minute), Ack: ack}
}

func beliefs(t *testing.T, s broadcast.Store, partner string) *broadcast.Beliefs {
	t.Helper()
	b, err := s.Beliefs(partner)
	if err != nil {
		t.Fatal(err)
	}
	held, err := s.Believes(partner)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(held) != fmt.Sprint(b.Held) {
		t.Fatalf("Believes %v, Beliefs.Held %v", held, b.Held)
	}
	return b
}

func openIDs(t *testing.T, s broadcast.Store) []uint64 {
	t.Helper()
	open, err := s.Open()
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, b := range open {
		ids = append(ids, b.ID)
	}
	return ids
}

func notSent(t *testing.T, s broadcast.Store) {
	b := record(t, s, "shop", broadcast.ModeFull, 7, broadcast.DeliveryNotSent, lines("A", 1))
	if bs := beliefs(t, s, "shop"); len(bs.Held)+len(bs.Possible) != 0 {
		t.Errorf("a broadcast not sent changed beliefs: %+v", bs)
	}
	ps, _ := s.Partner("shop")
	if ps.Last != b.ID || ps.LastSent != 0 || ps.Examined != 0 {
		t.Errorf("partner state %+v", ps)
	}
	if ids := openIDs(t, s); len(ids) != 0 {
		t.Errorf("open: %v", ids)
	}
	if err := s.Update(b.ID, delivered("")); !errors.Is(err, broadcast.ErrState) {
		t.Errorf("updating a broadcast not sent: %v", err)
	}
	if told, _ := s.Told(b.ID); told["A"] != 1 {
		t.Errorf("told %v", told)
	}
}

func queuedThenDelivered(t *testing.T, s broadcast.Store) {
	b := record(t, s, "shop", broadcast.ModeFull, 7, broadcast.DeliveryQueued, lines("A", 5, "B", 0))
	if ps, _ := s.Partner("shop"); ps.LastSent != 0 || ps.Examined != 0 {
		t.Errorf("recorded, not yet queued: partner state %+v", ps)
	}
	if err := s.SetOutbox(b.ID, []uint64{41}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Partner("shop"); ps.LastSent != b.ID || ps.Examined != 7 {
		t.Errorf("partner state %+v", ps)
	}
	bs := beliefs(t, s, "shop")
	if len(bs.Held) != 0 || fmt.Sprint(bs.Possible) != "map[A:[5] B:[0]]" || bs.Agrees("A", 5) {
		t.Fatalf("queued: %+v", bs)
	}
	update(t, s, b.ID, delivered(broadcast.AckPending))
	bs = beliefs(t, s, "shop")
	if fmt.Sprint(bs.Held) != "map[A:5 B:0]" || len(bs.Possible) != 0 || !bs.Agrees("A", 5) || bs.Agrees("A", 4) {
		t.Fatalf("delivered: %+v", bs)
	}
	got, _ := s.Get(b.ID)
	if got.Delivery != broadcast.DeliveryDelivered || got.State != broadcast.StateAwaitingAck || !got.DeliveredAt.Equal(t0.Add(time.Minute)) || !slices.Equal(got.Outbox, []uint64{41}) {
		t.Errorf("broadcast %+v", got)
	}
	if ids := openIDs(t, s); !slices.Equal(ids, []uint64{b.ID}) {
		t.Errorf("awaiting its ack, open: %v", ids)
	}
	update(t, s, b.ID, delivered(broadcast.AckAccepted))
	if ids := openIDs(t, s); len(ids) != 0 {
		t.Errorf("accepted, open: %v", ids)
	}
}

func fullReplacesDeltaUpdates(t *testing.T, s broadcast.Store) {
	a := record(t, s, "shop", broadcast.ModeFull, 1, broadcast.DeliveryQueued, lines("A", 5, "B", 6))
	update(t, s, a.ID, delivered(""))
	d := record(t, s, "shop", broadcast.ModeDelta, 2, broadcast.DeliveryQueued, lines("B", 9, "C", 1))
	update(t, s, d.ID, delivered(""))
	if bs := beliefs(t, s, "shop"); fmt.Sprint(bs.Held) != "map[A:5 B:9 C:1]" {
		t.Fatalf("after the delta: %v", bs.Held)
	}
	f := record(t, s, "shop", broadcast.ModeFull, 3, broadcast.DeliveryQueued, lines("A", 2))
	update(t, s, f.ID, delivered(""))
	if bs := beliefs(t, s, "shop"); fmt.Sprint(bs.Held) != "map[A:2]" {
		t.Fatalf("after the full advice: %v", bs.Held)
	}
}

func failedAndSuperseded(t *testing.T, s broadcast.Store) {
	a := record(t, s, "shop", broadcast.ModeFull, 1, broadcast.DeliveryQueued, lines("A", 5))
	update(t, s, a.ID, delivered(""))
	b := record(t, s, "shop", broadcast.ModeDelta, 2, broadcast.DeliveryQueued, lines("A", 8))
	update(t, s, b.ID, broadcast.Fate{Delivery: broadcast.DeliveryFailed})
	bs := beliefs(t, s, "shop")
	if bs.Held["A"] != 5 || fmt.Sprint(bs.Possible["A"]) != "[8]" || bs.Agrees("A", 5) || bs.Agrees("A", 8) {
		t.Fatalf("failed: %+v", bs)
	}
	if got, _ := s.Get(b.ID); got.State != broadcast.StateFailed {
		t.Errorf("state %s", got.State)
	}
	update(t, s, b.ID, broadcast.Fate{Delivery: broadcast.DeliverySuperseded})
	bs = beliefs(t, s, "shop")
	if len(bs.Possible) != 0 || !bs.Agrees("A", 5) {
		t.Fatalf("superseded: %+v", bs)
	}
	if ids := openIDs(t, s); len(ids) != 0 {
		t.Errorf("open: %v", ids)
	}
}

func deliveryIsFinal(t *testing.T, s broadcast.Store) {
	a := record(t, s, "shop", broadcast.ModeFull, 1, broadcast.DeliveryQueued, lines("A", 5))
	update(t, s, a.ID, delivered(""))
	update(t, s, a.ID, broadcast.Fate{Delivery: broadcast.DeliveryFailed})
	if got, _ := s.Get(a.ID); got.Delivery != broadcast.DeliveryDelivered {
		t.Errorf("a delivered broadcast became %s", got.Delivery)
	}
	// Two deliveries apply in the order they are told: the later one holds.
	b := record(t, s, "shop", broadcast.ModeDelta, 2, broadcast.DeliveryQueued, lines("A", 7))
	c := record(t, s, "shop", broadcast.ModeDelta, 3, broadcast.DeliveryQueued, lines("A", 9))
	update(t, s, c.ID, delivered(""))
	update(t, s, b.ID, delivered(""))
	if bs := beliefs(t, s, "shop"); bs.Held["A"] != 7 {
		t.Errorf("held %v after the older advice arrived last", bs.Held)
	}
	// Several at once apply in their order too; a bad one applies none.
	d := record(t, s, "shop", broadcast.ModeDelta, 4, broadcast.DeliveryQueued, lines("A", 11))
	e := record(t, s, "shop", broadcast.ModeDelta, 5, broadcast.DeliveryQueued, lines("A", 12))
	if err := s.UpdateMany([]broadcast.FateUpdate{{ID: e.ID, Fate: delivered("")}, {ID: 99, Fate: delivered("")}}); !errors.Is(err, broadcast.ErrNotFound) {
		t.Errorf("an unknown broadcast among many: %v", err)
	}
	if got, _ := s.Get(e.ID); got.Delivery != broadcast.DeliveryQueued {
		t.Errorf("a failed UpdateMany applied %s", got.Delivery)
	}
	if err := s.UpdateMany([]broadcast.FateUpdate{{ID: e.ID, Fate: delivered("")}, {ID: d.ID, Fate: delivered("")}}); err != nil {
		t.Fatal(err)
	}
	if bs := beliefs(t, s, "shop"); bs.Held["A"] != 11 {
		t.Errorf("held %v after two deliveries at once", bs.Held)
	}
}

func rejected(t *testing.T, s broadcast.Store) {
	a := record(t, s, "shop", broadcast.ModeFull, 1, broadcast.DeliveryQueued, lines("A", 5, "B", 6))
	update(t, s, a.ID, delivered(broadcast.AckPending))
	b := record(t, s, "shop", broadcast.ModeDelta, 2, broadcast.DeliveryQueued, lines("B", 7))
	update(t, s, b.ID, delivered(broadcast.AckPending))
	update(t, s, a.ID, delivered(broadcast.AckRejected))
	bs := beliefs(t, s, "shop")
	// A's figure came from the rejected advice; B's from a later one.
	if !bs.Unknown["A"] || bs.Unknown["B"] || bs.Agrees("A", 5) || !bs.Agrees("B", 7) {
		t.Fatalf("after the rejection: %+v", bs)
	}
	if got, _ := s.Get(a.ID); got.State != broadcast.StateRejected {
		t.Errorf("state %s", got.State)
	}
	c := record(t, s, "shop", broadcast.ModeDelta, 3, broadcast.DeliveryQueued, lines("A", 5))
	update(t, s, c.ID, delivered(""))
	if bs := beliefs(t, s, "shop"); bs.Unknown["A"] || !bs.Agrees("A", 5) {
		t.Fatalf("after a new delivery: %+v", bs)
	}
}

func examined(t *testing.T, s broadcast.Store) {
	if err := s.Examined("shop", 9); err != nil {
		t.Fatal(err)
	}
	s.Examined("shop", 4)
	b := record(t, s, "shop", broadcast.ModeDelta, 6, broadcast.DeliveryQueued, lines("A", 1))
	s.SetOutbox(b.ID, []uint64{1})
	if ps, _ := s.Partner("shop"); ps.Examined != 9 {
		t.Errorf("examined %d, want 9", ps.Examined)
	}
}

func partnersApart(t *testing.T, s broadcast.Store) {
	a := record(t, s, "shop", broadcast.ModeFull, 1, broadcast.DeliveryQueued, lines("A", 5))
	b := record(t, s, "mall", broadcast.ModeFull, 1, broadcast.DeliveryQueued, lines("A", 3))
	update(t, s, a.ID, delivered(""))
	if bs := beliefs(t, s, "mall"); len(bs.Held) != 0 || fmt.Sprint(bs.Possible) != "map[A:[3]]" {
		t.Errorf("mall: %+v", bs)
	}
	c := record(t, s, "shop", broadcast.ModeDelta, 2, broadcast.DeliveryNotSent, lines("A", 4))
	all, _ := s.List("", 10)
	shop, _ := s.List("shop", 1)
	if len(all) != 3 || all[0].ID != c.ID || all[2].ID != a.ID || len(shop) != 1 || shop[0].ID != c.ID {
		t.Errorf("lists: %+v / %+v", all, shop)
	}
	_ = b
}

func unknownBroadcast(t *testing.T, s broadcast.Store) {
	if _, err := s.Get(99); !errors.Is(err, broadcast.ErrNotFound) {
		t.Errorf("get: %v", err)
	}
	if err := s.Update(99, delivered("")); !errors.Is(err, broadcast.ErrNotFound) {
		t.Errorf("update: %v", err)
	}
}

func recordContextEnded(t *testing.T, s broadcast.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := broadcast.Broadcast{Partner: "shop", Time: t0, Mode: broadcast.ModeFull, Seq: 1, Delivery: broadcast.DeliveryQueued}
	if err := s.Record(ctx, &b, lines("A", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Record with its context cancelled: %v, want context.Canceled", err)
	}
	if list, err := s.List("", 10); err != nil || len(list) != 0 {
		t.Errorf("broadcasts after it: %v, %v; want none", list, err)
	}
	if bs := beliefs(t, s, "shop"); len(bs.Possible) != 0 {
		t.Errorf("possible figures after it: %v, want none", bs.Possible)
	}
	if ps, _ := s.Partner("shop"); ps.Last != 0 {
		t.Errorf("partner's last broadcast after it: %d, want none", ps.Last)
	}
}

// partnerLock: on a store several processes share (broadcast.PartnerLocker),
// a partner's lock has one holder at a time, which Building sees; a
// second LockPartner waits for the release or fails when its context
// ends; partners are apart. A store of one process has no such lock
// (the Broadcaster's own lock is the only one): skipped.
func partnerLock(t *testing.T, s broadcast.Store) {
	locker, ok := s.(broadcast.PartnerLocker)
	if !ok {
		t.Skipf("%T is opened by one process only: the Broadcaster's own lock serves", s)
	}
	ctx := context.Background()
	building := func(partner string, want bool) {
		t.Helper()
		if got, err := locker.Building(ctx, partner); err != nil || got != want {
			t.Errorf("Building(%s) = %v, %v; want %v", partner, got, err, want)
		}
	}
	building("shop", false) // never locked
	first, err := locker.LockPartner(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	building("shop", true)
	building("mall", false)
	if err := first.Held(ctx); err != nil {
		t.Errorf("Held: %v", err)
	}
	mall, err := locker.LockPartner(ctx, "mall")
	if err != nil {
		t.Fatalf("another partner's lock while shop's is held: %v", err)
	}
	mall.Release()
	building("mall", false)

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if l, err := locker.LockPartner(short, "shop"); err == nil {
		l.Release()
		t.Fatal("a second holder of shop's lock")
	}
	type taken struct {
		l   broadcast.PartnerLock
		err error
	}
	second := make(chan taken, 1)
	go func() { l, err := locker.LockPartner(ctx, "shop"); second <- taken{l, err} }()
	select {
	case got := <-second:
		if got.err == nil {
			got.l.Release()
		}
		t.Fatalf("a second holder while the first holds it: %v", got.err)
	case <-time.After(200 * time.Millisecond):
	}
	first.Release()
	first.Release() // twice is harmless
	got := <-second
	if got.err != nil {
		t.Fatalf("the waiting holder after the release: %v", got.err)
	}
	building("shop", true)
	got.l.Release()
	building("shop", false)
}
