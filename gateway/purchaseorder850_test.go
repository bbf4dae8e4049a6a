package gateway

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// resend850 is a Shopmart 850 sample (interchange 00000<n>, group n,
// set 0001, sent on 261126 at hhmm) under the control numbers isa, gs and
// set 0007, two days later, with more replacements.
func resend850(t *testing.T, sample, name, n, hhmm, isa, gs string, repl ...string) string {
	t.Helper()
	all := append([]string{"*00000" + n + "*", "*" + isa + "*", "*" + n + "*X*", "*" + gs + "*X*", "GE*1*" + n, "GE*1*" + gs,
		"IEA*1*00000" + n, "IEA*1*" + isa, "ST*850*0001", "ST*850*0007", "*0001~\nGE", "*0007~\nGE",
		"*261126*" + hhmm + "*", "*261128*0815*", "*20261126*" + hhmm + "*", "*20261128*0815*"}, repl...)
	return writeVariant(t, samples+"/shopmart/"+sample, name, all...)
}

// TestPurchaseOrder850: a channel's 850 allocates like a 940, identified
// by partner + BEG03. Re-sent under new control numbers it is a duplicate
// (acknowledged, nothing allocated twice); 05 replaces its lines, 01
// cancels it; each is accepted by the 997. An 850 with other lines for
// the open order, or with an unknown item, is rejected (AK5 R) and moves
// nothing.
func TestPurchaseOrder850(t *testing.T) {
	g, _ := openTest(t, nil)
	want := func(step string, red, blue, gadget int64) {
		t.Helper()
		r, b, s := balance(t, g, "WIDGET-RED", "dallas").Allocated, balance(t, g, "WIDGET-BLUE", "dallas").Allocated, balance(t, g, "GADGET-S", "dallas").Allocated
		if r != red || b != blue || s != gadget {
			t.Errorf("%s: allocated WIDGET-RED %d, WIDGET-BLUE %d, GADGET-S %d; want %d, %d, %d", step, r, b, s, red, blue, gadget)
		}
	}
	accepted := func(step string, m *inbox.Message) {
		t.Helper()
		ack := strings.ReplaceAll(ackBody(t, g, m), "\n", "")
		if !strings.Contains(ack, "AK1*PO*") || !strings.Contains(ack, "AK2*850*") || !strings.Contains(ack, "AK5*A~AK9*A*1*1*1~") {
			t.Errorf("%s: the 997 does not accept the 850:\n%s", step, ack)
		}
	}
	rejected := func(step string, m *inbox.Message, ak3 string) {
		t.Helper()
		ack := strings.ReplaceAll(ackBody(t, g, m), "\n", "")
		if !strings.Contains(ack, "AK5*R") || !strings.Contains(ack, "AK9*R*1*1*0~") || !strings.Contains(ack, ak3) {
			t.Errorf("%s: the 997 does not reject the 850 (at %s):\n%s", step, ak3, ack)
		}
	}

	first := ingest(t, g, "shopmart", samples+"/shopmart/po-850.edi")[0]
	if first.State != inbox.Done || first.Result.Movements != 2 {
		t.Fatalf("order: %s %+v %v", first.State, first.Result, first.Errors)
	}
	want("order", 4, 3, 0)
	accepted("order", first)

	// The same PO under new ISA/GS/ST control numbers, two days later.
	again := ingest(t, g, "shopmart", resend850(t, "po-850.edi", "again.edi", "2101", "0915", "000000051", "51"))[0]
	if again.State != inbox.Duplicate || again.DuplicateOf != first.ID || again.Result.Movements != 0 {
		t.Errorf("re-sent PO: %s (duplicate of %d) %+v %v", again.State, again.DuplicateOf, again.Result, again.Errors)
	}
	want("re-sent PO", 4, 3, 0)
	accepted("re-sent PO", again)

	// 00 again with other lines: an error naming both messages.
	other := ingest(t, g, "shopmart", resend850(t, "po-850.edi", "other.edi", "2101", "0915", "000000052", "52", "PO1*1*4*EA", "PO1*1*9*EA"))[0]
	text := errorsText(other)
	if other.State != inbox.Failed || !strings.Contains(text, "order PO-7001") || !strings.Contains(text, "other.edi") ||
		!strings.Contains(text, fmt.Sprintf("message %d (po-850.edi", first.ID)) || !strings.Contains(text, "BEG01 05") {
		t.Errorf("re-sent with other lines: %s\n%s", other.State, text)
	}
	rejected("re-sent with other lines", other, "AK2*850*0007")
	want("re-sent with other lines", 4, 3, 0)

	// A replace naming an item Shopmart's table does not know: rejected
	// at its PO1, nothing released.
	bad := ingest(t, g, "shopmart", resend850(t, "po-850-replace.edi", "bad.edi", "2102", "1130", "000000053", "53", "VN*SM-88003", "VN*SM-00000"))[0]
	if text := errorsText(bad); bad.State != inbox.Failed || !strings.Contains(text, `segment 6 (PO1): PO107 (VN) "SM-00000"`) {
		t.Errorf("unknown item: %s\n%s", bad.State, text)
	}
	rejected("unknown item", bad, "AK3*PO1*6")
	want("unknown item", 4, 3, 0)

	// 05 replaces: WIDGET-RED 6, GADGET-S 1, WIDGET-BLUE released.
	repl := ingest(t, g, "shopmart", samples+"/shopmart/po-850-replace.edi")[0]
	if repl.State != inbox.Done {
		t.Errorf("replace: %s %v", repl.State, repl.Errors)
	}
	want("replace", 6, 0, 1)
	accepted("replace", repl)
	replAgain := ingest(t, g, "shopmart", resend850(t, "po-850-replace.edi", "replace-again.edi", "2102", "1130", "000000054", "54"))[0]
	if replAgain.State != inbox.Duplicate {
		t.Errorf("replace re-sent: %s %v", replAgain.State, replAgain.Errors)
	}
	want("replace re-sent", 6, 0, 1)
	accepted("replace re-sent", replAgain)

	// 01 cancels; cancelled again, nothing moves.
	cancel := ingest(t, g, "shopmart", samples+"/shopmart/po-850-cancel.edi")[0]
	if cancel.State != inbox.Done {
		t.Errorf("cancel: %s %v", cancel.State, cancel.Errors)
	}
	want("cancel", 0, 0, 0)
	accepted("cancel", cancel)
	cancelAgain := ingest(t, g, "shopmart", resend850(t, "po-850-cancel.edi", "cancel-again.edi", "2103", "1400", "000000055", "55"))[0]
	if cancelAgain.State != inbox.Duplicate {
		t.Errorf("cancel re-sent: %s %v", cancelAgain.State, cancelAgain.Errors)
	}
	want("cancel re-sent", 0, 0, 0)
	accepted("cancel re-sent", cancelAgain)

	// A 940 of the same partner keeps its own order beside the PO.
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Errorf("940 after the 850s: %s %v", m.State, m.Errors)
	}
	want("940 after the 850s", 5, 2, 0)
}
