package main

import (
	"encoding/json"
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
