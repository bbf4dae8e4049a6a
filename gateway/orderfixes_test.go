package gateway

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// TestReplaceAfterPartialShipment: a replace (940 W05-01 R) of an order
// its warehouse shipped part of allocates what is still open of each
// line (ordered − shipped), not the full quantity again.
func TestReplaceAfterPartialShipment(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 23, 31, 0, 0, time.UTC)}
	g := openShipTest(t, clock)
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	// 2 of the 5 red shipped, backorder: 3 red and 2 blue stay allocated.
	m945 := ingest(t, g, "acme-3pl", write945(t, 601, "SO-9001", "BOL-1", [2]string{"W12*BP*5*2*3*EA**VN*AC-1001", "2"}))[0]
	if m945.State != inbox.Done {
		t.Fatalf("partial 945: %s %v", m945.State, m945.Errors)
	}
	// Each step names where it came from: the 945's message, the 940's outbox message.
	rec := orderRecord(t, g)
	if last := rec.Events[len(rec.Events)-1]; last.What != "shipped" || last.Message != m945.ID {
		t.Errorf("last step %+v, want shipped from message %d", last, m945.ID)
	}
	if first := rec.Events[0]; first.What != "received" || first.Message == 0 {
		t.Errorf("first step %+v names no message", first)
	}
	want := func(step string, red, blue int64) {
		t.Helper()
		if r, b := balance(t, g, "WIDGET-RED", "dallas").Allocated, balance(t, g, "WIDGET-BLUE", "dallas").Allocated; r != red || b != blue {
			t.Errorf("%s: allocated red %d blue %d, want %d %d", step, r, b, red, blue)
		}
	}
	want("after the partial 945", 3, 2)
	tests := []struct {
		name      string
		red, blue string // the replace's W01 quantities
		wantRed   int64
		wantBlue  int64
	}{
		{"same lines", "5", "2", 3, 2},
		{"fewer red", "3", "2", 1, 2},
		{"red down to what shipped", "2", "2", 0, 2},
		{"more blue", "2", "4", 0, 4},
	}
	for i, tc := range tests {
		n := 41 + i
		f := resend940(t, "order-940-change.edi", tc.name+".edi", "0000000"+itoa(n), itoa(n),
			"W01*3*EA**VN*SM-88001", "W01*"+tc.red+"*EA**VN*SM-88001", "W01*2*EA**VN*SM-88002", "W01*"+tc.blue+"*EA**VN*SM-88002")
		m := ingest(t, g, "shopmart", f)[0]
		if i == 0 {
			// The first replace names the lines the order already has.
			if m.State != inbox.Duplicate && m.State != inbox.Done {
				t.Fatalf("%s: %s %v", tc.name, m.State, m.Errors)
			}
		} else if m.State != inbox.Done {
			t.Fatalf("%s: %s %v", tc.name, m.State, m.Errors)
		}
		want(tc.name, tc.wantRed, tc.wantBlue)
	}
	if err := g.Ledger.Verify(context.Background()); err != nil {
		t.Error(err)
	}
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// TestOrderBookSeededWith850: an 850 a version without the order book
// posted is known after the upgrade: re-sent, a duplicate; cancelled,
// found and released.
func TestOrderBookSeededWith850(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	p, _ := g.Partners().ByID("shopmart")
	body, _ := os.ReadFile(samples + "/shopmart/po-850.edi")
	old := mapSets(t, mapping.New(p), body, false)
	if _, err := g.Ledger.Post(ctx, old[0].Document()); err != nil {
		t.Fatal(err)
	}
	g.orders.close()
	os.Remove(filepath.Join(g.Config.Data, "orders.db"))
	st, err := orders.OpenBolt(filepath.Join(g.Config.Data, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	if g.orders, err = openOrderBook(ctx, st, g.Ledger, g.log, g.now, g.routeOrder); err != nil {
		t.Fatal(err)
	}
	rec, err := g.orders.get(ctx, mapping.KindOrder, "shopmart", "PO-7001")
	if err != nil || rec == nil || !rec.Open || len(rec.Lines) != 2 || rec.By.Document != old[0].Key {
		t.Fatalf("seeded 850 order: %+v %v", rec, err)
	}
	again := ingest(t, g, "shopmart", resend850(t, "po-850.edi", "again.edi", "2101", "0915", "000000061", "61"))[0]
	if again.State != inbox.Duplicate || again.Result.Movements != 0 {
		t.Errorf("pre-upgrade 850 re-sent: %s %+v %v", again.State, again.Result, again.Errors)
	}
	if m := ingest(t, g, "shopmart", samples+"/shopmart/po-850-cancel.edi")[0]; m.State != inbox.Done {
		t.Errorf("cancel of a pre-upgrade 850: %s %v", m.State, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 0 {
		t.Errorf("WIDGET-RED allocated %d after the cancel, want 0", b.Allocated)
	}
}
