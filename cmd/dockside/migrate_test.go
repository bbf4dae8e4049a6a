package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/ledger"
	ledgerpg "github.com/dockside-edi/dockside/ledger/postgres"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/transports/sftp"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// runWithEnv runs one command with the given environment.
func runWithEnv(vars map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	e := &env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }, Now: time.Now}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// TestMigrateCommand: migrate creates the schema once, from --storage or
// DOCKSIDE_STORAGE, and --check tells a current schema from one behind.
func TestMigrateCommand(t *testing.T) {
	url := pg.Database(t)
	if code, out, _ := runCLI(t, "migrate", "--storage", url, "--check"); code != exitFail || !strings.Contains(out, "behind") {
		t.Errorf("check before migrating: exit %d, %q", code, out)
	}
	// serve does not create the schema: it says to migrate.
	noSchema := map[string]string{"DOCKSIDE_STORAGE": url, "DOCKSIDE_DATA": t.TempDir()}
	if code, _, errOut := runWithEnv(noSchema, "serve"); code == exitOK || !strings.Contains(errOut, "run dockside migrate") {
		t.Errorf("serve before migrating: exit %d, %q", code, errOut)
	}
	code, out, errOut := runCLI(t, "migrate", "--storage", url)
	if code != exitOK || !strings.Contains(out, "applied audit 0001_entries.sql") || !strings.Contains(out, "applied inbox 0001_inbox.sql") {
		t.Errorf("migrate: exit %d, %q %q", code, out, errOut)
	}
	env := map[string]string{"DOCKSIDE_STORAGE": url, "DOCKSIDE_DATA": t.TempDir()}
	if code, out, errOut := runWithEnv(env, "migrate"); code != exitOK || strings.HasPrefix(out, "applied") || !strings.Contains(out, "0 migrations applied") {
		t.Errorf("migrate again from DOCKSIDE_STORAGE: exit %d, %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "migrate", "--storage", url, "--check"); code != exitOK || !strings.Contains(out, "audit: current") || !strings.Contains(out, "inbox: current") {
		t.Errorf("check after migrating: exit %d, %q", code, out)
	}
}

func TestMigrateCommandRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no storage", map[string]string{"DOCKSIDE_DATA": t.TempDir()}, []string{"migrate"}, "no PostgreSQL storage configured"},
		{"not postgres", map[string]string{"DOCKSIDE_DATA": t.TempDir()}, []string{"migrate", "--storage", "mysql://u:secret@h/db"}, "not a postgres:// URL"},
		{"unreachable, password hidden", map[string]string{"DOCKSIDE_DATA": t.TempDir()},
			[]string{"migrate", "--storage", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=5"}, "connecting to postgres://u:xxxxx@127.0.0.1:1/db"},
		// serve on PostgreSQL that does not answer: the node does not start.
		{"serve on unreachable postgres", map[string]string{"DOCKSIDE_DATA": t.TempDir(), "DOCKSIDE_STORAGE": "postgres://u:secret@127.0.0.1:1/db"},
			[]string{"serve"}, "storage: pgstore: connecting to postgres://u:xxxxx@127.0.0.1:1/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runWithEnv(tc.env, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "secret") {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, exitUsage, tc.want)
			}
		})
	}
}

