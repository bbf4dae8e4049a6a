package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/outbox"
)

// skusFromCSV is a table from our SKU to the 3PL's vendor item.
const skusFromCSV = `
  acme_skus_out:
    file: tables/acme-items.csv
    keys: [sku]
    value: vendor_item
`

// demoWarehouse starts the example ACME profile's warehouse advices
// (945, 943, 944, 947) and its fulfils section, at the end of the file:
// tests that bring their own cut the profile there (withoutDemoWarehouse).
const demoWarehouse = "\n  # The warehouse advices and the orders they ship"

// withoutDemoWarehouse returns the example ACME profile b without its
// warehouse advices and fulfils section.
func withoutDemoWarehouse(b []byte) []byte {
	if i := bytes.Index(b, []byte(demoWarehouse)); i >= 0 {
		return append(b[:i:i], '\n')
	}
	return b
}

// openWarehouseTest opens a test gateway whose acme-3pl fulfils Dallas
// (DAL1) and Reno (RNO2), its item ids from table (YAML defining the
// table acme_skus_out), and whose clock is clock.
func openWarehouseTest(t *testing.T, clock *fakeClock, table string) *Gateway {
	t.Helper()
	g, dir := openTest(t, clock)
	file := filepath.Join(dir, "acme-3pl.yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(withoutDemoWarehouse(b), []byte("\ntables:\n"), []byte("\ntables:"+table), 1)
	b = append(b, "\nfulfils:\n  locations: {dallas: DAL1, reno: RNO2}\n  items: {qualifier: VN, lookup: acme_skus_out}\n  ship_within: 2d\n"...)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	return g
}

// sent940s returns the 940s in acme-3pl's outbox, oldest first, with
// their bodies.
func sent940s(t *testing.T, g *Gateway) ([]*outbox.Message, []string) {
	t.Helper()
	ms, err := g.Outbox.List(outbox.Filter{Partner: "acme-3pl", Kind: "940"})
	if err != nil {
		t.Fatal(err)
	}
	bodies := make([]string, len(ms))
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	for i, m := range ms {
		b, err := g.Outbox.Body(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = string(b)
	}
	return ms, bodies
}

// checkSegments fails unless the body holds every segment and passes our
// own 940 spec.
func checkSegments(t *testing.T, g *Gateway, what, body string, segments ...string) {
	t.Helper()
	for _, s := range segments {
		if !strings.Contains(body, s+"~") && !strings.Contains(body, s+"*") {
			t.Errorf("%s: no %s in\n%s", what, s, body)
		}
	}
	rep, err := x12.CheckConcurrent(context.Background(), strings.NewReader(body), g.Specs, nil, func(tr *x12.Transaction, sr *x12.SetResult) error {
		if sr.Status != x12.StatusAccepted {
			t.Errorf("%s: our 940 fails its spec: %+v", what, sr)
		}
		return nil
	})
	if err != nil || rep.Err != nil {
		t.Errorf("%s: checking our 940: %v %v", what, err, rep.Err)
	}
}

func orderRecord(t *testing.T, g *Gateway) *orders.Record {
	t.Helper()
	r, err := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001")
	if err != nil || r == nil {
		t.Fatalf("order record: %v %v", r, err)
	}
	return r
}

// TestOrderSentToWarehouse: a channel's 940 allocating at a location a
// 3PL fulfils produces one 940 in the 3PL's outbox, with its item ids,
// identities and control numbers; re-sent under new control numbers,
// nothing more; a change sends a 940 change, a cancel a 940 cancel.
func TestOrderSentToWarehouse(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 23, 31, 0, 0, time.UTC)}
	g := openWarehouseTest(t, clock, skusFromCSV)

	first := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]
	if first.State != inbox.Done {
		t.Fatalf("order: %s %v", first.State, first.Errors)
	}
	ms, bodies := sent940s(t, g)
	if len(ms) != 1 {
		t.Fatalf("%d 940s to acme-3pl, want 1", len(ms))
	}
	m := ms[0]
	if m.Transport != "sftp" || m.AckState != outbox.AckPending || m.Meta["order_number"] != "SO-9001" {
		t.Errorf("940 message: %+v", m)
	}
	checkSegments(t, g, "new", bodies[0], "ISA*00*          *00*          *ZZ*DOCKSIDE       *ZZ*ACME3PL        *261125*2331*U*00401*"+m.Interchange,
		"GS*OW*DOCKSIDE*ACME3PL*20261125*2331*"+m.Groups[0], "W05*N*SO-9001*PO-SO-9001", "N1*ST*Jane Buyer", "N3*1 Main St",
		"N1*WH**92*DAL1", "LX*1", "W01*2*EA**VN*AC-1002", "N9*LI*1", "LX*2", "W01*5*EA**VN*AC-1001", "N9*LI*2", "W76*7")
	r := orderRecord(t, g)
	if st := r.Status(); st != orders.Sent || len(r.Dispatches) != 1 || r.Dispatches[0].Sends[0].Outbox != m.ID ||
		r.Dispatches[0].Sends[0].Interchange != m.Interchange || r.Dispatches[0].Lines[1].Item != "AC-1001" {
		t.Errorf("record after the order: %s %+v", st, r.Dispatches)
	}

	// Re-sent under new control numbers: a duplicate, no second 940.
	again := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "again.edi", "000000017", "17"))[0]
	if again.State != inbox.Duplicate {
		t.Errorf("re-sent order: %s %v", again.State, again.Errors)
	}
	if ms, _ := sent940s(t, g); len(ms) != 1 {
		t.Errorf("re-sent order: %d 940s, want 1", len(ms))
	}

	// R: a 940 change with the new lines.
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940-change.edi")[0]; m.State != inbox.Done {
		t.Fatalf("change: %s %v", m.State, m.Errors)
	}
	ms, bodies = sent940s(t, g)
	if len(ms) != 2 {
		t.Fatalf("after the change: %d 940s, want 2", len(ms))
	}
	checkSegments(t, g, "change", bodies[1], "W05*R*SO-9001*PO-SO-9001", "W01*3*EA**VN*AC-1001", "W01*2*EA**VN*AC-1002")
	if ms[1].Interchange == ms[0].Interchange {
		t.Errorf("the change reuses interchange %s", ms[0].Interchange)
	}

	// F: a 940 cancel.
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940-cancel.edi")[0]; m.State != inbox.Done {
		t.Fatalf("cancel: %s %v", m.State, m.Errors)
	}
	ms, bodies = sent940s(t, g)
	if len(ms) != 3 {
		t.Fatalf("after the cancel: %d 940s, want 3", len(ms))
	}
	checkSegments(t, g, "cancel", bodies[2], "W05*F*SO-9001*PO-SO-9001", "N1*WH**92*DAL1")
	r = orderRecord(t, g)
	if st := r.Status(); st != orders.Cancelled || r.Revision != 3 || len(r.Dispatches[0].Sends) != 3 || !r.Dispatches[0].Cancelled {
		t.Errorf("record after the cancel: %s revision %d %+v", st, r.Revision, r.Dispatches)
	}
	// The cancel re-sent: nothing more.
	if m := ingest(t, g, "shopmart", resend940(t, "order-940-cancel.edi", "cancel-again.edi", "000000021", "21"))[0]; m.State != inbox.Duplicate {
		t.Errorf("cancel re-sent: %s %v", m.State, m.Errors)
	}
	if ms, _ := sent940s(t, g); len(ms) != 3 {
		t.Errorf("cancel re-sent: %d 940s, want 3", len(ms))
	}
}

