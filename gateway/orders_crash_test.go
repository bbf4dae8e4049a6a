package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
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
	prev := &mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: true, Lines: []mapping.OrderLine{{SKU: "A", Location: "dallas", Quantity: 1}},
		By: mapping.Origin{Document: "shopmart|1|1|1"}}
	if err := book.put(prev); err != nil {
		t.Fatal(err)
	}
	next := &mapping.OrderState{Partner: "shopmart", Number: "SO-1", By: mapping.Origin{Document: "shopmart|2|2|2"}}
	if err := book.begin(next, prev, next.By.Document); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if st, err := book.get(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || st == nil || !st.Open || st.By != prev.By {
			t.Errorf("read %d: %+v %v, want the state before", i, st, err)
		}
	}
	// An order unknown before the interrupted posting is unknown again.
	fresh := &mapping.OrderState{Partner: "shopmart", Number: "SO-2", Open: true, By: mapping.Origin{Document: "shopmart|3|3|3"}}
	if err := book.begin(fresh, nil, fresh.By.Document); err != nil {
		t.Fatal(err)
	}
	if st, err := book.get(ctx, mapping.KindOrder, "shopmart", "SO-2"); err != nil || st != nil {
		t.Errorf("unknown order: %+v %v", st, err)
	}
}
