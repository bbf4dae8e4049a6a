package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
)

// samples is the folder of the example partners' sample files.
const samples = "../examples/samples"

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

// openTest opens a gateway on a temp data folder with a copy of the
// example partners (so tests may edit them), and checks the ledger when
// the test ends.
func openTest(t *testing.T, clock *fakeClock) (*Gateway, string) {
	t.Helper()
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	copyTree(t, "../examples/partners", partnersDir)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers = filepath.Join(dir, "data"), partnersDir, 2
	opts := &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if clock != nil {
		opts.Now = clock.Now
	}
	g, err := Open(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Ledger.Verify(context.Background()); err != nil {
			t.Errorf("ledger inconsistent: %v", err)
		}
		g.Close()
	})
	return g, partnersDir
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ingest receives files as from partner and processes the queue.
func ingest(t *testing.T, g *Gateway, partner string, files ...string) []*inbox.Message {
	t.Helper()
	var ids []uint64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := g.Inbox.Receive(context.Background(), inbox.Arrival{Partner: partner, Transport: "test", Name: filepath.Base(f)}, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := g.Drain(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	out := make([]*inbox.Message, len(ids))
	for i, id := range ids {
		m, err := g.Inbox.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = m
	}
	return out
}

func balance(t *testing.T, g *Gateway, sku, loc string) ledger.Balance {
	t.Helper()
	b, err := g.Ledger.Balance(context.Background(), sku, loc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExamplePartnersEndToEnd(t *testing.T) {
	g, _ := openTest(t, nil)
	acme := ingest(t, g, "acme-3pl", samples+"/acme-3pl/inventory-846.edi", samples+"/acme-3pl/ship-notice-856.edi")
	for _, m := range acme {
		if m.State != inbox.Done {
			t.Fatalf("%s: %s %v", m.Name, m.State, m.Errors)
		}
		if len(m.Result.Acks) != 1 {
			t.Errorf("%s: %d acks queued", m.Name, len(m.Result.Acks))
		}
	}
	ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")
	ingest(t, g, "northwind", samples+"/northwind/NW_STOCK_20261125.csv")
	// Then Excel adjustments in London, after the count: +12, 2 damaged,
	// 5 on hold for WIDGET-RED.
	if m := ingest(t, g, "northwind", samples+"/northwind/NW_ADJ_20261126.xlsx")[0]; m.State != inbox.Done || m.Result.Movements != 4 {
		t.Fatalf("xlsx: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "london"); b.OnHand != 132 || b.Damaged != 2 || b.Quarantined != 5 || b.Available() != 125 {
		t.Errorf("WIDGET-RED@london after the adjustments: %+v", b)
	}
	tests := []struct {
		sku, loc                                     string
		onHand, allocated, inTransit, damaged, avail int64
	}{
		// 240 EA on hand, 3 damaged, 5 allocated by Shopmart's order, 5 CA (60) in transit.
		{"WIDGET-RED", "dallas", 240, 5, 60, 3, 232},
		// 10 CA of 12 at Reno.
		{"WIDGET-RED", "reno", 120, 0, 0, 0, 120},
		{"WIDGET-BLUE", "dallas", 48, 2, 0, 0, 46},
		// 2 CA of 24, 1 unusable.
		{"GADGET-S", "reno", 48, 0, 0, 1, 47},
		{"GADGET-L", "dallas", 0, 0, 30, 0, 0},
		{"GADGET-S", "manchester", 35, 0, 0, 0, 35},
	}
	for _, tc := range tests {
		b := balance(t, g, tc.sku, tc.loc)
		if b.OnHand != tc.onHand || b.Allocated != tc.allocated || b.InTransit != tc.inTransit || b.Damaged != tc.damaged || b.Available() != tc.avail {
			t.Errorf("%s@%s: on hand %d allocated %d in transit %d damaged %d available %d; want %d %d %d %d %d", tc.sku, tc.loc,
				b.OnHand, b.Allocated, b.InTransit, b.Damaged, b.Available(), tc.onHand, tc.allocated, tc.inTransit, tc.damaged, tc.avail)
		}
	}
	// The 997 for the 846 is addressed back to ACME and accepts the set.
	acks, _ := g.Outbox.List(outbox.Filter{Partner: "acme-3pl", Kind: "997"})
	if len(acks) != 2 {
		t.Fatalf("%d acks for acme", len(acks))
	}
	// The workers process files in any order: find the 846's 997.
	body, _ := g.Outbox.Body(acme[0].Result.Acks[0])
	for _, want := range []string{"*ZZ*DOCKSIDE       *ZZ*ACME3PL        *", "AK1*IB*1001~", "AK2*846*0001~", "AK5*A~", "AK9*A*1*1*1~"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("997 lacks %q:\n%s", want, body)
		}
	}
}

func TestResendIsDuplicateAndLedgerUnchanged(t *testing.T) {
	g, _ := openTest(t, nil)
	files := []string{samples + "/acme-3pl/inventory-846.edi", samples + "/acme-3pl/ship-notice-856.edi"}
	ingest(t, g, "acme-3pl", files...)
	before, _ := g.Ledger.Balances(context.Background(), ledger.Filter{})
	for _, m := range ingest(t, g, "acme-3pl", files...) {
		if m.State != inbox.Duplicate {
			t.Errorf("resent %s: %s", m.Name, m.State)
		}
	}
	// Same interchange, other bytes (a partner's resend with CRLF line ends).
	b, _ := os.ReadFile(files[0])
	crlf := filepath.Join(t.TempDir(), "again.edi")
	os.WriteFile(crlf, bytes.ReplaceAll(b, []byte("~\n"), []byte("~\r\n")), 0o644)
	if m := ingest(t, g, "acme-3pl", crlf)[0]; m.State != inbox.Duplicate || m.DuplicateOf == 0 {
		t.Errorf("same interchange in other bytes: %s (dup of %d)", m.State, m.DuplicateOf)
	}
	after, _ := g.Ledger.Balances(context.Background(), ledger.Filter{})
	if len(before) != len(after) {
		t.Fatalf("balances changed: %d then %d", len(before), len(after))
	}
	for i := range before {
		if before[i].Quantities != after[i].Quantities {
			t.Errorf("%s@%s changed: %+v then %+v", before[i].SKU, before[i].Location, before[i].Quantities, after[i].Quantities)
		}
	}
	acks, _ := g.Outbox.List(outbox.Filter{Partner: "acme-3pl", Kind: "997"})
	if len(acks) != 2 {
		t.Errorf("duplicates were acknowledged again: %d acks", len(acks))
	}
}

func TestMalformedFailsWithPlaceThenReplayAfterFix(t *testing.T) {
	g, partnersDir := openTest(t, nil)
	m := ingest(t, g, "acme-3pl", samples+"/acme-3pl/inventory-846-unknown-item.edi")[0]
	if m.State != inbox.Failed || len(m.Errors) != 1 {
		t.Fatalf("state %s errors %v", m.State, m.Errors)
	}
	e := m.Errors[0]
	if !strings.Contains(e.Place, "inventory-846-unknown-item.edi") || !strings.Contains(e.Place, "segment 14 (LIN)") ||
		!strings.Contains(e.Msg, `"AC-9999"`) || !strings.Contains(e.Msg, "acme_items") {
		t.Errorf("error without its place: %+v", e)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 0 {
		t.Errorf("a rejected document posted: %+v", b)
	}
	// The operator adds the item to the cross-reference and replays.
	table := filepath.Join(partnersDir, "tables", "acme-items.csv")
	f, _ := os.OpenFile(table, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("AC-9999,099999999999,GADGET-XL,4,Extra large gadget\n")
	f.Close()
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Inbox.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	g.Drain(context.Background(), 1)
	m, _ = g.Inbox.Get(m.ID)
	if m.State != inbox.Done || m.Attempts != 2 {
		t.Fatalf("after replay: %s, %d attempts, %v", m.State, m.Attempts, m.Errors)
	}
	if b := balance(t, g, "GADGET-XL", "dallas"); b.OnHand != 48 {
		t.Errorf("GADGET-XL@dallas: %+v", b)
	}
}

func TestPartnerAckMatchesAndMissingTurnsOverdue(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	g, _ := openTest(t, clock)
	// Two 846s we sent Shopmart, groups 77 and 78, each expecting a 997
	// within 4 hours.
	for _, gs := range []string{"77", "78"} {
		_, err := g.Outbox.Enqueue(&outbox.Message{Partner: "shopmart", Transport: "as2", Kind: "846", Interchange: "0000000" + gs,
			Groups: []string{gs}, AckDeadline: clock.t.Add(4 * time.Hour)}, []byte("ISA..."))
		if err != nil {
			t.Fatal(err)
		}
	}
	ack := "ISA*00*          *00*          *ZZ*SHOPMART       *ZZ*DOCKSIDE       *261126*1100*U*00401*000000321*0*P*>~\n" +
		"GS*FA*SHOPMART*DOCKSIDE*20261126*1100*321*X*004010~\nST*997*0001~\nAK1*IB*77~\nAK2*846*0001~\nAK5*R*5~\nAK9*R*1*1*0~\nSE*6*0001~\nGE*1*321~\nIEA*1*000000321~\n"
	path := filepath.Join(t.TempDir(), "997.edi")
	os.WriteFile(path, []byte(ack), 0o644)
	if m := ingest(t, g, "shopmart", path)[0]; m.State != inbox.Done {
		t.Fatalf("997: %s %v", m.State, m.Errors)
	}
	if acks, _ := g.Outbox.List(outbox.Filter{Kind: "997"}); len(acks) != 0 {
		t.Errorf("we acknowledged their acknowledgement: %d", len(acks))
	}
	clock.t = clock.t.Add(4*time.Hour + time.Minute)
	late, err := g.Outbox.MarkOverdue()
	if err != nil || len(late) != 1 || late[0].Groups[0] != "78" {
		t.Fatalf("overdue %v %v", late, err)
	}
	sent, _ := g.Outbox.List(outbox.Filter{Kind: "846"})
	states := map[string]outbox.AckState{}
	for _, m := range sent {
		states[m.Groups[0]] = m.AckState
	}
	if states["77"] != outbox.AckRejected || states["78"] != outbox.AckOverdue {
		t.Errorf("ack states %v", states)
	}
}

func TestUnknownSenderAndImpersonationFail(t *testing.T) {
	g, _ := openTest(t, nil)
	// Shopmart's transport identity with ACME's interchange.
	m := ingest(t, g, "shopmart", samples+"/acme-3pl/inventory-846.edi")[0]
	if m.State != inbox.Failed || !strings.Contains(m.Errors[0].Msg, "not one of partner shopmart's ISA ids") {
		t.Errorf("impersonation: %s %v", m.State, m.Errors)
	}
	// No transport identity and an unknown ISA sender.
	b, _ := os.ReadFile(samples + "/acme-3pl/inventory-846.edi")
	path := filepath.Join(t.TempDir(), "x.edi")
	os.WriteFile(path, bytes.Replace(b, []byte("ACME3PL        "), []byte("STRANGER       "), 1), 0o644)
	if m := ingest(t, g, "", path)[0]; m.State != inbox.Failed || !strings.Contains(m.Errors[0].Msg, "no partner has the ISA id ZZ/STRANGER") {
		t.Errorf("unknown sender: %s %v", m.State, m.Errors)
	}
}

func TestBadEnvelopeIsNotPostedAndNotRetriedForever(t *testing.T) {
	g, _ := openTest(t, nil)
	b, _ := os.ReadFile(samples + "/acme-3pl/inventory-846.edi")
	dir := t.TempDir()
	// IEA01 says 2 groups: the interchange is rejected (TA1 021).
	badCount := filepath.Join(dir, "count.edi")
	os.WriteFile(badCount, bytes.Replace(b, []byte("IEA*1*"), []byte("IEA*2*"), 1), 0o644)
	m := ingest(t, g, "acme-3pl", badCount)[0]
	if m.State != inbox.Failed || m.Result.Movements != 0 {
		t.Fatalf("bad IEA01: %s, %d movements, %v", m.State, m.Result.Movements, m.Errors)
	}
	if bal := balance(t, g, "WIDGET-RED", "dallas"); bal.OnHand != 0 {
		t.Errorf("a rejected interchange was posted: %+v", bal)
	}
	// GE02 does not match GS06: the group is rejected, nothing posted.
	badGroup := filepath.Join(dir, "group.edi")
	os.WriteFile(badGroup, bytes.Replace(b, []byte("GE*1*1001"), []byte("GE*1*1009"), 1), 0o644)
	if m := ingest(t, g, "acme-3pl", badGroup)[0]; m.State != inbox.Failed || m.Result.Movements != 0 {
		t.Errorf("bad GE02: %s, %d movements", m.State, m.Result.Movements)
	}
	if n, _ := g.Inbox.Waiting(); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
}

func TestUnanswerableEnvelopeFailsInsteadOfRetrying(t *testing.T) {
	g, _ := openTest(t, nil)
	b, _ := os.ReadFile(samples + "/acme-3pl/inventory-846.edi")
	// ISA08 far over 15 characters: the ISA is read by its separators,
	// but no acknowledgement can be addressed back with it.
	path := filepath.Join(t.TempDir(), "long.edi")
	os.WriteFile(path, bytes.Replace(b, []byte("*ZZ*DOCKSIDE       *"), []byte("*ZZ*DOCKSIDE-WITH-A-FAR-TOO-LONG-ID*"), 1), 0o644)
	m := ingest(t, g, "acme-3pl", path)[0]
	if m.State != inbox.Failed {
		t.Fatalf("state %s, errors %v", m.State, m.Errors)
	}
	found := false
	for _, e := range m.Errors {
		found = found || strings.Contains(e.Msg, "no acknowledgement can be written")
	}
	if !found {
		t.Errorf("errors %v", m.Errors)
	}
	if n, _ := g.Inbox.Waiting(); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
}

// TestPartnersOwnFiguresAreKept: the available quantities ACME's 846
// reports (QTY*33, mapped to compare) are kept for the divergence report
// instead of being discarded.
func TestPartnersOwnFiguresAreKept(t *testing.T) {
	g, _ := openTest(t, nil)
	if m := ingest(t, g, "acme-3pl", samples+"/acme-3pl/inventory-846.edi")[0]; m.State != inbox.Done {
		t.Fatalf("%s %v", m.State, m.Errors)
	}
	reported, err := g.Divergence.Checker.Store.Reported()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range reported {
		if r.Partner != "acme-3pl" {
			t.Errorf("reported by %s", r.Partner)
		}
		got[r.SKU+"@"+r.Location] = r.Quantity
	}
	if len(got) != 4 || got["WIDGET-RED@dallas"] != 230 {
		t.Fatalf("kept %v", got)
	}
	rep, err := g.Divergence.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	avail := balance(t, g, "WIDGET-RED", "dallas").Available()
	found := false
	for _, r := range rep.Rows {
		if r.Partner == "acme-3pl" && r.SKU == "WIDGET-RED" && r.Location == "dallas" {
			found = true
			if r.Ours != avail || r.Theirs != 230 || r.Difference != 230-avail {
				t.Errorf("row %+v, available %d", r, avail)
			}
		}
	}
	if !found && avail != 230 {
		t.Errorf("no row for WIDGET-RED@dallas (available %d, theirs 230): %+v", avail, rep.Rows)
	}
}