// TestOrderToWarehouseAfterCrash: the process killed after the 940 was
// queued but before the order's record was written: the message
// processed again queues no second 940, and the record names the first.
func TestOrderToWarehouseAfterCrash(t *testing.T) {
	g := openWarehouseTest(t, nil, skusFromCSV)
	ctx := context.Background()
	for _, f := range []string{"order-940.edi", "order-940-change.edi", "order-940-cancel.edi"} {
		before, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001")
		m := ingest(t, g, "shopmart", samples+"/shopmart/"+f)[0]
		if m.State != inbox.Done {
			t.Fatalf("%s: %s %v", f, m.State, m.Errors)
		}
		want, _ := sent940s(t, g)
		// The record as it was before the message: the crash.
		if before == nil {
			g.orders.store.Delete(ctx, mapping.KindOrder, "shopmart", "SO-9001")
		} else if err := g.orders.put(before); err != nil {
			t.Fatal(err)
		}
		o, err := g.Process(ctx, m)
		if err != nil || o.State != inbox.Done || o.Result.Movements != 0 {
			t.Errorf("%s processed again: %+v %v %v", f, o, err, o.Errors)
		}
		got, _ := sent940s(t, g)
		if len(got) != len(want) {
			t.Fatalf("%s processed again: %d 940s, want %d", f, len(got), len(want))
		}
		r := orderRecord(t, g)
		d := r.Dispatches[0]
		last := d.Sends[len(d.Sends)-1]
		if len(d.Sends) != len(want) || last.Outbox != want[len(want)-1].ID || last.Interchange != want[len(want)-1].Interchange {
			t.Errorf("%s processed again: record sends %+v, outbox %d 940s (last %d)", f, d.Sends, len(want), want[len(want)-1].ID)
		}
	}
}

