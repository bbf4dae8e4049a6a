package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/orders"
)

// TestOrdersCommands: an order ingested from a channel, at a location the
// example 3PL fulfils (added to its profile here), is listed as sent and
// shown with its 940; an unknown order exits 1.
func TestOrdersCommands(t *testing.T) {
	dir := t.TempDir()
	parts := filepath.Join(dir, "partners")
	copyTestTree(t, "../../examples/partners", parts)
	acme := filepath.Join(parts, "acme-3pl.yaml")
	b, err := os.ReadFile(acme)
	if err != nil {
		t.Fatal(err)
	}
	// The example's own warehouse section (it fulfils Dallas and Reno)
	// gives way to this one.
	if i := bytes.Index(b, []byte("\n  # The warehouse advices and the orders they ship")); i >= 0 {
		b = append(b[:i:i], '\n')
	}
	b = append(b, "\nfulfils:\n  locations: {dallas: DAL1}\n  items: {qualifier: VN}\n"...)
	if err := os.WriteFile(acme, b, 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	cli := func(args ...string) (int, string, string) {
		e, out, errb := ledgerEnv(nil)
		code := run(context.Background(), e, args)
		return code, out.String(), errb.String()
	}
	if code, out, errs := cli("ingest", "--partner", "shopmart", "--partners", parts, "--data", data, "../../examples/samples/shopmart/order-940.edi"); code != exitOK {
		t.Fatalf("ingest: %d %s %s", code, out, errs)
	}
	code, out, errs := cli("orders", "list", "--data", data, "--partners", parts)
	if code != exitOK || !strings.Contains(out, "shopmart  SO-9001  sent") || !strings.Contains(out, "acme-3pl@dallas") {
		t.Errorf("orders list: %d\n%s%s", code, out, errs)
	}
	code, out, errs = cli("orders", "list", "--state", "cancelled", "--json", "--data", data, "--partners", parts)
	if code != exitOK || strings.TrimSpace(out) != "[]" {
		t.Errorf("orders list --state cancelled: %d %s %s", code, out, errs)
	}
	code, out, errs = cli("orders", "show", "shopmart", "SO-9001", "--data", data, "--partners", parts)
	if code != exitOK || !strings.Contains(out, "Order SO-9001 of shopmart: sent") || !strings.Contains(out, "940 N") ||
		!strings.Contains(out, "WIDGET-RED") || !strings.Contains(out, "no 997 yet") {
		t.Errorf("orders show: %d\n%s%s", code, out, errs)
	}
	t.Logf("orders show:\n%s", out)
	code, out, _ = cli("orders", "show", "shopmart", "SO-9001", "--json", "--data", data, "--partners", parts)
	var v orders.View
	if err := json.Unmarshal([]byte(out), &v); code != exitOK || err != nil || v.State != orders.Sent || len(v.Dispatches) != 1 {
		t.Errorf("orders show --json: %d %v %+v", code, err, v)
	}
	if code, _, errs := cli("orders", "show", "shopmart", "SO-404", "--data", data, "--partners", parts); code != exitFail || !strings.Contains(errs, "not found") {
		t.Errorf("unknown order: %d %s", code, errs)
	}
	if code, _, _ := cli("orders", "list", "--state", "lost", "--data", data); code != exitUsage {
		t.Errorf("bad state: %d", code)
	}
}

func copyTestTree(t *testing.T, from, to string) {
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
