package gateway

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// acmeWarehouseDocs adds the warehouse advices to ACME's profile.
const acmeWarehouseDocs = `
  - type: x12/943
    mapping:
      items: {order: [VN], lookup: acme_items}
      units: {convert: {CA: case_packs}}
      warehouses: acme_warehouses
  - type: x12/944
    mapping:
      items: {order: [VN], lookup: acme_items}
      warehouses: acme_warehouses
      receive_against: in_transit
      conditions: {"01": damaged}
  - type: x12/947
    mapping:
      items: {order: [VN], lookup: acme_items}
      warehouses: acme_warehouses
      reasons:
        AU: {bucket: damaged, direction: increase}
        "56": {bucket: on_hand, direction: increase}
`

// addWarehouseDocs replaces the example ACME profile's warehouse advices
// by acmeWarehouseDocs.
func addWarehouseDocs(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(withoutDemoWarehouse(b), acmeWarehouseDocs...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// acmeX12 writes one ACME interchange with control number ctl holding a
// set setID of segments segs, and returns its path.
func acmeX12(t *testing.T, ctl int, fg, setID string, segs ...string) string {
	t.Helper()
	n := strconv.Itoa(ctl)
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*" +
		strings.Repeat("0", 9-len(n)) + n + "*0*P*>~\n")
	b.WriteString("GS*" + fg + "*ACME3PL*DOCKSIDE*20261125*2330*" + n + "*X*004010~\nST*" + setID + "*0001~\n")
	for _, s := range segs {
		b.WriteString(s + "~\n")
	}
	b.WriteString("SE*" + strconv.Itoa(len(segs)+2) + "*0001~\nGE*1*" + n + "~\nIEA*1*" + strings.Repeat("0", 9-len(n)) + n + "~\n")
	path := filepath.Join(t.TempDir(), setID+"-"+n+".edi")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWarehouseAdvicesEndToEnd: a 943 announces 2 cases at Dallas, a
// short 944 receives 20 units of the 24 with 1 damaged, a 947 with an
// unknown reason fails with its place (kept for replay) and posts
// nothing, a good 947 adds 5 on hand and 2 damaged.
func TestWarehouseAdvicesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	copyTree(t, "../examples/partners", partnersDir)
	addWarehouseDocs(t, filepath.Join(partnersDir, "acme-3pl.yaml"))
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers = filepath.Join(dir, "data"), partnersDir, 2
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	const w06 = "W06*F*PO-77*20261120*SHIP-1"
	files := []string{
		acmeX12(t, 2001, "AR", "943", w06, "N1*ST*ACME DALLAS*92*DAL1", "G62*17*20261124", "W27*M*ABFS", "W04*2*CA**VN*AC-1001", "W03*2"),
		acmeX12(t, 2002, "RE", "944", "W17*F*20261124*R-9*PO-77*SHIP-1", "N1*WH*ACME DALLAS*92*DAL1", "W07*20*EA**VN*AC-1001", "W13*1*EA*01", "W14*20"),
	}
	// One at a time: the workers take files in any order, and a receipt
	// processed before its 943 finds nothing in transit to take.
	for _, f := range files {
		if m := ingest(t, g, "acme-3pl", f)[0]; m.State != inbox.Done || m.Result.Movements == 0 {
			t.Fatalf("%s: %s %+v %v", m.Name, m.State, m.Result, m.Errors)
		}
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 20 || b.InTransit != 4 || b.Damaged != 1 || b.Available() != 19 {
		t.Errorf("after the 943 and the 944: on hand %d, in transit %d, damaged %d, available %d; want 20, 4, 1, 19",
			b.OnHand, b.InTransit, b.Damaged, b.Available())
	}
	bad := acmeX12(t, 2003, "AW", "947", "W15*20261126*ADJ-1*D-1", "N1*WH*ACME DALLAS*92*DAL1", "W19*56*5*EA**VN*AC-1001", "W19*ZZ*1*EA**VN*AC-1001")
	m := ingest(t, g, "acme-3pl", bad)[0]
	var problems strings.Builder
	for _, p := range m.Errors {
		problems.WriteString(p.Place + ": " + p.Msg + "\n")
	}
	if m.State != inbox.Failed || m.Result.Movements != 0 || !strings.Contains(problems.String(), `segment 5 (W19): W1901 "ZZ": adjustment reason not in the profile's reason table`) {
		t.Errorf("947 with an unknown reason: %s %+v %q", m.State, m.Result, m.Errors)
	}
	good := acmeX12(t, 2004, "AW", "947", "W15*20261126*ADJ-2*D-2", "N1*WH*ACME DALLAS*92*DAL1", "W19*56*5*EA**VN*AC-1001", "W19*AU*2*EA**VN*AC-1001")
	if m := ingest(t, g, "acme-3pl", good)[0]; m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("947: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 25 || b.Damaged != 3 || b.Available() != 22 {
		t.Errorf("after the 947s: on hand %d, damaged %d, available %d; want 25, 3, 22", b.OnHand, b.Damaged, b.Available())
	}
	if err := g.Ledger.Verify(context.Background()); err != nil {
		t.Errorf("ledger inconsistent: %v", err)
	}
}

// TestWarehouseAdvicesResent: 3PLs resend. A 943, 944 and 947 re-sent
// under new interchange, group and set control numbers change nothing
// (the 943 by its W06-04 shipment, the 944 by its W17-03 receipt, the
// 947 by its W15-02 adjustment number); a 944 under a receipt number
// posted before with other lines fails, naming the first, and posts
// nothing.
func TestWarehouseAdvicesResent(t *testing.T) {
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	copyTree(t, "../examples/partners", partnersDir)
	addWarehouseDocs(t, filepath.Join(partnersDir, "acme-3pl.yaml"))
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers = filepath.Join(dir, "data"), partnersDir, 2
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	const w06 = "W06*F*PO-77*20261120*SHIP-1"
	docs := []struct {
		fg, set string
		segs    []string
	}{
		{"AR", "943", []string{w06, "N1*ST*ACME DALLAS*92*DAL1", "G62*17*20261124", "W27*M*ABFS", "W04*2*CA**VN*AC-1001", "W03*2"}},
		{"RE", "944", []string{"W17*F*20261124*R-9*PO-77*SHIP-1", "N1*WH*ACME DALLAS*92*DAL1", "W07*20*EA**VN*AC-1001", "W13*1*EA*01", "W14*20"}},
		{"AW", "947", []string{"W15*20261126*ADJ-2*D-2", "N1*WH*ACME DALLAS*92*DAL1", "W19*56*5*EA**VN*AC-1001", "W19*AU*2*EA**VN*AC-1001"}},
	}
	want := func(what string) {
		t.Helper()
		if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 25 || b.InTransit != 4 || b.Damaged != 3 || b.Available() != 22 {
			t.Errorf("%s: on hand %d, in transit %d, damaged %d, available %d; want 25, 4, 3, 22",
				what, b.OnHand, b.InTransit, b.Damaged, b.Available())
		}
	}
	for i, d := range docs {
		if m := ingest(t, g, "acme-3pl", acmeX12(t, 2001+i, d.fg, d.set, d.segs...))[0]; m.State != inbox.Done || m.Result.Movements == 0 {
			t.Fatalf("%s: %s %+v %v", d.set, m.State, m.Result, m.Errors)
		}
	}
	want("posted once")
	for i, d := range docs {
		m := ingest(t, g, "acme-3pl", acmeX12(t, 3001+i, d.fg, d.set, d.segs...))[0]
		if m.State == inbox.Failed || m.Result.Movements != 0 {
			t.Errorf("%s re-sent under new control numbers: %s %+v %v", d.set, m.State, m.Result, m.Errors)
		}
	}
	want("every advice re-sent under new control numbers")

	other := acmeX12(t, 4002, "RE", "944", "W17*F*20261124*R-9*PO-77*SHIP-1", "N1*WH*ACME DALLAS*92*DAL1", "W07*21*EA**VN*AC-1001", "W14*21")
	m := ingest(t, g, "acme-3pl", other)[0]
	if m.State != inbox.Failed || m.Result.Movements != 0 || len(m.Errors) == 0 || !strings.Contains(m.Errors[0].Msg, "posted before") ||
		!strings.Contains(m.Errors[0].Msg, "document 944|acme-3pl|R-9") || !strings.Contains(m.Errors[0].Msg, "under the same document number") {
		t.Errorf("a 944 under receipt R-9 with other lines: %s %+v %v", m.State, m.Result, m.Errors)
	}
	want("a receipt number reused with other lines")
	if err := g.Ledger.Verify(context.Background()); err != nil {
		t.Errorf("ledger inconsistent: %v", err)
	}
}

// TestWarehouseReceiptUnknownTransfer: a 944 against a transfer nobody
// announced (here: before its 943) fails at its W07 with a 997 AK5 R,
// posts nothing (its W13 exception neither), and posts once replayed
// after the 943; re-sent under new control numbers then, it is not
// checked again (its movements are posted) and posts nothing.
func TestWarehouseReceiptUnknownTransfer(t *testing.T) {
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	copyTree(t, "../examples/partners", partnersDir)
	addWarehouseDocs(t, filepath.Join(partnersDir, "acme-3pl.yaml"))
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers = filepath.Join(dir, "data"), partnersDir, 2
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	receipt := []string{"W17*F*20261124*R-9*PO-77*SHIP-1", "N1*WH*ACME DALLAS*92*DAL1", "W07*20*EA**VN*AC-1001", "W13*1*EA*01", "W14*20"}
	m := ingest(t, g, "acme-3pl", acmeX12(t, 2101, "RE", "944", receipt...))[0]
	if m.State != inbox.Failed || m.Result.Movements != 0 || len(m.Errors) != 1 ||
		m.Errors[0].Place != "944-2101.edi: set 944 0001 (interchange 000002101, group 2101), segment 4 (W07)" ||
		!strings.Contains(m.Errors[0].Msg, "nothing is in transit for WIDGET-RED at dallas: no 943 or 856 announced the transfer this receipt is against (W17-04/05 PO-77)") {
		t.Fatalf("944 of an unknown transfer: %s %+v %+v", m.State, m.Result, m.Errors)
	}
	if ack := last997(t, g); !strings.Contains(ack, "AK3*W07*4**8~") || !strings.Contains(ack, "AK5*R") {
		t.Errorf("997 of the 944:\n%s", ack)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 0 || b.Damaged != 0 || b.InTransit != 0 {
		t.Errorf("after the refused 944: %+v", b)
	}
	if m := ingest(t, g, "acme-3pl", acmeX12(t, 2102, "AR", "943", "W06*F*PO-77*20261120*SHIP-1", "N1*ST*ACME DALLAS*92*DAL1",
		"G62*17*20261124", "W27*M*ABFS", "W04*2*CA**VN*AC-1001", "W03*2"))[0]; m.State != inbox.Done {
		t.Fatalf("943: %s %v", m.State, m.Errors)
	}
	if _, err := g.Inbox.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	if err := g.Drain(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if m, _ := g.Inbox.Get(m.ID); m.State != inbox.Done || m.Result.Movements != 2 {
		t.Errorf("944 replayed: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 20 || b.Damaged != 1 || b.InTransit != 4 {
		t.Errorf("after the 944 replayed: on hand %d, damaged %d, in transit %d; want 20, 1, 4", b.OnHand, b.Damaged, b.InTransit)
	}
	again := ingest(t, g, "acme-3pl", acmeX12(t, 2103, "RE", "944", receipt...))[0]
	if again.State == inbox.Failed || again.Result.Movements != 0 {
		t.Errorf("944 re-sent: %s %+v %v", again.State, again.Result, again.Errors)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 20 || b.Damaged != 1 || b.InTransit != 4 {
		t.Errorf("after the 944 re-sent: %+v", b)
	}
}
