package divergence

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/partners"
)

type fixture struct {
	now     time.Time
	l       *ledger.Ledger
	store   *BoltStore
	beliefs *broadcast.BoltStore
	figures map[string]int64 // what the channel may sell now
	checker *Checker
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), figures: map[string]int64{}}
	var err error
	if f.l, err = ledger.Open(filepath.Join(dir, "ledger.db"), nil); err != nil {
		t.Fatal(err)
	}
	if f.store, err = OpenStore(dir); err != nil {
		t.Fatal(err)
	}
	if f.beliefs, err = broadcast.OpenStore(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.l.Close(); f.store.Close(); f.beliefs.Close() })
	channel := &partners.Profile{ID: "shop", Advice: &partners.Advice{}}
	threePL := &partners.Profile{ID: "tpl"}
	f.checker = &Checker{Ledger: f.l, Store: f.store, Beliefs: f.beliefs.Beliefs, Now: func() time.Time { return f.now },
		Figures:  func(context.Context, string) (map[string]int64, error) { return f.figures, nil },
		Profiles: func() []*partners.Profile { return []*partners.Profile{channel, threePL} }}
	return f
}

func (f *fixture) post(t *testing.T, key, sku, loc string, q int64) {
	t.Helper()
	_, err := f.l.Post(context.Background(), ledger.Document{Key: key, Movements: []ledger.Movement{{SourceKey: key, SKU: sku, Location: loc,
		Kind: ledger.KindReceipt, Quantity: q}}})
	if err != nil {
		t.Fatal(err)
	}
}

// tell records a delivered advice to the channel.
func (f *fixture) tell(t *testing.T, mode string, figures ...any) {
	t.Helper()
	var lines []mapping.AdviceLine
	for i := 0; i < len(figures); i += 2 {
		lines = append(lines, mapping.AdviceLine{SKU: figures[i].(string), Quantity: int64(figures[i+1].(int))})
	}
	b := broadcast.Broadcast{Partner: "shop", Mode: mode, Delivery: broadcast.DeliveryQueued}
	if err := f.beliefs.Record(context.Background(), &b, lines); err != nil {
		t.Fatal(err)
	}
	if err := f.beliefs.Update(b.ID, broadcast.Fate{Delivery: broadcast.DeliveryDelivered, DeliveredAt: f.now}); err != nil {
		t.Fatal(err)
	}
}

func rowsText(rep *Report) string {
	var b strings.Builder
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "%s %s %s@%s ours %d theirs %d diff %+d since %s\n", r.Partner, r.Kind, r.SKU, r.Location, r.Ours, r.Theirs, r.Difference, r.Since.Format("15:04"))
	}
	return b.String()
}

// TestReportLocationsAndChannels: a 3PL's own figure that differs from
// our available one, and a channel's belief that differs from what it
// may sell, each with the time it was first seen; an ended divergence is
// forgotten.
func TestReportLocationsAndChannels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.post(t, "r1", "A", "dallas", 100)
	f.post(t, "r2", "B", "dallas", 7)
	f.store.Report([]Reported{
		{Partner: "tpl", SKU: "A", Location: "dallas", Quantity: 90, At: f.now},
		{Partner: "tpl", SKU: "B", Location: "dallas", Quantity: 7, At: f.now},
	})
	f.tell(t, broadcast.ModeFull, "A", 80, "B", 5)
	f.figures = map[string]int64{"A": 80, "B": 3, "C": 9} // C was never told
	rep, err := f.checker.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "shop channel B@ ours 3 theirs 5 diff +2 since 12:00\ntpl location A@dallas ours 100 theirs 90 diff -10 since 12:00\n"
	if got := rowsText(rep); got != want {
		t.Fatalf("report:\n%s\nwant:\n%s", got, want)
	}
	f.now = f.now.Add(time.Hour)
	f.figures["A"] = 70 // a new divergence; B's goes on
	rep, _ = f.checker.Check(ctx)
	want = "shop channel A@ ours 70 theirs 80 diff +10 since 13:00\nshop channel B@ ours 3 theirs 5 diff +2 since 12:00\ntpl location A@dallas ours 100 theirs 90 diff -10 since 12:00\n"
	if got := rowsText(rep); got != want {
		t.Fatalf("an hour later:\n%s\nwant:\n%s", got, want)
	}
	if bp := rep.ByPartner(); bp["shop"].Divergent != 2 || bp["shop"].Oldest != time.Hour || bp["tpl"].Divergent != 1 {
		t.Errorf("by partner %+v", bp)
	}
	// B is told 3: its divergence ends, and a new one later starts anew.
	f.tell(t, broadcast.ModeDelta, "B", 3, "A", 70)
	f.now = f.now.Add(time.Hour)
	rep, _ = f.checker.Check(ctx)
	if got := rowsText(rep); strings.Contains(got, "shop") {
		t.Fatalf("after the advice:\n%s", got)
	}
	f.figures["B"] = 1
	rep, _ = f.checker.Check(ctx)
	if got := rowsText(rep); !strings.Contains(got, "shop channel B@ ours 1 theirs 3 diff +2 since 14:00") {
		t.Fatalf("a new divergence of B:\n%s", got)
	}
}