// TestWarehouseAcknowledgesOrder: the 3PL's 997 for our 940 moves the
// order to acknowledged; without it, past acks.expect_within, the order
// is overdue; past fulfils.ship_within without a 945, overdue too.
func TestWarehouseAcknowledgesOrder(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 23, 31, 0, 0, time.UTC)}
	g := openWarehouseTest(t, clock, skusFromCSV)
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	ms, _ := sent940s(t, g)
	r := orderRecord(t, g)
	if od := r.Overdue(clock.t.Add(5 * time.Hour)); len(od) != 1 || !strings.Contains(od[0], "no 997 from acme-3pl") {
		t.Errorf("5 hours on, no 997: overdue %q", od)
	}
	ack := fmt.Sprintf("ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261126*0100*U*00401*000000501*0*P*>~\n"+
		"GS*FA*ACME3PL*DOCKSIDE*20261126*0100*501*X*004010~\nST*997*0001~\nAK1*OW*%s~\nAK9*A*1*1*1~\nSE*4*0001~\nGE*1*501~\nIEA*1*000000501~\n", ms[0].Groups[0])
	file := filepath.Join(t.TempDir(), "997.edi")
	os.WriteFile(file, []byte(ack), 0o644)
	if m := ingest(t, g, "acme-3pl", file)[0]; m.State != inbox.Done {
		t.Fatalf("997: %s %v", m.State, m.Errors)
	}
	r = orderRecord(t, g)
	if st := r.Status(); st != orders.Acknowledged || r.Dispatches[0].Sends[0].AckState != string(outbox.AckAccepted) {
		t.Errorf("after the 997: %s %+v", st, r.Dispatches[0].Sends)
	}
	if od := r.Overdue(clock.t.Add(5 * time.Hour)); len(od) != 0 {
		t.Errorf("acknowledged, 5 hours on: overdue %q", od)
	}
	if od := r.Overdue(clock.t.Add(49 * time.Hour)); len(od) != 1 || !strings.Contains(od[0], "no complete 945") {
		t.Errorf("49 hours on, no 945: overdue %q", od)
	}
	// The 945 (applied by the 945 mapping once it lands) closes it.
	if _, n, err := g.orders.book.Ship(context.Background(), "acme-3pl", "SO-9001", "BOL-1",
		orders.ShipLine{Line: 1, Quantity: 2, Status: orders.StatusComplete}, orders.ShipLine{Line: 2, Quantity: 5, Status: orders.StatusComplete}); n != 2 || err != nil {
		t.Fatalf("ship: %d %v", n, err)
	}
	if r := orderRecord(t, g); r.Status() != orders.Closed || len(r.Overdue(clock.t.Add(49*time.Hour))) != 0 {
		t.Errorf("after the 945: %s %q", r.Status(), r.Overdue(clock.t.Add(49*time.Hour)))
	}
}

// TestOrderHeldOnMissingItem: an item the 3PL's table misses holds the
// 940 back (nothing queued), with the reason on the order; the channel's
// order itself is allocated. Once the table is fixed and the profiles
// reloaded, the held 940 goes out.
func TestOrderHeldOnMissingItem(t *testing.T) {
	g := openWarehouseTest(t, nil, "\n  acme_skus_out:\n    map: {WIDGET-RED: AC-1001}\n")
	m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]
	if m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	if ms, _ := sent940s(t, g); len(ms) != 0 {
		t.Errorf("%d 940s queued with an unknown item", len(ms))
	}
	r := orderRecord(t, g)
	if r.Status() != orders.Allocated || len(r.Dispatches) != 1 || !strings.Contains(r.Dispatches[0].Held, "not in table") ||
		len(r.Overdue(g.now())) != 1 || !strings.Contains(r.Overdue(g.now())[0], "is held") {
		t.Errorf("record: %s %+v", r.Status(), r.Dispatches)
	}
	// Nothing changed: tried again, still held.
	if n, err := g.RouteHeld(context.Background()); n != 1 || err != nil {
		t.Errorf("RouteHeld before the fix: %d %v", n, err)
	}
	if ms, _ := sent940s(t, g); len(ms) != 0 {
		t.Errorf("%d 940s queued before the fix", len(ms))
	}
	// The table fixed and the profiles reloaded: the 940 goes out.
	file := filepath.Join(g.Config.Partners, "acme-3pl.yaml")
	b, _ := os.ReadFile(file)
	os.WriteFile(file, bytes.Replace(b, []byte("{WIDGET-RED: AC-1001}"), []byte("{WIDGET-RED: AC-1001, WIDGET-BLUE: AC-1002}"), 1), 0o644)
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	if n, err := g.RouteHeld(context.Background()); n != 1 || err != nil {
		t.Errorf("RouteHeld after the fix: %d %v", n, err)
	}
	ms, bodies := sent940s(t, g)
	if len(ms) != 1 {
		t.Fatalf("after the fix: %d 940s, want 1", len(ms))
	}
	checkSegments(t, g, "after the fix", bodies[0], "W05*N*SO-9001*PO-SO-9001", "W01*2*EA**VN*AC-1002", "W01*5*EA**VN*AC-1001")
	if r := orderRecord(t, g); r.Status() != orders.Sent || r.Dispatches[0].Held != "" {
		t.Errorf("record after the fix: %s %+v", r.Status(), r.Dispatches)
	}
	if n, _ := g.RouteHeld(context.Background()); n != 0 {
		t.Errorf("RouteHeld once sent: %d orders tried", n)
	}
}

