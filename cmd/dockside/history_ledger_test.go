package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestHistoryJSON(t *testing.T) {
	dir := t.TempDir()
	seedLedger(t, dir)
	e, out, errb := ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"history", "A-1", "--location", "WH1", "--json", "--data", dir}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var got []movementJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	// Newest first by effective time: s-new (+3h), d1 (+2h), a1 (+1h), r1, s-old (-1h, stale).
	var keys []string
	for _, m := range got {
		keys = append(keys, m.SourceKey)
	}
	if strings.Join(keys, " ") != "s-new d1 a1 r1 s-old" {
		t.Fatalf("order %v", keys)
	}
	last := got[len(got)-1]
	if !last.Stale || last.Document != "846-1" || last.Kind.String() != "snapshot" || last.Bucket.String() != "on_hand" {
		t.Errorf("stale snapshot %+v", last)
	}
	if got[0].Delta.OnHand != -1 || got[0].Stale {
		t.Errorf("snapshot delta %+v", got[0])
	}
	if r := got[3].Reference; r.Partner != "ACME" || r.Interchange != "000000101" || got[3].Document != "seed" {
		t.Errorf("receipt reference %+v", got[3])
	}
	var raw []map[string]any
	json.Unmarshal(out.Bytes(), &raw)
	for _, f := range []string{"id", "seq", "source_key", "document", "sku", "location", "kind", "quantity", "effective", "recorded", "stale", "reference", "delta"} {
		if _, ok := raw[0][f]; !ok {
			t.Errorf("field %q missing", f)
		}
	}
}

func TestHistoryAllLocationsAndLimit(t *testing.T) {
	dir := t.TempDir()
	seedLedger(t, dir)
	e, out, errb := ledgerEnv(map[string]string{"DOCKSIDE_DATA": dir})
	if code := run(t.Context(), e, []string{"history", "--json", "A-1"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var got []movementJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d movements, want 6 over both locations", len(got))
	}
	e, out, errb = ledgerEnv(map[string]string{"DOCKSIDE_DATA": dir})
	if code := run(t.Context(), e, []string{"history", "A-1", "--limit", "2", "--json"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	got = nil
	json.Unmarshal(out.Bytes(), &got)
	if len(got) != 2 || got[0].SourceKey != "s-new" {
		t.Fatalf("limit 2: %+v", got)
	}
	e, out, errb = ledgerEnv(map[string]string{"DOCKSIDE_DATA": dir})
	if code := run(t.Context(), e, []string{"history", "NOPE", "--json"}); code != exitOK || strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("unknown SKU: exit %d, %q %s", code, out, errb)
	}
}

func TestHistoryText(t *testing.T) {
	dir := t.TempDir()
	seedLedger(t, dir)
	e, out, errb := ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"history", "A-1", "--data", dir}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"EFFECTIVE", "LOCATION", "snapshot(on_hand)", "stale: not applied", "allocated+12", "order SO-1", "ACME 944 ISA 000000101", "6 movements"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHistoryUsage(t *testing.T) {
	for _, args := range [][]string{{"history"}, {"history", "A", "B"}, {"history", "A", "--limit", "-1"}} {
		e, _, _ := ledgerEnv(nil)
		if code := run(t.Context(), e, args); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	e, out, _ := ledgerEnv(nil)
	if code := run(t.Context(), e, []string{"history", "--help"}); code != exitOK || !strings.Contains(out.String(), "Usage: dockside history SKU") {
		t.Errorf("--help: exit %d %s", code, out)
	}
}
