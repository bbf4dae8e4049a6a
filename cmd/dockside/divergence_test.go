package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
)

// TestDivergenceCommand: Shopmart was told (and received) 94 red
// widgets, then Dallas received more; ACME reported its own figure. The
// command lists both rows and exits 1; with nothing divergent, 0.
func TestDivergenceCommand(t *testing.T) {
	dir := t.TempDir()
	data, parts := filepath.Join(dir, "data"), "../../examples/partners"
	cfg := gateway.DefaultConfig()
	cfg.Data, cfg.Partners = data, parts
	g, err := gateway.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	post := func(key string, q int64) {
		_, err := g.Ledger.Post(ctx, ledger.Document{Key: key, Movements: []ledger.Movement{{SourceKey: key, SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindReceipt, Quantity: q}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	post("r1", 120)
	if _, err := g.Advice.Broadcast(ctx, "shopmart", broadcast.Options{Send: true}); err != nil {
		t.Fatal(err)
	}
	due, _ := g.Outbox.Due(10)
	for _, m := range due {
		g.Outbox.Succeeded(m.ID, outbox.Receipt{Text: "MDN processed"})
	}
	if err := g.Advice.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		e, out, errb := ledgerEnv(nil)
		code := run(ctx, e, append([]string{"divergence", "--partners", parts, "--data", data}, args...))
		return code, out.String(), errb.String()
	}
	g.Close()
	if code, out, errs := run(); code != exitOK || strings.Count(out, "\n") != 1 {
		t.Fatalf("nothing divergent: exit %d\n%s%s", code, out, errs)
	}

	g, err = gateway.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	post("r2", 50)
	g.Divergence.Checker.Store.Report([]divergence.Reported{{Partner: "acme-3pl", SKU: "WIDGET-RED", Location: "dallas", Quantity: 160}})
	g.Close()
	code, out, errs := run()
	if code != exitFail || !strings.Contains(out, "WIDGET-RED  shopmart  channel           134   94      -40") ||
		!strings.Contains(out, "WIDGET-RED  acme-3pl  dallas            170   160     -10") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = run("--json", "--kind", "location")
	var rep divergence.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFail || len(rep.Rows) != 1 || rep.Rows[0].Partner != "acme-3pl" {
		t.Fatalf("--json --kind location: exit %d, %v\n%s", code, err, out)
	}
	if code, _, _ := run("--kind", "colour"); code != exitUsage {
		t.Errorf("a bad --kind: exit %d", code)
	}
}
