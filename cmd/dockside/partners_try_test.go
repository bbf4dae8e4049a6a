package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const samplesDir = "../../examples/samples"

// TestPartnersTryOrders: a change says what it does with the order
// number, never the ledger's "all" sentinel; with --data, the quantity the
// order holds.
func TestPartnersTryOrders(t *testing.T) {
	change := filepath.Join(samplesDir, "shopmart", "order-940-change.edi")
	code, out, errOut := runCLI(t, "partners", "try", "shopmart", change)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"replace order SO-9001: releases all it holds, then allocates its new lines", "allocate order SO-9001: 3 × WIDGET-RED at dallas"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "1000000000000000") || strings.Contains(out, "against") {
		t.Errorf("a sentinel, or a ledger check without a ledger:\n%s", out)
	}
	data, config := serveConfig(t)
	if code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", "shopmart", filepath.Join(samplesDir, "shopmart", "order-940.edi")); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "partners", "try", "shopmart", change, "--config", config)
	if code != exitOK || !strings.Contains(out, "replace order SO-9001: releases what it holds, then allocates its new lines") ||
		!strings.Contains(out, "release order SO-9001: 5 × WIDGET-RED at dallas (all it holds)") ||
		!strings.Contains(out, "against the ledger in "+data+": 0 duplicates, 0 stale counts") {
		t.Errorf("change: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "partners", "try", "shopmart", filepath.Join(samplesDir, "shopmart", "order-940-cancel.edi"), "--config", config)
	if code != exitOK || !strings.Contains(out, "cancel order SO-9001: releases what it holds") ||
		!strings.Contains(out, "release order SO-9001: 5 × WIDGET-RED at dallas (all it holds)") ||
		!strings.Contains(out, "release order SO-9001: 2 × WIDGET-BLUE at dallas (all it holds)") {
		t.Errorf("cancel: exit %d\n%s", code, out)
	}
	// The same order again, under new control numbers: a duplicate.
	b, err := os.ReadFile(filepath.Join(samplesDir, "shopmart", "order-940.edi"))
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.edi")
	if err := os.WriteFile(again, []byte(strings.NewReplacer("000002001", "000002009", "*2001*", "*2009*", "GE*1*2001", "GE*1*2009").Replace(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "partners", "try", "shopmart", again, "--config", config, "--json")
	var v struct {
		Documents []struct {
			Order struct {
				What      string `json:"what"`
				Number    string `json:"number"`
				Action    string `json:"action"`
				Settled   bool   `json:"settled"`
				Open      bool   `json:"open"`
				Duplicate bool   `json:"duplicate"`
			} `json:"order"`
			Movements []any `json:"movements"`
		} `json:"documents"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitOK || len(v.Documents) != 1 {
		t.Fatalf("again: exit %d, %v\n%s", code, err, out)
	}
	if o := v.Documents[0].Order; o.Number != "SO-9001" || o.Action != "new" || !o.Settled || !o.Open || !o.Duplicate ||
		!strings.Contains(o.What, "nothing would be posted") || len(v.Documents[0].Movements) != 0 {
		t.Errorf("again: %+v", v.Documents[0])
	}
	// The history of the change, once posted, has no sentinel either.
	if code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", "shopmart", change); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "history", "WIDGET-RED", "--data", data)
	if code != exitOK || strings.Contains(out, "1000000000000000") || !regexp.MustCompile(`release\s+all\s+allocated-5`).MatchString(out) {
		t.Errorf("history: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "history", "WIDGET-RED", "--data", data, "--json")
	if code != exitOK || strings.Contains(out, "1000000000000000") || !strings.Contains(out, `"all_of_order":true`) {
		t.Errorf("history --json: exit %d\n%s", code, out)
	}
}

// TestPartnersTryAgainstLedger: with --data, lines the ledger already has
// are duplicates and counts older than the one applied are stale; --json
// uses snake_case names.
func TestPartnersTryAgainstLedger(t *testing.T) {
	data, config := serveConfig(t)
	count := filepath.Join(samplesDir, "acme-3pl", "inventory-846.edi")
	if code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", "acme-3pl", count); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	// An older count, sent later (another interchange).
	b, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	older := strings.NewReplacer("000001001", "000001009", "*1001*", "*1009*", "GE*1*1001", "GE*1*1009", "20261125", "20261120").Replace(string(b))
	olderFile := filepath.Join(t.TempDir(), "older-846.edi")
	if err := os.WriteFile(olderFile, []byte(older), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file               string
		dups, stale, moves int
		text               string
	}{
		{count, 7, 0, 7, "duplicate: already posted (movement 1); not counted again"},
		{olderFile, 0, 7, 7, "stale: a newer on_hand count (2026-11-25T23:00:00-06:00) is applied"},
	} {
		code, out, errOut := runCLI(t, "partners", "try", "acme-3pl", tc.file, "--data", data)
		if code != exitOK || !strings.Contains(out, tc.text) {
			t.Errorf("%s: exit %d\n%s%s", tc.file, code, out, errOut)
		}
		code, out, _ = runCLI(t, "partners", "try", "acme-3pl", tc.file, "--data", data, "--json")
		var v struct {
			Ledger    string `json:"ledger"`
			Documents []struct {
				Movements []struct {
					What        string `json:"what"`
					SourceKey   string `json:"source_key"`
					SKU         string `json:"sku"`
					DuplicateOf uint64 `json:"duplicate_of"`
					Stale       bool   `json:"stale"`
				} `json:"movements"`
			} `json:"documents"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitOK || len(v.Documents) != 1 {
			t.Fatalf("%s --json: exit %d, %v\n%s", tc.file, code, err, out)
		}
		var dups, stale int
		for _, m := range v.Documents[0].Movements {
			if m.SourceKey == "" || m.SKU == "" || m.What == "" {
				t.Errorf("not snake_case: %+v", m)
			}
			if m.DuplicateOf != 0 {
				dups++
			}
			if m.Stale {
				stale++
			}
		}
		if n := len(v.Documents[0].Movements); n != tc.moves || dups != tc.dups || stale != tc.stale || v.Ledger != "the ledger in "+data {
			t.Errorf("%s: %d movements, %d duplicates, %d stale, ledger %q", tc.file, n, dups, stale, v.Ledger)
		}
	}
}

// acmeFile writes one interchange from ACME (control number ctl) holding
// a set of the segments given, and returns its path.
func acmeFile(t *testing.T, set, fg string, ctl int, segs ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261126*0100*U*00401*%09d*0*P*>~\n", ctl)
	fmt.Fprintf(&b, "GS*%s*ACME3PL*DOCKSIDE*20261126*0100*%d*X*004010~\nST*%s*0001~\n", fg, ctl, set)
	for _, s := range segs {
		b.WriteString(s + "~\n")
	}
	fmt.Fprintf(&b, "SE*%d*0001~\nGE*1*%d~\nIEA*1*%09d~\n", len(segs)+2, ctl, ctl)
	file := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d.edi", set, ctl))
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestPartnersTryWarehouse: partners try shows what the 850 and the
// warehouse advices (943, 944, 945, 947) of the example partners would
// post; with the data folder (a stopped serve's) a 945 is settled
// against the order its 940 carried, and one for an order never sent, or
// shipping more than was allocated, shows the error with its place, as
// does a 944 against a transfer nobody announced.
func TestPartnersTryWarehouse(t *testing.T) {
	data, config := serveConfig(t)
	for _, in := range [][2]string{{"acme-3pl", "acme-3pl/inventory-846.edi"}, {"acme-3pl", "acme-3pl/ship-notice-856.edi"}, {"shopmart", "shopmart/po-850.edi"}} {
		if code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", in[0], filepath.Join(samplesDir, in[1])); code != exitOK {
			t.Fatalf("ingest %s: exit %d\n%s%s", in[1], code, out, errOut)
		}
	}
	const n1 = "N1*WH*ACME DALLAS*92*DAL1"
	w945 := func(ctl int, order string, w12 ...string) string {
		return acmeFile(t, "945", "SW", ctl, append([]string{"W06*F*" + order + "*20261126*BOL-1", "N1*SF*ACME DALLAS*92*DAL1", "LX*1"}, w12...)...)
	}
	for _, tc := range []struct {
		name    string
		partner string
		file    string
		live    bool // against the data folder
		code    int
		want    []string
	}{
		{"850", "shopmart", filepath.Join(samplesDir, "shopmart", "po-850.edi"), false, exitOK,
			[]string{"x12/850 000002101/2101/0001: accepted, 2 movements", "new order PO-7001: allocates its lines", "allocate order PO-7001: 4 × WIDGET-RED at dallas"}},
		{"943", "acme-3pl", acmeFile(t, "943", "AR", 11, "W06*F*PO-77*20261120*SHIP-1", "N1*ST*ACME DALLAS*92*DAL1", "G62*17*20261124", "W27*M*ABFS", "W04*2*CA**VN*AC-1001", "W03*2"), false, exitOK,
			[]string{"x12/943 000000011/11/0001: accepted, 1 movement", "in transit +24 × WIDGET-RED at dallas, due 2026-11-24", "943|acme-3pl|PO-77|SHIP-1|6"}},
		{"944", "acme-3pl", acmeFile(t, "944", "RE", 12, "W17*F*20261124*R-9*PO-77*SHIP-1", n1, "W07*20*EA**VN*AC-1001", "W13*1*EA*01", "W14*20"), false, exitOK,
			[]string{"receive 20 × WIDGET-RED at dallas, off in transit (what is there)", `damaged +1 × WIDGET-RED at dallas (reason "944 receiving condition 01")`, "944|acme-3pl|R-9|4|receipt"}},
		{"947", "acme-3pl", acmeFile(t, "947", "AW", 13, "W15*20261126*ADJ-1*D-1", n1, "W19*AU*2*EA**VN*AC-1001", "W19*56*5*EA**VN*AC-1002"), false, exitOK,
			[]string{"damaged +2 × WIDGET-RED at dallas", `adjust WIDGET-BLUE at dallas by +5 (reason "947 reason 56")`}},
		{"947 unknown reason", "acme-3pl", acmeFile(t, "947", "AW", 14, "W15*20261126*ADJ-2*D-2", n1, "W19*ZZ*1*EA**VN*AC-1001"), false, exitFail,
			[]string{"rejected, 0 movements", `error: segment 4 (W19): W1901 "ZZ": adjustment reason not in the profile's reason table`}},
		{"944 against the 856", "acme-3pl", acmeFile(t, "944", "RE", 19, "W17*F*20261124*R-7*PO-5001*SHP-7001", n1, "W07*20*EA**VN*AC-1001", "W14*20"), true, exitOK,
			[]string{"x12/944 000000019/19/0001: accepted, 1 movement", "receive 20 × WIDGET-RED at dallas, off in transit (what is there)"}},
		{"944 against an unknown transfer", "acme-3pl", acmeFile(t, "944", "RE", 20, "W17*F*20261124*R-8*PO-88*SHIP-8", n1, "W07*20*EA**VN*AC-2001", "W14*20"), true, exitFail,
			[]string{"x12/944 000000020/20/0001: rejected, 1 movement",
				"error: segment 4 (W07): nothing is in transit for GADGET-S at dallas: no 943 or 856 announced the transfer this receipt is against (W17-04/05 PO-88); processing would refuse the 944"}},
		{"945 without the order book", "acme-3pl", w945(15, "PO-7001", "W12*BP*4*3*1*EA**VN*AC-1001"), false, exitOK,
			[]string{"accepted, 0 movements", "shipment BOL-1 of order PO-7001: 1 line (--data"}},
		{"945", "acme-3pl", w945(16, "PO-7001", "W12*BP*4*3*1*EA**VN*AC-1001", "W12*CP*3*2*1*EA**VN*AC-1002"), true, exitOK,
			[]string{"accepted, 3 movements", "shipment BOL-1 of order PO-7001 (shopmart PO-7001) from dallas: 2 lines",
				"ship 3 × WIDGET-RED at dallas for order PO-7001", "ship 2 × WIDGET-BLUE at dallas for order PO-7001",
				"release order PO-7001: 1 × WIDGET-BLUE at dallas", "against the ledger in " + data + ": 0 duplicates"}},
		{"945 unknown order", "acme-3pl", w945(17, "PO-9999", "W12*CC*1*1*0*EA**VN*AC-1001"), true, exitFail,
			[]string{"rejected, 0 movements", `error: segment 2 (W06): W0602 "PO-9999": shipment BOL-1 of order PO-9999 from acme-3pl: unknown warehouse order: no order PO-9999 was sent to acme-3pl`}},
		{"945 over-shipping", "acme-3pl", w945(18, "PO-7001", "W12*CC*4*9*0*EA**VN*AC-1001"), true, exitFail,
			[]string{"rejected, 0 movements", `error: segment 5 (W12): W1203 "9": shipment BOL-1 of order PO-7001 from acme-3pl`, "allocates 4, shipped 0 before, 9 now"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"partners", "try", tc.partner, tc.file}
			if tc.live {
				args = append(args, "--config", config)
			} else {
				args = append(args, "--partners", filepath.Join(filepath.Dir(config), "partners"))
			}
			code, out, errOut := runCLI(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
		})
	}
}
