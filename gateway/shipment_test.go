package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
)

// resend856 is ACME's 856 sample under other control numbers (ISA13,
// GS06) and another day, with more replacements.
func resend856(t *testing.T, name, ctl string, repl ...string) string {
	t.Helper()
	all := append([]string{"*000001003*", "*00000" + ctl + "*", "*1003*X*", "*" + ctl + "*X*", "GE*1*1003", "GE*1*" + ctl,
		"IEA*1*000001003", "IEA*1*00000" + ctl, "*261125*2330*", "*261127*0815*"}, repl...)
	return writeVariant(t, samples+"/acme-3pl/ship-notice-856.edi", name, all...)
}

// TestShipmentIdentity: a ship notice is identified by partner + shipment
// id (BSN02). Re-sent under new control numbers with the same content, it
// is a duplicate (acknowledged, nothing in transit twice); with other
// content, an error naming both messages, nothing posted and the 997
// rejects it; a replace (BSN01 05) with other content and a cancellation
// (01) are refused (not supported); the first message processed again
// posts nothing twice.
func TestShipmentIdentity(t *testing.T) {
	g, _ := openTest(t, nil)
	want := func(step string) {
		t.Helper()
		if r, l := balance(t, g, "WIDGET-RED", "dallas").InTransit, balance(t, g, "GADGET-L", "dallas").InTransit; r != 60 || l != 30 {
			t.Errorf("%s: in transit WIDGET-RED %d, GADGET-L %d; want 60, 30", step, r, l)
		}
	}
	first := ingest(t, g, "acme-3pl", samples+"/acme-3pl/ship-notice-856.edi")[0]
	if first.State != inbox.Done || first.Result.Movements != 2 {
		t.Fatalf("first: %s %+v %v", first.State, first.Result, first.Errors)
	}
	want("first")

	again := ingest(t, g, "acme-3pl", resend856(t, "again.edi", "1013"))[0]
	if again.State != inbox.Duplicate || again.DuplicateOf != first.ID || again.Result.Movements != 0 {
		t.Errorf("re-sent: %s (duplicate of %d) %+v %v", again.State, again.DuplicateOf, again.Result, again.Errors)
	}
	if ack := ackBody(t, g, again); !strings.Contains(ack, "AK5*A~") {
		t.Errorf("re-sent: the 997 does not accept it:\n%s", ack)
	}
	want("re-sent")

	for _, tc := range []struct{ name, ctl, purpose, text string }{
		{"other.edi", "1014", "BSN*00*", "send the difference under a new shipment id"},
		{"replace.edi", "1015", "BSN*05*", "replacing a shipment (BSN01 05) is not supported"},
	} {
		m := ingest(t, g, "acme-3pl", resend856(t, tc.name, tc.ctl, "SN1**30*EA", "SN1**31*EA", "BSN*00*", tc.purpose))[0]
		text := errorsText(m)
		for _, w := range []string{"shipment SHP-7001 of partner acme-3pl", tc.name, fmt.Sprintf("message %d (ship-notice-856.edi", first.ID),
			"GADGET-L@dallas 30 due 2026-11-28", "GADGET-L@dallas 31 due 2026-11-28", tc.text} {
			if m.State != inbox.Failed || !strings.Contains(text, w) {
				t.Errorf("%s: %s, errors lack %q:\n%s", tc.name, m.State, w, text)
			}
		}
		if ack := strings.ReplaceAll(ackBody(t, g, m), "\n", ""); !strings.Contains(ack, "AK5*R~AK9*R*1*1*0~") {
			t.Errorf("%s: the 997 does not reject it:\n%s", tc.name, ack)
		}
		want(tc.name)
	}

	// A cancellation (BSN01 01) is refused whatever on_error says (ACME's
	// 856 is post_good): its lines are the stock it takes back.
	cancel := ingest(t, g, "acme-3pl", resend856(t, "cancel.edi", "1016", "BSN*00*", "BSN*01*"))[0]
	if text := errorsText(cancel); cancel.State != inbox.Failed || cancel.Result.Movements != 0 || !strings.Contains(text, "a cancellation of shipment SHP-7001 is not supported") {
		t.Errorf("cancel: %s %+v\n%s", cancel.State, cancel.Result, text)
	}
	if ack := strings.ReplaceAll(ackBody(t, g, cancel), "\n", ""); !strings.Contains(ack, "AK3*BSN*2**8~AK5*R*5~") {
		t.Errorf("cancel: the 997 does not reject it at the BSN:\n%s", ack)
	}
	want("cancel")

	// The first message processed again (a crash), with the book written
	// and without (a crash between the posting and the book).
	for _, crashBeforeBook := range []bool{false, true} {
		if crashBeforeBook {
			g.orders.store.Delete(context.Background(), mapping.KindShipment, "acme-3pl", "SHP-7001")
		}
		o, err := g.Process(context.Background(), first)
		if err != nil || o.State != inbox.Done || o.Result.Movements != 0 || o.Result.Duplicates != 2 {
			t.Errorf("first processed again (book written: %v): %+v %v %v", !crashBeforeBook, o, err, o.Errors)
		}
		if st, _ := g.orders.get(context.Background(), mapping.KindShipment, "acme-3pl", "SHP-7001"); st == nil || st.By.Message != first.ID || len(st.Lines) != 2 {
			t.Errorf("first processed again (book written: %v): shipment %+v", !crashBeforeBook, st)
		}
	}
	want("first processed again")
}
