package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// ledgerEnv is a test env with captured output and the given variables.
func ledgerEnv(vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return vars[k] },
		Now:    func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	}, &out, &errb
}

// seedLedger writes a small ledger into dir/ledger.db. Cleanup checks the
// file afterwards (bbolt's Tx.Check and the ledger's invariants).
func seedLedger(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "ledger.db")
	l, err := ledger.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Cleanup(func() {
		l, err := ledger.Open(path, &ledger.Options{ReadOnly: true})
		if err != nil {
			t.Errorf("reopening %s: %v", path, err)
			return
		}
		defer l.Close()
		if err := l.Verify(context.Background()); err != nil {
			t.Errorf("ledger file after the test: %v", err)
		}
	})
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	ref := ledger.Reference{Partner: "ACME", DocumentType: "944", Interchange: "000000101", Group: "1", Transaction: "0001"}
	ms := []ledger.Movement{
		{SourceKey: "r1", SKU: "A-1", Location: "WH1", Kind: ledger.KindReceipt, Quantity: 10, Effective: t0, Reference: ref},
		{SourceKey: "r2", SKU: "A-1", Location: "WH2", Kind: ledger.KindReceipt, Quantity: 4, Effective: t0, Reference: ref},
		{SourceKey: "r3", SKU: "A-10", Location: "WH1", Kind: ledger.KindReceipt, Quantity: 7, Effective: t0, Reference: ref},
		{SourceKey: "a1", SKU: "A-1", Location: "WH1", Kind: ledger.KindAllocate, Quantity: 12, Effective: t0.Add(time.Hour), Reference: ledger.Reference{Order: "SO-1"}},
		{SourceKey: "d1", SKU: "A-1", Location: "WH1", Kind: ledger.KindDamage, Quantity: 1, Effective: t0.Add(2 * time.Hour)},
		{SourceKey: "t1", SKU: "B-2", Location: "WH1", Kind: ledger.KindInTransit, Quantity: 5, Effective: t0, Expected: t0.Add(72 * time.Hour)},
	}
	if _, err := l.Post(context.Background(), ledger.Document{Key: "seed", Movements: ms}); err != nil {
		t.Fatal(err)
	}
	snap := ledger.Movement{SourceKey: "s-old", SKU: "A-1", Location: "WH1", Kind: ledger.KindSnapshot, Quantity: 3, Effective: t0.Add(-time.Hour)}
	if _, err := l.Post(context.Background(), ledger.Document{Key: "846-1", Movements: []ledger.Movement{
		{SourceKey: "s-new", SKU: "A-1", Location: "WH1", Kind: ledger.KindSnapshot, Quantity: 9, Effective: t0.Add(3 * time.Hour)},
		snap,
	}}); err != nil {
		t.Fatal(err)
	}
}

var stockFields = []string{"allocated", "available", "damaged", "in_transit", "location", "on_hand", "quarantined", "sku"}

func TestStockJSON(t *testing.T) {
	dir := t.TempDir()
	seedLedger(t, dir)
	tests := []struct {
		name string
		args []string
		want []string // sku@location=available
	}{
		{"all", nil, []string{"A-1@WH1=-4", "A-1@WH2=4", "A-10@WH1=7", "B-2@WH1=0"}},
		{"one SKU, not its prefix", []string{"--sku", "A-1"}, []string{"A-1@WH1=-4", "A-1@WH2=4"}},
		{"one location", []string{"--location", "WH2"}, []string{"A-1@WH2=4"}},
		{"SKU at location", []string{"--sku", "A-10", "--location", "WH1"}, []string{"A-10@WH1=7"}},
		{"nothing", []string{"--sku", "NOPE"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, out, errb := ledgerEnv(nil)
			args := append([]string{"stock", "--data", dir, "--json"}, tt.args...)
			if code := run(t.Context(), e, args); code != exitOK {
				t.Fatalf("exit %d: %s", code, errb)
			}
			var raw []map[string]json.RawMessage
			if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			if raw == nil {
				t.Fatalf("not an array: %s", out)
			}
			var got []string
			for _, obj := range raw {
				var keys []string
				for k := range obj {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if !slices.Equal(keys, stockFields) {
					t.Fatalf("fields %v, want exactly %v", keys, stockFields)
				}
				var b balanceJSON
				all, _ := json.Marshal(obj)
				if err := json.Unmarshal(all, &b); err != nil {
					t.Fatal(err)
				}
				got = append(got, b.SKU+"@"+b.Location+"="+itoa(b.Available))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStockJSONFigures(t *testing.T) {
	dir := t.TempDir()
	seedLedger(t, dir)
	e, out, errb := ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"stock", "--sku", "A-1", "--location", "WH1", "--json", "--data", dir}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var got []balanceJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []balanceJSON{{SKU: "A-1", Location: "WH1", OnHand: 9, Allocated: 12, Available: -4, Damaged: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestStockText(t *testing.T) {
	dir := t.TempDir()
	seedLedger(t, dir)
	e, out, errb := ledgerEnv(map[string]string{"DOCKSIDE_DATA": dir})
	if code := run(t.Context(), e, []string{"stock"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"SKU", "AVAILABLE", "A-1", "WH2", "-4", "4 balances, 1 oversold"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestStockDataFolder(t *testing.T) {
	dir := t.TempDir()
	seedLedger(t, dir)
	other := t.TempDir()
	// --data wins over DOCKSIDE_DATA.
	e, out, errb := ledgerEnv(map[string]string{"DOCKSIDE_DATA": other})
	if code := run(t.Context(), e, []string{"stock", "--json", "--data", dir}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), "A-10") {
		t.Errorf("--data not used: %s", out)
	}
	// DOCKSIDE_DATA pointing at a folder without a ledger.
	e, _, errb = ledgerEnv(map[string]string{"DOCKSIDE_DATA": other})
	if code := run(t.Context(), e, []string{"stock"}); code != exitUsage || !strings.Contains(errb.String(), "no ledger at "+filepath.Join(other, "ledger.db")) {
		t.Errorf("exit %d, stderr %q", code, errb)
	}
	// The default ./dockside-data.
	t.Chdir(t.TempDir())
	e, _, errb = ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"stock"}); code != exitUsage || !strings.Contains(errb.String(), filepath.Join("dockside-data", "ledger.db")) {
		t.Errorf("exit %d, stderr %q", code, errb)
	}
}

func TestStockUsage(t *testing.T) {
	e, out, _ := ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"stock", "--help"}); code != exitOK || !strings.Contains(out.String(), "Usage: dockside stock") {
		t.Errorf("--help: exit %d, %s", code, out)
	}
	e, _, _ = ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"stock", "extra"}); code != exitUsage {
		t.Errorf("extra argument: exit %d", code)
	}
	e, _, _ = ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"stock", "--bogus"}); code != exitUsage {
		t.Errorf("unknown flag: exit %d", code)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
