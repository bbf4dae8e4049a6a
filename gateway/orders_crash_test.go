package gateway

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// TestOrderResentAfterCrashBeforeBook: the gateway stops (a crash)
// after an order's posting and before the order book records it; the
// partner, without an acknowledgement, sends the order again under new
// control numbers, and that message is settled before the first one is
// processed again. The order is allocated once: the resend is a
// duplicate, and the first message, processed again, posts nothing.
func TestOrderResentAfterCrashBeforeBook(t *testing.T) {
	g, _ := openTest(t, nil)
	alloc := func(step string) {
		t.Helper()
		if r, b := balance(t, g, "WIDGET-RED", "dallas").Allocated, balance(t, g, "WIDGET-BLUE", "dallas").Allocated; r != 5 || b != 2 {
			t.Errorf("%s: allocated WIDGET-RED %d, WIDGET-BLUE %d; want 5, 2", step, r, b)
		}
	}
	g.orders.afterPost = func() error { return errors.New("stopped between the ledger and the order book") }
	first := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]
	if first.State != inbox.Failed || !strings.Contains(errorsText(first), "stopped between") {
		t.Fatalf("first: %s %+v %v", first.State, first.Result, first.Errors)
	}
	g.orders.afterPost = nil
	alloc("posted, book not written")

	again := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "again.edi", "000000017", "17"))[0]
	if again.State != inbox.Duplicate || again.Result.Movements != 0 {
		t.Errorf("re-sent: %s %+v %v", again.State, again.Result, again.Errors)
	}
	alloc("re-sent")

	if _, err := g.Inbox.Replay(first.ID); err != nil {
		t.Fatal(err)
	}
	if m := limitsDrain(t, g, first.ID); m.State != inbox.Done || m.Result.Movements != 0 {
		t.Errorf("first processed again: %s %+v %v", m.State, m.Result, m.Errors)
	}
	alloc("first processed again")
	if st, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001"); st == nil || !st.Open || len(st.Lines) != 2 {
		t.Errorf("order: %+v", st)
	}
}

// TestOrderPendingNotPostedIsUndone: a state written before a posting
// that never happened (a crash before it) is undone at the next read.
func TestOrderPendingNotPostedIsUndone(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	book := g.orders
	prev := &orders.Record{OrderState: mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: true, Lines: []mapping.OrderLine{{SKU: "A", Location: "dallas", Quantity: 1}},
		By: mapping.Origin{Document: "shopmart|1|1|1"}}}
	if err := book.put(prev); err != nil {
		t.Fatal(err)
	}
	next := &orders.Record{OrderState: mapping.OrderState{Partner: "shopmart", Number: "SO-1", By: mapping.Origin{Document: "shopmart|2|2|2"}}}
	if err := book.begin([]orderStep{{res: &mapping.Result{Key: next.By.Document, LegacyKey: next.By.Document}, prev: prev, next: next}}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if st, err := book.get(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || st == nil || !st.Open || st.By != prev.By {
			t.Errorf("read %d: %+v %v, want the state before", i, st, err)
		}
	}
	// An order unknown before the interrupted posting is unknown again.
	fresh := &orders.Record{OrderState: mapping.OrderState{Partner: "shopmart", Number: "SO-2", Open: true, By: mapping.Origin{Document: "shopmart|3|3|3"}}}
	if err := book.begin([]orderStep{{res: &mapping.Result{Key: fresh.By.Document, LegacyKey: fresh.By.Document}, next: fresh}}); err != nil {
		t.Fatal(err)
	}
	if st, err := book.get(ctx, mapping.KindOrder, "shopmart", "SO-2"); err != nil || st != nil {
		t.Errorf("unknown order: %+v %v", st, err)
	}
}

// TestOrderTwiceInOneMessage: a message that opens an order and changes
// it (two sets) settles the change against the opened order: the
// batch is posted before the order's second document is settled.
func TestOrderTwiceInOneMessage(t *testing.T) {
	g, _ := openTest(t, nil)
	sets := func(name, st string) string {
		b, err := os.ReadFile(samples + "/shopmart/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		s = s[strings.Index(s, "ST*940*"):strings.Index(s, "GE*")]
		return strings.NewReplacer("ST*940*0001", "ST*940*"+st, "*0001~", "*"+st+"~").Replace(s)
	}
	body := "ISA*00*          *00*          *ZZ*SHOPMART       *ZZ*DOCKSIDE       *261127*0900*U*00401*000000041*0*P*>~\n" +
		"GS*OW*SHOPMART*DOCKSIDE*20261127*0900*41*X*004010~\n" + sets("order-940.edi", "0001") + sets("order-940-change.edi", "0002") +
		"GE*2*41~\nIEA*1*000000041~\n"
	m := limitsDrain(t, g, limitsReceive(t, g, "shopmart", "both.edi", []byte(body)).ID)
	if m.State != inbox.Done {
		t.Fatalf("%s %+v %v", m.State, m.Result, m.Errors)
	}
	if r, b := balance(t, g, "WIDGET-RED", "dallas").Allocated, balance(t, g, "WIDGET-BLUE", "dallas").Allocated; r != 3 || b != 2 {
		t.Errorf("allocated WIDGET-RED %d, WIDGET-BLUE %d; want 3, 2 (the change)", r, b)
	}
	if st, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001"); st == nil || !strings.HasSuffix(st.By.Document, "|0002") {
		t.Errorf("order: %+v", st)
	}
}