// bboltGateway makes the data folder of a stopped bbolt gateway with
// received messages and audit entries, and returns it.
func bboltGateway(t *testing.T) string {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	g, err := gateway.Open(cfg, &gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 5 {
		if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "acme-3pl", Transport: "sftp", Name: fmt.Sprintf("f%d.edi", i)},
			strings.NewReader(fmt.Sprintf("ISA %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"reload", "replay", "advice"} {
		if _, err := g.Audit.Record(ctx, audit.Entry{Who: "ops", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if _, err := g.Outbox.Enqueue(&outbox.Message{Key: fmt.Sprint("advice-", i), Partner: "shopmart", Kind: "846"}, []byte("ISA")); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range ledgerDocuments() {
		if _, err := g.Ledger.Post(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for name, seq := range webhookCursors {
		if err := g.Cursors.SetCursor(ctx, name, seq); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range disabledEndpoints {
		if _, err := g.Webhooks.Failing(d.name, d.since.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Webhooks.Disable(d.name, d.url, d.reason, d.since); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Webhooks.Failing("partner/acme-3pl", time.Date(2026, 3, 2, 0, 0, 0, 1, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sftp.NewDiskOut(filepath.Join(cfg.Data, "sftp")).Put(ctx, "acme-3pl", "997-1.x12", []byte("ISA*997~")); err != nil {
		t.Fatal(err)
	}
	res, err := reservations.OpenBolt(cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if err := res.Create(ctx, reservations.Record{Key: "r1", SKU: "WIDGET-RED", Location: "dallas", Quantity: 2, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return cfg.Data
}

// webhookCursors are the change stream cursors bboltGateway saves.
var webhookCursors = map[string]uint64{"nats": 5, "webhook/erp": 3}

// disabledEndpoints are the webhook endpoints bboltGateway disables
// (each failing for an hour before); it leaves partner/acme-3pl failing.
var disabledEndpoints = []struct {
	name, url, reason string
	since             time.Time
}{
	{"subscriber/erp", "https://erp.example/hook", "410 Gone", time.Date(2026, 3, 1, 5, 0, 0, 123456789, time.UTC)},
	{"partner/shopmart", "https://shopmart.example/in", "failing since 2026-02-28T05:00:00Z", time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)},
}

// ledgerDocuments are what bboltGateway posts to the ledger: a count
// of two locations, a ship notice, an order's allocation, a receipt of
// part of the notice and a shipment of the order.
func ledgerDocuments() []ledger.Document {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ref := func(partner, order string) ledger.Reference {
		return ledger.Reference{Partner: partner, DocumentType: "846", Order: order}
	}
	return []ledger.Document{
		{Key: "846-1", Movements: []ledger.Movement{
			{SourceKey: "846-1/1", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindSnapshot, Quantity: 40, Effective: t0, Reference: ref("acme-3pl", "")},
			{SourceKey: "846-1/2", SKU: "WIDGET-RED", Location: "reno", Kind: ledger.KindSnapshot, Quantity: 12, Effective: t0, Reference: ref("acme-3pl", "")},
			{SourceKey: "846-1/3", SKU: "WIDGET-BLUE", Location: "dallas", Kind: ledger.KindSnapshot, Quantity: 7, Effective: t0, Reference: ref("acme-3pl", "")}}},
		{Key: "856-1", Movements: []ledger.Movement{
			{SourceKey: "856-1/1", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindInTransit, Quantity: 20, Effective: t0.Add(time.Hour), Expected: t0.Add(72 * time.Hour)}}},
		{Key: "850-1", Movements: []ledger.Movement{
			{SourceKey: "850-1/1", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindAllocate, Quantity: 6, Effective: t0.Add(2 * time.Hour), Reference: ref("shopmart", "PO-1")}}},
		{Key: "944-1", Movements: []ledger.Movement{
			{SourceKey: "944-1/1", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 15, Effective: t0.Add(3 * time.Hour), TakeInTransit: true}}},
		{Key: "945-1", Movements: []ledger.Movement{
			{SourceKey: "945-1/1", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindShipment, Quantity: 2, Effective: t0.Add(4 * time.Hour), Reference: ref("shopmart", "PO-1")}}},
	}
}

// TestMigrateFrom: migrate --from copies a bbolt gateway's stores (here
// inbox, audit log, outbox, reservations hold records) into PostgreSQL
// and verifies them; a second run copies
// nothing; a folder that is no gateway's, or one still served, is
// refused with the reason.
func TestMigrateFrom(t *testing.T) {
	url := pg.Database(t)
	data := bboltGateway(t)
	code, out, errOut := runCLI(t, "migrate", "--from", data, "--to", url)
	if code != exitOK || !strings.Contains(out, "audit: 3 records, 3 copied now, 0 already present, 3 verified equal") ||
		!strings.Contains(out, "inbox: 5 records, 5 copied now, 0 already present, 5 verified equal") ||
		!strings.Contains(out, "outbox: 2 records, 2 copied now, 0 already present, 2 verified equal") ||
		!strings.Contains(out, "reservations: 1 records, 1 copied now, 0 already present, 1 verified equal") ||
		!strings.Contains(out, "sftp_out: 1 records, 1 copied now, 0 already present, 1 verified equal") ||
		!strings.Contains(out, "ledger: 7 records, 7 copied now, 0 already present, 7 verified equal") ||
		!strings.Contains(out, "stream: 2 records, 2 copied now, 0 already present, 2 verified equal") ||
		!strings.Contains(out, "webhook: 5 records, 5 copied now, 0 already present, 5 verified equal") ||
		!strings.Contains(out, "copied and verified: 12 stores") {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "migrate", "--from", data, "--to", url)
	if code != exitOK || !strings.Contains(out, "inbox: 5 records, 0 copied now, 5 already present, 5 verified equal") ||
		!strings.Contains(out, "audit: 3 records, 0 copied now, 3 already present") ||
		!strings.Contains(out, "outbox: 2 records, 0 copied now, 2 already present, 2 verified equal") ||
		!strings.Contains(out, "ledger: 7 records, 0 copied now, 7 already present, 7 verified equal") ||
		!strings.Contains(out, "stream: 2 records, 0 copied now, 2 already present, 2 verified equal") ||
		!strings.Contains(out, "webhook: 5 records, 0 copied now, 5 already present, 5 verified equal") {
		t.Errorf("second run: exit %d\n%s%s", code, out, errOut)
	}
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	checkTamperedWebhooks(t, pool, data, url)
	checkWebhookCopy(t, url)
	checkLedgerCopy(t, data, url)
	var names string
	if err := pool.QueryRow(ctx, `SELECT string_agg(record->>'name', ' ' ORDER BY id) FROM inbox_messages`).Scan(&names); err != nil || names != "f0.edi f1.edi f2.edi f3.edi f4.edi" {
		t.Errorf("messages in PostgreSQL: %q %v", names, err)
	}

	if code, _, errOut := runCLI(t, "migrate", "--from", t.TempDir(), "--to", url); code != exitUsage || !strings.Contains(errOut, "not the data folder of a Dockside gateway") {
		t.Errorf("an empty folder: exit %d, %s", code, errOut)
	}
	// A gateway still open on the folder holds its files.
	cfg := gateway.DefaultConfig()
	cfg.Data = data
	g, err := gateway.Open(cfg, &gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if code, _, errOut := runCLI(t, "migrate", "--from", data, "--to", url); code != exitUsage || !strings.Contains(errOut, "stop it first") {
		t.Errorf("a folder in use: exit %d, %s", code, errOut)
	}
}

// checkTamperedWebhooks changes the copied list of disabled endpoints in
// PostgreSQL in ways a run of migrate --from must report (exit 1, the
// entry named), then puts it back.
func checkTamperedWebhooks(t *testing.T, pool *pgxpool.Pool, data, url string) {
	t.Helper()
	ctx := context.Background()
	var doc string
	if err := pool.QueryRow(ctx, `SELECT document FROM webhook_endpoints`).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := pool.Exec(ctx, `UPDATE webhook_endpoints SET document = $1`, doc); err != nil {
			t.Fatal(err)
		}
	}()
	for _, tc := range []struct{ from, to, want string }{
		{`"410 Gone"`, `"gone"`, `webhook disabled endpoint "subscriber/erp": PostgreSQL has`},
		{`"https://shopmart.example/in"`, `"https://shopmart.example/new"`, `webhook disabled endpoint "partner/shopmart": PostgreSQL has`},
		{`"partner/acme-3pl": "2026-03-02T00:00:00.000000001Z"`, `"partner/acme-3pl": "2026-03-02T00:00:00Z"`, `webhook failure clock of "partner/acme-3pl": PostgreSQL has`},
	} {
		if !strings.Contains(doc, tc.from) {
			t.Fatalf("the copied document lacks %s:\n%s", tc.from, doc)
		}
		if _, err := pool.Exec(ctx, `UPDATE webhook_endpoints SET document = $1`, strings.Replace(doc, tc.from, tc.to, 1)); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCLI(t, "migrate", "--from", data, "--to", url)
		if code != exitFail || !strings.Contains(errOut, "copying webhook from") || !strings.Contains(errOut, tc.want) ||
			!strings.Contains(out, "webhook: copied 0, already present 5 of 5 before the error") {
			t.Errorf("%s changed to %s in PostgreSQL: exit %d\n%s%s", tc.from, tc.to, code, out, errOut)
		}
	}
}

// checkWebhookCopy opens a gateway on PostgreSQL and checks that the
// endpoints bboltGateway disabled are disabled there (at their URL,
// with their times and reasons), that its failure clock runs on, and
// that the subscribers' cursors are where they were.
func checkWebhookCopy(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	cfg := gateway.DefaultConfig()
	cfg.Data, cfg.Storage = t.TempDir(), url
	g, err := gateway.Open(cfg, &gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Webhooks.Shared() {
		t.Fatal("the gateway on PostgreSQL does not use the shared list")
	}
	for _, d := range disabledEndpoints {
		st, off := g.Webhooks.Disabled(d.name, d.url)
		if !off || st.Reason != d.reason || !st.Since.Equal(d.since) {
			t.Errorf("%s on PostgreSQL: disabled %v, %+v; want since %v, %q", d.name, off, st, d.since, d.reason)
		}
	}
	if since, err := g.Webhooks.Failing("partner/acme-3pl", time.Now()); err != nil || !since.Equal(time.Date(2026, 3, 2, 0, 0, 0, 1, time.UTC)) {
		t.Errorf("failure clock of partner/acme-3pl on PostgreSQL: %v %v", since, err)
	}
	for name, want := range webhookCursors {
		if seq, err := g.Cursors.Cursor(ctx, name); err != nil || seq != want {
			t.Errorf("cursor of %s on PostgreSQL: %d %v; want %d", name, seq, err, want)
		}
	}
}

// checkLedgerCopy opens a gateway on PostgreSQL and checks that its
// ledger has the balances, change sequence and source keys of the bbolt
// gateway's in data, and that it posts after them.
func checkLedgerCopy(t *testing.T, data, url string) {
	t.Helper()
	ctx := context.Background()
	src, err := ledger.Open(filepath.Join(data, "ledger.db"), &ledger.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := src.Balances(ctx, ledger.Filter{})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateway.DefaultConfig()
	cfg.Data, cfg.Storage = t.TempDir(), url
	g, err := gateway.Open(cfg, &gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, err := g.Ledger.Balances(ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("balances on PostgreSQL:\n%+v\nin bbolt:\n%+v", got, want)
	}
	if b, _ := g.Ledger.Balance(ctx, "WIDGET-RED", "dallas"); b.OnHand != 53 || b.Allocated != 4 || b.InTransit != 5 || b.Available() != 49 {
		t.Errorf("WIDGET-RED at dallas on PostgreSQL: %+v", b)
	}
	for _, d := range ledgerDocuments() {
		if res, err := g.Ledger.Post(ctx, d); err != nil || res.Seq != 0 || len(res.Duplicates) != len(d.Movements) {
			t.Errorf("%s posted again on PostgreSQL: %+v %v", d.Key, res, err)
		}
	}
	res, err := g.Ledger.Post(ctx, ledger.Document{Key: "945-2", Movements: []ledger.Movement{{SourceKey: "945-2/1", SKU: "WIDGET-RED",
		Location: "dallas", Kind: ledger.KindShipment, Quantity: 4, Reference: ledger.Reference{Partner: "shopmart", Order: "PO-1"}}}})
	if err != nil || res.Seq != 6 || res.FirstID != 8 {
		t.Errorf("a new posting on PostgreSQL: %+v %v; want sequence 6, movement 8", res, err)
	}
	if b, _ := g.Ledger.Balance(ctx, "WIDGET-RED", "dallas"); b.OnHand != 49 || b.Allocated != 0 {
		t.Errorf("WIDGET-RED at dallas after shipping the rest of PO-1: %+v", b)
	}
}

// TestMigrateFromRefusesOtherLedger: a database whose ledger has
// postings of its own is not copied into; the error names the posting.
func TestMigrateFromRefusesOtherLedger(t *testing.T) {
	url := pg.Database(t)
	data := bboltGateway(t)
	if code, out, errOut := runCLI(t, "migrate", "--storage", url); code != exitOK {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	other, err := ledgerpg.Open(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Post(ctx, ledger.Document{Key: "own", Movements: []ledger.Movement{{SourceKey: "own/1", SKU: "WIDGET-RED",
		Location: "dallas", Kind: ledger.KindReceipt, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	code, out, errOut := runCLI(t, "migrate", "--from", data, "--to", url)
	if code != exitFail || !strings.Contains(errOut, "copying ledger") || !strings.Contains(errOut, "posting 1") ||
		!strings.Contains(out, "ledger: copied 0, already present 0 of 7 before the error") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	var seq int64
	if err := pool.QueryRow(ctx, `SELECT seq FROM ledger_head`).Scan(&seq); err != nil || seq != 1 {
		t.Errorf("the other ledger's change sequence: %d %v", seq, err)
	}
}
