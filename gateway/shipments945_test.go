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

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/outbox"
)

// doc945 is acme-3pl's x12/945 document: their vendor items through
// their table.
const doc945 = "\ndocuments:\n  - type: x12/945\n    mapping:\n      items: {order: [VN, UP], lookup: acme_items}\n      units: {base: EA, convert: {CA: case_packs}}\n"

// openShipTest is openWarehouseTest with acme-3pl sending 945s.
func openShipTest(t *testing.T, clock *fakeClock) *Gateway {
	t.Helper()
	g := openWarehouseTest(t, clock, skusFromCSV)
	file := filepath.Join(g.Config.Partners, "acme-3pl.yaml")
	b, _ := os.ReadFile(file)
	if !bytes.Contains(b, []byte("\ndocuments:\n")) {
		t.Fatal("acme-3pl.yaml has no documents")
	}
	os.WriteFile(file, bytes.Replace(b, []byte("\ndocuments:\n"), []byte(doc945), 1), 0o644)
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	return g
}

// write945 writes a 945 from acme-3pl under interchange control ctrl for
// order (W06-02) and shipment (W06-04); each line is a W12 and its 940
// line number (N9*LI), "" for none.
func write945(t *testing.T, ctrl int, order, shipment string, lines ...[2]string) string {
	t.Helper()
	segs := []string{fmt.Sprintf("W06*F*%s*20261126*%s", order, shipment), "N1*SF*ACME Dallas*92*DAL1", "LX*1"}
	for _, l := range lines {
		segs = append(segs, l[0])
		if l[1] != "" {
			segs = append(segs, "N9*LI*"+l[1])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261126*0100*U*00401*%09d*0*P*>~\n", ctrl)
	fmt.Fprintf(&b, "GS*SW*ACME3PL*DOCKSIDE*20261126*0100*%d*X*004010~\nST*945*0001~\n", ctrl)
	for _, s := range segs {
		b.WriteString(s + "~\n")
	}
	fmt.Fprintf(&b, "SE*%d*0001~\nGE*1*%d~\nIEA*1*%09d~\n", len(segs)+2, ctrl, ctrl)
	file := filepath.Join(t.TempDir(), fmt.Sprintf("945-%d.edi", ctrl))
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// last997 returns the body of the newest 997 queued to acme-3pl.
func last997(t *testing.T, g *Gateway) string {
	t.Helper()
	ms, err := g.Outbox.List(outbox.Filter{Partner: "acme-3pl", Kind: "997"})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no 997 to acme-3pl: %v", err)
	}
	b, err := g.Outbox.Body(ms[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWarehouseShipment945: a channel's order goes to the 3PL as a 940;
// its partial 945 (backorder) ships 3 of 5, the allocation keeps the
// rest; a second 945 completes the order: allocations released to zero,
// on hand down by what shipped in all; the same 945 under new control
// numbers is a duplicate; a 945 for an unknown order fails at its W06
// with a 997 AK5 R and posts nothing, and goes through when replayed
// once the order is there.
func TestWarehouseShipment945(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 23, 31, 0, 0, time.UTC)}
	g := openShipTest(t, clock)
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	if ms, _ := sent940s(t, g); len(ms) != 1 {
		t.Fatalf("%d 940s to acme-3pl, want 1", len(ms))
	}
	red0, blue0 := balance(t, g, "WIDGET-RED", "dallas"), balance(t, g, "WIDGET-BLUE", "dallas")
	if red0.Allocated != 5 || blue0.Allocated != 2 {
		t.Fatalf("allocated before the 945s: red %d blue %d", red0.Allocated, blue0.Allocated)
	}
	check := func(what string, red, blue [2]int64) { // on hand change, allocated
		t.Helper()
		r, b := balance(t, g, "WIDGET-RED", "dallas"), balance(t, g, "WIDGET-BLUE", "dallas")
		if got := [2]int64{r.OnHand - red0.OnHand, r.Allocated}; got != red {
			t.Errorf("%s: WIDGET-RED on hand %+d allocated %d, want %+d %d", what, got[0], got[1], red[0], red[1])
		}
		if got := [2]int64{b.OnHand - blue0.OnHand, b.Allocated}; got != blue {
			t.Errorf("%s: WIDGET-BLUE on hand %+d allocated %d, want %+d %d", what, got[0], got[1], blue[0], blue[1])
		}
	}

	// A partial shipment, backorder to follow: 3 of the 5 red.
	m := ingest(t, g, "acme-3pl", write945(t, 601, "SO-9001", "BOL-1", [2]string{"W12*BP*5*3*2*EA**VN*AC-1001", "2"}))[0]
	if m.State != inbox.Done || m.Result.Movements != 1 {
		t.Fatalf("partial 945: %s %+v %v", m.State, m.Result, m.Errors)
	}
	check("after the partial 945", [2]int64{-3, 2}, [2]int64{0, 2})
	if r := orderRecord(t, g); r.Status() != orders.Shipping || r.Dispatches[0].Lines[1].Shipped != 3 || r.Dispatches[0].Lines[1].Closed {
		t.Errorf("record after the partial 945: %s %+v", r.Status(), r.Dispatches[0].Lines)
	}
	if !strings.Contains(last997(t, g), "AK5*A") {
		t.Errorf("997 of the partial 945:\n%s", last997(t, g))
	}

	// The rest: 2 red complete; the blue line ships 1 of 2, no
	// backorder (its other unit released). Lines found by N9*LI and by
	// item.
	second := write945(t, 602, "SO-9001", "BOL-2", [2]string{"W12*CC*2*2*0*EA**VN*AC-1001", "2"}, [2]string{"W12*CP*2*1*1*EA**VN*AC-1002", ""})
	m = ingest(t, g, "acme-3pl", second)[0]
	if m.State != inbox.Done || m.Result.Movements != 3 {
		t.Fatalf("second 945: %s %+v %v", m.State, m.Result, m.Errors)
	}
	check("after the second 945", [2]int64{-5, 0}, [2]int64{-1, 0})
	if r := orderRecord(t, g); r.Status() != orders.Closed || len(r.Dispatches[0].Shipments) != 2 {
		t.Errorf("record after the second 945: %s %+v", r.Status(), r.Dispatches[0])
	}

	// The same shipment under new control numbers: nothing moves.
	again := write945(t, 603, "SO-9001", "BOL-2", [2]string{"W12*CC*2*2*0*EA**VN*AC-1001", "2"}, [2]string{"W12*CP*2*1*1*EA**VN*AC-1002", ""})
	m = ingest(t, g, "acme-3pl", again)[0]
	if m.State != inbox.Duplicate || m.Result.Movements != 0 || m.Result.Duplicates != 2 {
		t.Errorf("945 re-sent: %s %+v %v", m.State, m.Result, m.Errors)
	}
	check("after the 945 re-sent", [2]int64{-5, 0}, [2]int64{-1, 0})
	if !strings.Contains(last997(t, g), "AK5*A") {
		t.Errorf("997 of the 945 re-sent:\n%s", last997(t, g))
	}

	// An unknown order: refused at its W06, nothing posted.
	unknown := ingest(t, g, "acme-3pl", write945(t, 604, "SO-9002", "BOL-3", [2]string{"W12*CC*2*2*0*EA**VN*AC-1001", "2"}))[0]
	if unknown.State != inbox.Failed || len(unknown.Errors) != 1 || unknown.Result.Movements != 0 ||
		!strings.Contains(unknown.Errors[0].Place, "set 945 0001 (interchange 000000604, group 604), segment 2 (W06), element 2") ||
		!strings.Contains(unknown.Errors[0].Msg, "no order SO-9002 was sent to acme-3pl") {
		t.Errorf("945 of an unknown order: %s %+v %+v", unknown.State, unknown.Result, unknown.Errors)
	}
	if ack := last997(t, g); !strings.Contains(ack, "AK3*W06*2**8~") || !strings.Contains(ack, "AK4*2**7*SO-9002~") || !strings.Contains(ack, "AK5*R*5~") {
		t.Errorf("997 of the unknown order's 945:\n%s", ack)
	}
	check("after the unknown order's 945", [2]int64{-5, 0}, [2]int64{-1, 0})

	// The order comes; the 945 replayed goes through.
	order2 := resend940(t, "order-940.edi", "order2.edi", "000000031", "31", "W05*N*SO-9001*PO-SO-9001", "W05*N*SO-9002*PO-SO-9002")
	if m := ingest(t, g, "shopmart", order2)[0]; m.State != inbox.Done {
		t.Fatalf("order SO-9002: %s %v", m.State, m.Errors)
	}
	if _, err := g.Inbox.Replay(unknown.ID); err != nil {
		t.Fatal(err)
	}
	if m := limitsDrain(t, g, unknown.ID); m.State != inbox.Done || m.Result.Movements != 2 {
		t.Errorf("945 replayed: %s %+v %v", m.State, m.Result, m.Errors)
	}
	check("after the replay", [2]int64{-7, 0}, [2]int64{-1, 2}) // CC: SO-9002's other 3 red released
}

// TestWarehouseShipment945Errors: a line the order does not have, more
// shipped than allocated, a status not handled: each fails at its W12
// and element, and nothing of the 945 is posted (its good lines neither);
// a ship-from location other than the 940's fails at its N1.
func TestWarehouseShipment945Errors(t *testing.T) {
	g := openShipTest(t, nil)
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	good := [2]string{"W12*CC*2*2*0*EA**VN*AC-1002", "1"}
	tests := []struct {
		name  string
		line  [2]string
		place string
		ak4   string
	}{
		{"unknown line", [2]string{"W12*CC*1*1*0*EA**VN*AC-2001", ""}, "segment 7 (W12), element 7", "AK4*7**7*GADGET-S~"},
		{"over shipped", [2]string{"W12*CC*5*6*0*EA**VN*AC-1001", "2"}, "segment 7 (W12), element 3", "AK4*3**7*6~"},
		{"status", [2]string{"W12*IS*5*5*0*EA**VN*AC-1001", "2"}, "segment 7 (W12), element 1", "AK4*1**7*IS~"},
	}
	for i, tt := range tests {
		m := ingest(t, g, "acme-3pl", write945(t, 700+i, "SO-9001", "BOL-9", good, tt.line))[0]
		if m.State != inbox.Failed || m.Result.Movements != 0 || len(m.Errors) != 1 || !strings.Contains(m.Errors[0].Place, tt.place) {
			t.Errorf("%s: %s %+v %+v", tt.name, m.State, m.Result, m.Errors)
		}
		if ack := last997(t, g); !strings.Contains(ack, tt.ak4) || !strings.Contains(ack, "AK5*R") {
			t.Errorf("%s: 997\n%s", tt.name, ack)
		}
	}
	// Shipped from Reno, though the 940 went to Dallas: refused at its N1.
	reno := writeVariant(t, write945(t, 710, "SO-9001", "BOL-9", good), "reno.edi", "*92*DAL1", "*92*RNO2")
	if m := ingest(t, g, "acme-3pl", reno)[0]; m.State != inbox.Failed || m.Result.Movements != 0 || len(m.Errors) != 1 ||
		!strings.Contains(m.Errors[0].Place, "segment 3 (N1), element 4") || !strings.Contains(m.Errors[0].Msg, "from reno; its 940 was sent for dallas") {
		t.Errorf("shipped from reno: %s %+v %+v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-BLUE", "dallas"); b.Allocated != 2 {
		t.Errorf("WIDGET-BLUE allocated %d after refused 945s, want 2", b.Allocated)
	}
	if r := orderRecord(t, g); len(r.Dispatches[0].Shipments) != 0 {
		t.Errorf("shipments applied: %+v", r.Dispatches[0].Shipments)
	}
}

// TestWarehouseShipment945AfterCrash: the process stopped after the 945
// was posted, before its pending mark was removed. The 3PL's resend
// (new control numbers) reads the order: the mark is settled as posted,
// the lines found applied, nothing posted twice; the first message
// processed again posts nothing either.
func TestWarehouseShipment945AfterCrash(t *testing.T) {
	g := openShipTest(t, nil)
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	red0 := balance(t, g, "WIDGET-RED", "dallas")
	g.orders.afterPost = func() error { return errors.New("stopped between the ledger and the order book") }
	first := ingest(t, g, "acme-3pl", write945(t, 801, "SO-9001", "BOL-1", [2]string{"W12*BP*5*3*2*EA**VN*AC-1001", "2"}))[0]
	g.orders.afterPost = nil
	if first.State != inbox.Failed {
		t.Fatalf("first: %s %v", first.State, first.Errors)
	}
	mark, err := g.orders.store.Mark(context.Background(), mapping.KindOrder, "shopmart", "SO-9001")
	if err != nil || mark == nil {
		t.Fatalf("no pending mark after the crash: %v", err)
	}
	again := ingest(t, g, "acme-3pl", write945(t, 802, "SO-9001", "BOL-1", [2]string{"W12*BP*5*3*2*EA**VN*AC-1001", "2"}))[0]
	if again.State != inbox.Duplicate || again.Result.Movements != 0 {
		t.Errorf("re-sent: %s %+v %v", again.State, again.Result, again.Errors)
	}
	if _, err := g.Inbox.Replay(first.ID); err != nil {
		t.Fatal(err)
	}
	if m := limitsDrain(t, g, first.ID); m.Result.Movements != 0 || len(m.Errors) != 0 {
		t.Errorf("first processed again: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != red0.OnHand-3 || b.Allocated != 2 {
		t.Errorf("WIDGET-RED after the crash and resends: on hand %+d allocated %d, want -3 2", b.OnHand-red0.OnHand, b.Allocated)
	}
	if r := orderRecord(t, g); r.Dispatches[0].Lines[1].Shipped != 3 || len(r.Dispatches[0].Shipments) != 1 {
		t.Errorf("record: %+v", r.Dispatches[0])
	}
}

// TestWarehouseShipment945PostGood: with on_error: post_good, a W12
// whose item cannot be read is reported (AK5 E) and the others of the
// 945 are settled and posted.
func TestWarehouseShipment945PostGood(t *testing.T) {
	g := openShipTest(t, nil)
	file := filepath.Join(g.Config.Partners, "acme-3pl.yaml")
	b, _ := os.ReadFile(file)
	os.WriteFile(file, bytes.Replace(b, []byte("  - type: x12/945\n"), []byte("  - type: x12/945\n    on_error: post_good\n"), 1), 0o644)
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	m := ingest(t, g, "acme-3pl", write945(t, 901, "SO-9001", "BOL-1",
		[2]string{"W12*CC*5*5*0*EA**VN*AC-1001", "2"}, [2]string{"W12*CC*2*2*0*EA**VN*NO-SUCH", "1"}))[0]
	if m.Result.Movements != 1 || len(m.Errors) != 1 || !strings.Contains(m.Errors[0].Place, "segment 7 (W12)") {
		t.Errorf("945 with a bad line: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if ack := last997(t, g); !strings.Contains(ack, "AK5*E") {
		t.Errorf("997:\n%s", ack)
	}
	if r, b := balance(t, g, "WIDGET-RED", "dallas"), balance(t, g, "WIDGET-BLUE", "dallas"); r.Allocated != 0 || b.Allocated != 2 {
		t.Errorf("allocated red %d blue %d, want 0 2", r.Allocated, b.Allocated)
	}
}

// TestWarehouseShipment945BesideOtherShipments: a 945 is settled while
// another worker's 945 holds its own order (a shared change of the
// book): a message without order documents never waits for the book to
// itself, so the warehouses' confirmations run side by side and share
// their commits.
func TestWarehouseShipment945BesideOtherShipments(t *testing.T) {
	g := openShipTest(t, nil)
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("order: %s %v", m.State, m.Errors)
	}
	ctx := context.Background()
	held, release := make(chan struct{}), make(chan struct{})
	shared := make(chan error, 1)
	go func() {
		shared <- g.orders.book.Share(ctx, func(*orders.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	defer func() {
		close(release)
		if err := <-shared; err != nil {
			t.Error(err)
		}
	}()
	body, err := os.ReadFile(write945(t, 901, "SO-9001", "BOL-1", [2]string{"W12*CC*5*5*0*EA**VN*AC-1001", "2"}))
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "acme-3pl", Transport: "test", Name: "945.edi"}, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan error, 1)
	go func() { drained <- g.Drain(ctx, 1) }()
	select {
	case err := <-drained:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the 945 waits for another order's shared change: the book is taken whole")
	}
	if got, _ := g.Inbox.Get(m.ID); got.State != inbox.Done || got.Result.Movements == 0 {
		t.Fatalf("945: %s %+v %v", got.State, got.Result, got.Errors)
	}
}