// TestMonitorAlertsOncePerIncident: a divergence older than the
// partner's threshold is logged at WARN and posted to its webhook once;
// after it ends and comes back, once more.
func TestMonitorAlertsOncePerIncident(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var mu sync.Mutex
	var posts []webhookEvent
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev webhookEvent
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get("webhook-id") == "" {
			t.Errorf("webhook body %s (%v), id %q", body, err, r.Header.Get("webhook-id"))
		}
		mu.Lock()
		posts = append(posts, ev)
		mu.Unlock()
	}))
	defer hook.Close()
	var logs strings.Builder
	m := &Monitor{Checker: f.checker, Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Settings: func(p string) (time.Duration, string, bool) {
			if p == "shop" {
				return 30 * time.Minute, hook.URL, true
			}
			return time.Hour, "", true
		}}
	f.tell(t, broadcast.ModeFull, "A", 80)
	f.figures = map[string]int64{"A": 50}
	step := func(d time.Duration) {
		f.now = f.now.Add(d)
		rep, err := m.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m.alert(ctx, rep)
	}
	step(0)
	step(20 * time.Minute)
	if len(posts) != 0 || strings.Contains(logs.String(), "WARN") {
		t.Fatalf("alerted before the threshold: %d posts, log %s", len(posts), logs.String())
	}
	step(15 * time.Minute)
	step(15 * time.Minute)
	if len(posts) != 1 || posts[0].Type != "divergence.overdue" || posts[0].Data.Partner != "shop" || len(posts[0].Data.Rows) != 1 || posts[0].Data.Rows[0].Difference != 30 {
		t.Fatalf("posts %+v", posts)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d WARN lines:\n%s", n, logs.String())
	}
	f.figures["A"] = 80 // ends
	step(time.Minute)
	f.figures["A"] = 40 // and comes back
	step(time.Minute)
	step(31 * time.Minute)
	if len(posts) != 2 {
		t.Errorf("a second incident: %d posts", len(posts))
	}
}

// TestReportAWholeWarehouse: a 3PL reporting 600 SKUs of a location (the
// ledger is listed rather than looked up per SKU) diverges where it
// differs, including a SKU the ledger has never seen.
func TestReportAWholeWarehouse(t *testing.T) {
	f := newFixture(t)
	var reported []Reported
	doc := ledger.Document{Key: "load"}
	for i := range 600 {
		sku := fmt.Sprintf("S%04d", i)
		doc.Movements = append(doc.Movements, ledger.Movement{SourceKey: sku, SKU: sku, Location: "reno", Kind: ledger.KindReceipt, Quantity: int64(i + 1)})
		q := int64(i + 1)
		if i == 7 {
			q = 3
		}
		reported = append(reported, Reported{Partner: "tpl", SKU: sku, Location: "reno", Quantity: q, At: f.now})
	}
	reported = append(reported, Reported{Partner: "tpl", SKU: "NEW", Location: "reno", Quantity: 4, At: f.now})
	if _, err := f.l.Post(context.Background(), doc); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Report(reported); err != nil {
		t.Fatal(err)
	}
	rep, err := f.checker.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "tpl location NEW@reno ours 0 theirs 4 diff +4 since 12:00\ntpl location S0007@reno ours 8 theirs 3 diff -5 since 12:00\n"
	if got := rowsText(rep); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

// markingStore is a BoltStore shared by several monitors as a database
// would be: it keeps the marks of divergences told of, and fails its
// marks while broken.
type markingStore struct {
	*BoltStore
	mu     sync.Mutex
	marked map[string]bool
	broken bool
}

func (s *markingStore) MarkAlerted(ctx context.Context, rows []Row) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return nil, fmt.Errorf("connection refused")
	}
	var fresh []string
	for _, r := range rows {
		if !s.marked[r.Key()] {
			s.marked[r.Key()] = true
			fresh = append(fresh, r.Key())
		}
	}
	return fresh, nil
}

// TestMonitorsShareTheMarks: with a store that keeps the marks
// (AlertStore), a divergence is told of once whichever monitor (node)
// sees it first and however many see it; while the marks cannot be
// written nothing is told of, and it is told of at the next report.
func TestMonitorsShareTheMarks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var mu sync.Mutex
	posts := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
	}))
	defer hook.Close()
	store := &markingStore{BoltStore: f.store, marked: map[string]bool{}, broken: true}
	checker := *f.checker
	checker.Store = store
	settings := func(p string) (time.Duration, string, bool) { return time.Minute, hook.URL, p == "shop" }
	var monitors []*Monitor
	for range 3 {
		monitors = append(monitors, &Monitor{Checker: &checker, Settings: settings, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}
	f.tell(t, broadcast.ModeFull, "A", 80)
	f.figures = map[string]int64{"A": 50}
	round := func() {
		t.Helper()
		for _, m := range monitors {
			rep, err := m.Refresh(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m.alert(ctx, rep)
		}
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return posts }
	round()
	f.now = f.now.Add(2 * time.Minute)
	round() // late, but the marks fail
	if n := count(); n != 0 {
		t.Fatalf("%d posts while the marks could not be written, want 0", n)
	}
	store.broken = false
	round()
	round()
	if n := count(); n != 1 {
		t.Errorf("%d posts from 3 monitors, want 1", n)
	}
}
