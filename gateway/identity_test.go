package gateway

import (
	"bytes"
	"context"
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

// writeVariant writes a sample with replacements (old, new pairs) to a
// temp file named name, and returns its path.
func writeVariant(t *testing.T, sample, name string, repl ...string) string {
	t.Helper()
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(repl); i += 2 {
		if !bytes.Contains(b, []byte(repl[i])) {
			t.Fatalf("%s has no %q", sample, repl[i])
		}
		b = bytes.ReplaceAll(b, []byte(repl[i]), []byte(repl[i+1]))
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// nextDay846 is ACME's 846 sent again with the same ISA13/GS06/ST02 on
// another day (ISA09, GS04, BIA, DTM), WIDGET-RED at Dallas counted qty.
func nextDay846(t *testing.T, name, yymmdd, qty string, more ...string) string {
	ccyymmdd := "20" + yymmdd
	repl := append([]string{"*261125*2330*", "*" + yymmdd + "*2330*", "*20261125*", "*" + ccyymmdd + "*",
		"QTY*17*240*EA", "QTY*17*" + qty + "*EA"}, more...)
	return writeVariant(t, samples+"/acme-3pl/inventory-846.edi", name, repl...)
}

func errorsText(m *inbox.Message) string {
	var b strings.Builder
	for _, e := range m.Errors {
		fmt.Fprintf(&b, "%s: %s\n", e.Place, e.Msg)
	}
	return b.String()
}

// TestReusedControlNumbersAcrossDays: a partner that restarts (or wraps)
// its control numbers sends today's 846 under yesterday's ISA13, GS06 and
// ST02. It is a new document (the interchange date is part of its
// identity) and is posted; the same bytes again, or the same content with
// other line ends, are duplicates; the same control numbers, date and
// time with other content fail with an error naming both messages.
func TestReusedControlNumbersAcrossDays(t *testing.T) {
	g, _ := openTest(t, nil)
	first := ingest(t, g, "acme-3pl", samples+"/acme-3pl/inventory-846.edi")[0]
	if first.State != inbox.Done || balance(t, g, "WIDGET-RED", "dallas").OnHand != 240 {
		t.Fatalf("first 846: %s %v", first.State, first.Errors)
	}
	next := nextDay846(t, "next.edi", "261126", "999")
	m := ingest(t, g, "acme-3pl", next)[0]
	if m.State != inbox.Done || m.Result.Movements != 7 || m.Result.Duplicates != 0 || len(m.Result.Acks) != 1 {
		t.Fatalf("next day, same control numbers: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 999 {
		t.Errorf("WIDGET-RED@dallas after the next day's count: %d, want 999", b.OnHand)
	}
	// Numbering restarted again a day later: posted again.
	third := nextDay846(t, "third.edi", "261127", "500")
	if m := ingest(t, g, "acme-3pl", third)[0]; m.State != inbox.Done || m.Result.Movements != 7 {
		t.Fatalf("third day: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 500 {
		t.Errorf("WIDGET-RED@dallas after the third day's count: %d, want 500", b.OnHand)
	}
	// The same bytes: a duplicate of the message that brought them.
	if d := ingest(t, g, "acme-3pl", next)[0]; d.State != inbox.Duplicate || d.DuplicateOf != m.ID {
		t.Errorf("same bytes: %s (duplicate of %d, want %d)", d.State, d.DuplicateOf, m.ID)
	}
	// The same content with other line ends: a duplicate too.
	b, _ := os.ReadFile(next)
	crlf := filepath.Join(t.TempDir(), "next-crlf.edi")
	os.WriteFile(crlf, bytes.ReplaceAll(b, []byte("~\n"), []byte("~\r\n")), 0o644)
	if d := ingest(t, g, "acme-3pl", crlf)[0]; d.State != inbox.Duplicate || d.DuplicateOf != m.ID {
		t.Errorf("same content, other line ends: %s (duplicate of %d, want %d) %v", d.State, d.DuplicateOf, m.ID, d.Errors)
	}
	// The same control numbers, date and time, other figures: an error
	// the operator sees, naming both messages; nothing posted, no ack.
	acksBefore, _ := g.Outbox.List(outbox.Filter{Partner: "acme-3pl"})
	clash := nextDay846(t, "clash.edi", "261126", "1")
	c := ingest(t, g, "acme-3pl", clash)[0]
	text := errorsText(c)
	if c.State != inbox.Failed || !strings.Contains(text, "control number collision") ||
		!strings.Contains(text, fmt.Sprintf("message %d (next.edi)", m.ID)) || !strings.Contains(text, "clash.edi") {
		t.Errorf("collision: %s\n%s", c.State, text)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 500 {
		t.Errorf("a collision changed the stock: %d", b.OnHand)
	}
	if acks, _ := g.Outbox.List(outbox.Filter{Partner: "acme-3pl"}); len(acks) != len(acksBefore) {
		t.Errorf("a collision was acknowledged: %d acks, %d before", len(acks), len(acksBefore))
	}
	// Replayed, it fails the same way (the content still clashes).
	if _, err := g.Inbox.Replay(c.ID); err != nil {
		t.Fatal(err)
	}
	g.Drain(context.Background(), 1)
	if c, _ = g.Inbox.Get(c.ID); c.State != inbox.Failed || !strings.Contains(errorsText(c), "control number collision") {
		t.Errorf("replayed collision: %s %v", c.State, c.Errors)
	}
}

// TestLegacyKeysAreCheckedAfterUpgrade: a document posted by a version
// whose keys had no interchange date (partner|ISA13|GS06|ST02) and
// processed again after the upgrade (a crash, a replay, a resend the
// inbox no longer knows) is not posted twice; another document under the
// same control numbers on another day still is.
func TestLegacyKeysAreCheckedAfterUpgrade(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	// What the previous version posted: the same mapping, keyed without
	// the interchange date.
	p, _ := g.Partners().ByID("acme-3pl")
	for _, f := range []string{"inventory-846.edi", "ship-notice-856.edi"} {
		body, _ := os.ReadFile(samples + "/acme-3pl/" + f)
		old := mapSets(t, mapping.New(p), body, false)
		if len(old) != 1 || strings.Contains(old[0].Key, "@") {
			t.Fatalf("legacy mapping of %s: %d results", f, len(old))
		}
		if _, err := g.Ledger.Post(ctx, old[0].Document()); err != nil {
			t.Fatal(err)
		}
	}
	before := balance(t, g, "WIDGET-RED", "dallas")
	if before.OnHand != 240 || before.InTransit != 60 {
		t.Fatalf("WIDGET-RED@dallas before the upgrade: %+v", before)
	}
	for _, m := range ingest(t, g, "acme-3pl", samples+"/acme-3pl/inventory-846.edi", samples+"/acme-3pl/ship-notice-856.edi") {
		if m.State != inbox.Done || m.Result.Movements != 0 || m.Result.Duplicates == 0 {
			t.Errorf("%s after the upgrade: %s %+v %v", m.Name, m.State, m.Result, m.Errors)
		}
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Quantities != before.Quantities {
		t.Errorf("WIDGET-RED@dallas counted twice: %+v, was %+v", b.Quantities, before.Quantities)
	}
	// Next day, same control numbers, other figures: posted.
	if m := ingest(t, g, "acme-3pl", nextDay846(t, "next.edi", "261126", "999"))[0]; m.State != inbox.Done || m.Result.Movements != 7 {
		t.Errorf("next day after the upgrade: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 999 {
		t.Errorf("WIDGET-RED@dallas: %d", b.OnHand)
	}
}

// mapSets maps every set of an X12 file with m, keyed with the interchange
// date (withDate) or the legacy way.
func mapSets(t *testing.T, m *mapping.Mapper, body []byte, withDate bool) []*mapping.Result {
	t.Helper()
	var out []*mapping.Result
	_, err := x12.Check(bytes.NewReader(body), x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
		ic := tx.Group.Interchange
		src := mapping.Source{Partner: m.Profile().ID, Interchange: ic.Control, Group: tx.Group.Control, Transaction: tx.Control,
			FileName: "legacy.edi", Received: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
		if withDate {
			src.InterchangeDate, src.InterchangeTime = ic.Date, ic.Time
		}
		res, err := m.Transaction(tx, src)
		if err != nil {
			return err
		}
		out = append(out, res)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFlatFileSameNameOtherContent: a flat file's identity is its content
// hash, not its name: a corrected file under the same name is posted, the
// same bytes again are a duplicate.
func TestFlatFileSameNameOtherContent(t *testing.T) {
	g, _ := openTest(t, nil)
	csv := samples + "/northwind/NW_STOCK_20261125.csv"
	first := ingest(t, g, "northwind", csv)[0]
	if first.State != inbox.Done || first.Result.Movements == 0 {
		t.Fatalf("first: %s %v", first.State, first.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "london"); b.OnHand != 120 {
		t.Fatalf("WIDGET-RED@london: %d", b.OnHand)
	}
	fixed := writeVariant(t, csv, "NW_STOCK_20261125.csv", "NW-0001;LDN;120;", "NW-0001;LDN;150;")
	m := ingest(t, g, "northwind", fixed)[0]
	if m.State != inbox.Done || m.Result.Movements != first.Result.Movements || m.Result.Duplicates != 0 {
		t.Fatalf("same name, other content: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "london"); b.OnHand != 150 {
		t.Errorf("WIDGET-RED@london after the corrected file: %d", b.OnHand)
	}
	if d := ingest(t, g, "northwind", fixed)[0]; d.State != inbox.Duplicate || d.DuplicateOf != m.ID {
		t.Errorf("same bytes again: %s (duplicate of %d)", d.State, d.DuplicateOf)
	}
}

// resend940 is a Shopmart 940 sample under other control numbers (ISA13,
// GS06, ST02) and another day, with more replacements.
func resend940(t *testing.T, sample, name, isa, gs string, repl ...string) string {
	t.Helper()
	b, _ := os.ReadFile(samples + "/shopmart/" + sample)
	var from string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "GS*") {
			from = strings.Split(line, "*")[6]
		}
	}
	all := append([]string{"*00000" + from + "*", "*" + isa + "*", "*" + from + "*X*", "*" + gs + "*X*", "GE*1*" + from, "GE*1*" + gs,
		"IEA*1*00000" + from, "IEA*1*" + isa, "ST*940*0001", "ST*940*0007", "SE*14*0001", "SE*14*0007", "*261125*2330*", "*261127*0815*"}, repl...)
	return writeVariant(t, samples+"/shopmart/"+sample, name, all...)
}

// TestOrderIdentity: orders are identified by partner + order number
// (W05-02). An order re-sent under new control numbers is a duplicate
// (acknowledged, nothing allocated twice); re-sent with other lines, an
// error naming both messages; R replaces and F cancels the open order;
// a change or cancel of an unknown order is an error.
func TestOrderIdentity(t *testing.T) {
	g, _ := openTest(t, nil)
	alloc := func() (red, blue int64) {
		return balance(t, g, "WIDGET-RED", "dallas").Allocated, balance(t, g, "WIDGET-BLUE", "dallas").Allocated
	}
	want := func(step string, red, blue int64) {
		t.Helper()
		if r, b := alloc(); r != red || b != blue {
			t.Errorf("%s: allocated WIDGET-RED %d, WIDGET-BLUE %d; want %d, %d", step, r, b, red, blue)
		}
	}
	first := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]
	if first.State != inbox.Done || first.Result.Movements != 2 {
		t.Fatalf("order: %s %+v %v", first.State, first.Result, first.Errors)
	}
	want("order", 5, 2)

	// The same order under new ISA/GS/ST control numbers, two days later.
	again := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "again.edi", "000000017", "17"))[0]
	if again.State != inbox.Duplicate || again.DuplicateOf != first.ID || again.Result.Movements != 0 || len(again.Result.Acks) != 1 {
		t.Errorf("re-sent order: %s (duplicate of %d) %+v %v", again.State, again.DuplicateOf, again.Result, again.Errors)
	}
	want("re-sent order", 5, 2)

	// New (N) again with other lines: an error naming both messages.
	other := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "other.edi", "000000018", "18", "W01*5*EA**VN*SM-88001", "W01*6*EA**VN*SM-88001"))[0]
	text := errorsText(other)
	if other.State != inbox.Failed || !strings.Contains(text, "SO-9001") || !strings.Contains(text, "other.edi") ||
		!strings.Contains(text, fmt.Sprintf("message %d (order-940.edi", first.ID)) || !strings.Contains(text, "WIDGET-RED@dallas 6") {
		t.Errorf("re-sent with other lines: %s\n%s", other.State, text)
	}
	if ack := strings.ReplaceAll(ackBody(t, g, other), "\n", ""); !strings.Contains(ack, "AK5*R~AK9*R*1*1*0~") {
		t.Errorf("re-sent with other lines: the 997 does not reject it:\n%s", ack)
	}
	if ack := ackBody(t, g, again); !strings.Contains(ack, "AK5*A~") {
		t.Errorf("re-sent order: the 997 does not accept it:\n%s", ack)
	}
	want("re-sent with other lines", 5, 2)

	// R replaces: WIDGET-RED 3, WIDGET-BLUE 2.
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940-change.edi")[0]; m.State != inbox.Done {
		t.Errorf("change: %s %v", m.State, m.Errors)
	}
	want("change", 3, 2)
	// The same change re-sent: nothing moves.
	if m := ingest(t, g, "shopmart", resend940(t, "order-940-change.edi", "change-again.edi", "000000019", "19"))[0]; m.State != inbox.Duplicate {
		t.Errorf("change re-sent: %s %v", m.State, m.Errors)
	}
	want("change re-sent", 3, 2)
	// A change that drops WIDGET-BLUE releases it.
	drop := resend940(t, "order-940-change.edi", "drop.edi", "000000020", "20", "LX*2~\nW01*2*EA**VN*SM-88002~\n", "", "SE*14*", "SE*12*")
	if m := ingest(t, g, "shopmart", drop)[0]; m.State != inbox.Done {
		t.Errorf("change dropping a line: %s %v", m.State, m.Errors)
	}
	want("change dropping a line", 3, 0)

	// F cancels; cancelled again, nothing moves.
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940-cancel.edi")[0]; m.State != inbox.Done {
		t.Errorf("cancel: %s %v", m.State, m.Errors)
	}
	want("cancel", 0, 0)
	if m := ingest(t, g, "shopmart", resend940(t, "order-940-cancel.edi", "cancel-again.edi", "000000021", "21"))[0]; m.State != inbox.Duplicate {
		t.Errorf("cancel re-sent: %s %v", m.State, m.Errors)
	}
	want("cancel re-sent", 0, 0)

	// Change and cancel of an order never received: errors naming it.
	for i, f := range []string{"order-940-change.edi", "order-940-cancel.edi"} {
		m := ingest(t, g, "shopmart", resend940(t, f, "unknown-"+f, fmt.Sprintf("%09d", 22+i), fmt.Sprint(22+i), "SO-9001", "SO-404"))[0]
		if text := errorsText(m); m.State != inbox.Failed || !strings.Contains(text, "order SO-404") || !strings.Contains(text, "not open") {
			t.Errorf("%s of an unknown order: %s\n%s", f, m.State, text)
		}
	}
	want("unknown orders", 0, 0)
}

// TestOrderBookFilledFromLedgerOnUpgrade: orders a version without the
// order book posted (legacy keys, no orders.db) are known after the
// upgrade: re-sent, a duplicate; changed and cancelled, found.
func TestOrderBookFilledFromLedgerOnUpgrade(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	p, _ := g.Partners().ByID("shopmart")
	body, _ := os.ReadFile(samples + "/shopmart/order-940.edi")
	old := mapSets(t, mapping.New(p), body, false)
	if _, err := g.Ledger.Post(ctx, old[0].Document()); err != nil {
		t.Fatal(err)
	}
	// The data folder as the previous version left it: no order book.
	g.orders.close()
	os.Remove(filepath.Join(g.Config.Data, "orders.db"))
	st, err := orders.OpenBolt(filepath.Join(g.Config.Data, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	if g.orders, err = openOrderBook(ctx, st, g.Ledger, g.log, g.now, g.routeOrder); err != nil {
		t.Fatal(err)
	}
	rec, err := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001")
	if err != nil || rec == nil || !rec.Open || len(rec.Lines) != 2 || rec.By.Document != old[0].Key {
		t.Fatalf("seeded order: %+v %v", rec, err)
	}
	again := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "again.edi", "000000031", "31"))[0]
	if again.State != inbox.Duplicate || again.Result.Movements != 0 {
		t.Errorf("pre-upgrade order re-sent: %s %+v %v", again.State, again.Result, again.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 5 {
		t.Errorf("WIDGET-RED allocated %d, want 5", b.Allocated)
	}
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940-cancel.edi")[0]; m.State != inbox.Done {
		t.Errorf("cancel of a pre-upgrade order: %s %v", m.State, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 0 {
		t.Errorf("WIDGET-RED allocated %d after the cancel", b.Allocated)
	}
	// Opened again, the book is not filled again (the cancel stays).
	g.orders.close()
	if st, err = orders.OpenBolt(filepath.Join(g.Config.Data, "orders.db")); err != nil {
		t.Fatal(err)
	}
	if g.orders, err = openOrderBook(ctx, st, g.Ledger, g.log, g.now, g.routeOrder); err != nil {
		t.Fatal(err)
	}
	if st, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001"); st == nil || st.Open {
		t.Errorf("after reopening: %+v", st)
	}
}

// TestOrderProcessedAgainAfterCrash: a message whose order document was
// posted is processed again (a crash before it was finished), with the
// order book written or not: nothing is allocated twice and nothing
// fails.
func TestOrderProcessedAgainAfterCrash(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	for _, f := range []string{"order-940.edi", "order-940-change.edi", "order-940-cancel.edi"} {
		before, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001")
		m := ingest(t, g, "shopmart", samples+"/shopmart/"+f)[0]
		if m.State != inbox.Done {
			t.Fatalf("%s: %s %v", f, m.State, m.Errors)
		}
		want := balance(t, g, "WIDGET-RED", "dallas").Allocated
		after, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001")
		for _, crashBeforeBook := range []bool{false, true} {
			if crashBeforeBook {
				// Posted, but the book still holds the order as it was.
				if before == nil {
					g.orders.store.Delete(ctx, mapping.KindOrder, "shopmart", "SO-9001")
				} else {
					g.orders.put(before)
				}
			}
			o, err := g.Process(ctx, m)
			if err != nil || o.State != inbox.Done || o.Result.Movements != 0 {
				t.Errorf("%s processed again (book written: %v): %+v %v %v", f, !crashBeforeBook, o, err, o.Errors)
			}
			if got := balance(t, g, "WIDGET-RED", "dallas").Allocated; got != want {
				t.Errorf("%s processed again (book written: %v): allocated %d, want %d", f, !crashBeforeBook, got, want)
			}
			if st, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001"); st == nil || st.Open != after.Open || st.By != after.By {
				t.Errorf("%s processed again: order %+v, want %+v", f, st, after)
			}
		}
	}
}

// TestCollisionAfterRetention: once retention removed the first file's
// bytes, the inbox cannot compare an interchange received again; the
// ledger's records decide: the same content is reported as duplicate
// movements, other content fails as a collision and posts nothing.
func TestCollisionAfterRetention(t *testing.T) {
	g, _ := openTest(t, nil)
	next := nextDay846(t, "next.edi", "261126", "999")
	if m := ingest(t, g, "acme-3pl", next)[0]; m.State != inbox.Done {
		t.Fatalf("first: %s %v", m.State, m.Errors)
	}
	if n, err := g.Inbox.Purge(time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	b, _ := os.ReadFile(next)
	crlf := filepath.Join(t.TempDir(), "next-crlf.edi")
	os.WriteFile(crlf, bytes.ReplaceAll(b, []byte("~\n"), []byte("~\r\n")), 0o644)
	if m := ingest(t, g, "acme-3pl", crlf)[0]; m.State != inbox.Done || m.Result.Movements != 0 || m.Result.Duplicates != 7 {
		t.Errorf("same content after retention: %s %+v %v", m.State, m.Result, m.Errors)
	}
	c := ingest(t, g, "acme-3pl", nextDay846(t, "clash.edi", "261126", "1"))[0]
	if text := errorsText(c); c.State != inbox.Failed || !strings.Contains(text, "control number collision") || !strings.Contains(text, "snapshot 999 of WIDGET-RED at dallas, now snapshot 1") {
		t.Errorf("other content after retention: %s\n%s", c.State, text)
	}
	if len(c.Result.Acks) != 0 {
		t.Errorf("other content after retention: %d acknowledgements queued; a collision is not answered", len(c.Result.Acks))
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 999 {
		t.Errorf("WIDGET-RED@dallas: %d", b.OnHand)
	}
}

// TestOrderReplayedAfterLaterChange: an order message processed again
// after the order's next message went through (a replay, a crash) does
// not undo that change.
func TestOrderReplayedAfterLaterChange(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	order := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]
	cancel := ingest(t, g, "shopmart", samples+"/shopmart/order-940-cancel.edi")[0]
	if order.State != inbox.Done || cancel.State != inbox.Done {
		t.Fatalf("order %s, cancel %s", order.State, cancel.State)
	}
	// The original processed again: the order stays cancelled.
	o, err := g.Process(ctx, order)
	if err != nil || o.State != inbox.Duplicate || o.Result.Movements != 0 {
		t.Errorf("original processed again: %+v %v", o, err)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 0 {
		t.Errorf("the cancel was undone: allocated %d", b.Allocated)
	}
	if st, _ := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001"); st.Open || st.By.Message != cancel.ID {
		t.Errorf("order %+v", st)
	}
	// Reopened by a new message, then the cancel processed again: stays open.
	reopen := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "reopen.edi", "000000041", "41"))[0]
	if reopen.State != inbox.Done || balance(t, g, "WIDGET-RED", "dallas").Allocated != 5 {
		t.Fatalf("reopen: %s %v", reopen.State, reopen.Errors)
	}
	if o, err := g.Process(ctx, cancel); err != nil || o.State != inbox.Duplicate {
		t.Errorf("cancel processed again: %+v %v", o, err)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 5 {
		t.Errorf("the reopened order was cancelled again: allocated %d", b.Allocated)
	}
}