// TestOrderToWarehouseAfterCrashBeforeRouting: the process stopped after
// the order's posting, before its 940 was queued and its pending mark
// removed. The partner's resend (new control numbers) reads the order:
// the mark is settled as posted and the order routed then, one 940; the
// first message processed again queues nothing more.
func TestOrderToWarehouseAfterCrashBeforeRouting(t *testing.T) {
	g := openWarehouseTest(t, nil, skusFromCSV)
	g.orders.afterPost = func() error { return errors.New("stopped between the ledger and the 940") }
	first := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]
	g.orders.afterPost = nil
	if first.State != inbox.Failed {
		t.Fatalf("first: %s %v", first.State, first.Errors)
	}
	if ms, _ := sent940s(t, g); len(ms) != 0 {
		t.Fatalf("%d 940s queued before the crash, want 0", len(ms))
	}
	again := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "again.edi", "000000017", "17"))[0]
	if again.State != inbox.Duplicate || again.Result.Movements != 0 {
		t.Errorf("re-sent: %s %+v %v", again.State, again.Result, again.Errors)
	}
	ms, _ := sent940s(t, g)
	if len(ms) != 1 {
		t.Fatalf("after the resend: %d 940s, want 1", len(ms))
	}
	if _, err := g.Inbox.Replay(first.ID); err != nil {
		t.Fatal(err)
	}
	if m := limitsDrain(t, g, first.ID); m.State != inbox.Done || m.Result.Movements != 0 {
		t.Errorf("first processed again: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if got, _ := sent940s(t, g); len(got) != 1 {
		t.Errorf("after the first processed again: %d 940s, want 1", len(got))
	}
	r := orderRecord(t, g)
	if r.Status() != orders.Sent || len(r.Dispatches) != 1 || len(r.Dispatches[0].Sends) != 1 || r.Dispatches[0].Sends[0].Outbox != ms[0].ID {
		t.Errorf("record: %s %+v", r.Status(), r.Dispatches)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas").Allocated; b != 5 {
		t.Errorf("allocated WIDGET-RED %d, want 5", b)
	}
}

// TestPendingOrdersSettledAtStart: records a crash left pending are
// settled at start (routeHeld calls SettleMarked): posted, the order is kept and its 940
// queued; never posted, the record before is back.
func TestPendingOrdersSettledAtStart(t *testing.T) {
	g := openWarehouseTest(t, nil, skusFromCSV)
	ctx := context.Background()
	g.orders.afterPost = func() error { return errors.New("stopped between the ledger and the 940") }
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Failed {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	g.orders.afterPost = nil
	never := &orders.Record{OrderState: mapping.OrderState{Partner: "shopmart", Number: "SO-404", Open: true,
		Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 1}}, By: mapping.Origin{Document: "shopmart|404|404|0001"}}}
	if err := g.orders.begin([]orderStep{{res: &mapping.Result{Key: never.By.Document, LegacyKey: never.By.Document}, next: never}}); err != nil {
		t.Fatal(err)
	}
	if marked, _ := g.orders.store.Marked(ctx); len(marked) != 2 {
		t.Fatalf("%d records marked, want 2", len(marked))
	}
	if n, err := g.orders.book.SettleMarked(ctx); err != nil || n != 2 {
		t.Fatalf("settled %d: %v", n, err)
	}
	if marked, _ := g.orders.store.Marked(ctx); len(marked) != 0 {
		t.Errorf("%d records still marked", len(marked))
	}
	ms, _ := sent940s(t, g)
	r, _ := g.orders.store.Get(ctx, mapping.KindOrder, "shopmart", "SO-9001")
	if len(ms) != 1 || r == nil || r.Status() != orders.Sent {
		t.Errorf("posted order: %d 940s, record %+v", len(ms), r)
	}
	if _, err := g.orders.store.Get(ctx, mapping.KindOrder, "shopmart", "SO-404"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("never posted: %v", err)
	}
}
