package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/examples"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

const (
	opSecret = "op-secret-for-tests"
	roSecret = "ro-secret-for-tests"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fixture is a gateway-like set of real stores in a temporary folder,
// seeded with the demo partners' traffic, and a Server over them.
type fixture struct {
	t        testing.TB
	dir      string
	clock    *clock
	ledger   *ledger.Ledger
	inbox    *inbox.Store
	outbox   *outbox.Store
	bcast    *broadcast.BoltStore
	profiles atomic.Pointer[partners.Directory]
	partDir  string
	res      *fakeReservations
	audit    *audit.Bolt
	srv      *Server
	logs     *syncBuffer

	goodID, failedID, csvID  uint64 // inbox ids
	ackID, overdueID, deadID uint64 // outbox ids
	broadcastID              uint64
	replayDelay              chan struct{} // when set, Replay waits on it
	divergence               *divergence.Monitor
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixtureOptions struct {
	// outboxAttempts is the outbox's MaxAttempts (default 1: a failed
	// attempt is dead at once).
	outboxAttempts int
	// actions gives the server the gateway's Reload and Advice (the
	// fixture's profiles and a broadcaster over its stores).
	actions  bool
	noTokens bool
	opts     Options
	noSeed   bool
	// webhooks builds the server's webhook endpoints over the fixture's
	// ledger (nil: none).
	webhooks func(l *ledger.Ledger) Webhooks
	// streams builds the server's change stream statuses over the
	// fixture's ledger (nil: none).
	streams func(l *ledger.Ledger) func(context.Context) ([]StreamStatus, error)
}

func newFixture(t testing.TB, fo fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), clock: &clock{}, logs: &syncBuffer{}}
	// The fixture's messages come over a few minutes of its clock; started
	// near the end of an hour, they would straddle two of the overview's
	// hourly buckets. Such a start is moved to just past the hour.
	start := time.Now().UTC().Truncate(time.Second)
	if next := start.Truncate(time.Hour).Add(time.Hour); next.Sub(start) < 10*time.Minute {
		start = next.Add(time.Minute)
	}
	f.clock.Set(start)
	var err error
	if f.ledger, err = ledger.Open(filepath.Join(f.dir, "ledger.db"), &ledger.Options{Now: f.clock.Now, InitialMmapSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.ledger.Close() })
	if f.inbox, err = inbox.Open(filepath.Join(f.dir, "inbox"), &inbox.Options{Now: f.clock.Now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.inbox.Close() })
	for _, d := range []string{"outbox", "broadcast"} {
		if err := os.MkdirAll(filepath.Join(f.dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if f.outbox, err = outbox.Open(filepath.Join(f.dir, "outbox"), &outbox.Options{Now: f.clock.Now, MaxAttempts: max(1, fo.outboxAttempts)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.outbox.Close() })
	if f.bcast, err = broadcast.OpenStore(filepath.Join(f.dir, "broadcast")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.bcast.Close() })
	f.partDir = filepath.Join(f.dir, "partners")
	copyDemoPartners(t, f.partDir)
	f.reloadPartners()
	if f.audit, err = audit.Open(filepath.Join(f.dir, "audit.db"), f.clock.Now); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.audit.Close() })
	f.res = &fakeReservations{ledger: f.ledger, made: map[string]ReservationResult{}, req: map[string]Reservation{}}
	ds, err := divergence.OpenStore(filepath.Join(f.dir, "broadcast"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	advice := &broadcast.Broadcaster{Ledger: f.ledger, Outbox: f.outbox, Store: f.bcast, Now: f.clock.Now,
		Partner:  func(id string) (*partners.Profile, error) { return f.profiles.Load().ByID(id) },
		Identity: broadcast.Identity{ISAQualifier: "ZZ", ISAID: "DOCKSIDE", GSID: "DOCKSIDE"}}
	f.divergence = &divergence.Monitor{Checker: &divergence.Checker{Ledger: f.ledger, Store: ds, Beliefs: f.bcast.Beliefs,
		Figures: advice.Figures, Profiles: func() []*partners.Profile { return f.profiles.Load().Profiles() }, Now: f.clock.Now}}
	if !fo.noSeed {
		f.seed()
	}
	deps := Deps{Ledger: f.ledger, Inbox: f.inbox, Outbox: f.outbox, Broadcasts: f.bcast,
		Partners: func() *partners.Directory { return f.profiles.Load() }, Replay: f.replay, Reservations: f.res,
		Divergence: f.divergence.Current,
		Audit:      f.audit,
		Logger:     slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: f.clock.Now}
	if fo.webhooks != nil {
		deps.Webhooks = fo.webhooks(f.ledger)
	}
	if fo.streams != nil {
		deps.Streams = fo.streams(f.ledger)
	}
	if fo.actions {
		deps.Reload = func(context.Context) (int, error) {
			dir, err := partners.Load(f.partDir)
			if err != nil {
				return 0, err
			}
			f.profiles.Store(dir)
			return dir.Len(), nil
		}
		deps.Advice = func(ctx context.Context, partner string, delta, send bool) (*broadcast.Result, error) {
			return f.broadcaster().Broadcast(ctx, partner, broadcast.Options{Delta: delta, Send: send})
		}
	}
	if !fo.noTokens {
		deps.Tokens = []Token{
			{Name: "ops", SHA256: HashToken(opSecret), Role: RoleOperator},
			{Name: "viewer", SHA256: strings.ToUpper(HashToken(roSecret)), Role: RoleReadOnly},
		}
	}
	if f.srv, err = New(deps, fo.opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, secret := range []string{opSecret, roSecret} {
			if strings.Contains(f.logs.String(), secret) {
				t.Errorf("a token secret is in the logs")
			}
		}
	})
	return f
}

func copyDemoPartners(t testing.TB, dst string) {
	t.Helper()
	err := fs.WalkDir(examples.Partners, "partners", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("partners", filepath.FromSlash(p))
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		b, err := examples.Partners.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o640)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) reloadPartners() {
	f.t.Helper()
	dir, err := partners.Load(f.partDir)
	if err != nil {
		f.t.Fatal(err)
	}
	f.profiles.Store(dir)
}

// fixProfile adds the item the failed 846 names to ACME's cross-reference,
// as the README's walk-through does.
func (f *fixture) fixProfile() {
	f.t.Helper()
	f.fixProfileFileOnly()
	f.reloadPartners()
}

// fixProfileFileOnly fixes the table file without reloading the profiles.
func (f *fixture) fixProfileFileOnly() {
	f.t.Helper()
	p := filepath.Join(f.partDir, "tables", "acme-items.csv")
	b, err := os.ReadFile(p)
	if err != nil {
		f.t.Fatal(err)
	}
	b = append(b, "AC-9999,099999999999,GADGET-L,6,Large gadget (fixed)\n"...)
	if err := os.WriteFile(p, b, 0o640); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) post(doc ledger.Document) ledger.PostResult {
	f.t.Helper()
	res, err := f.ledger.Post(context.Background(), doc)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func receipt(key, sku, loc string, q int64) ledger.Movement {
	return ledger.Movement{SourceKey: key, SKU: sku, Location: loc, Kind: ledger.KindReceipt, Quantity: q}
}

// receive stores a sample file and ends its processing with o.
func (f *fixture) receive(partner, sample string, o inbox.Outcome) uint64 {
	f.t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "examples", "samples", sample))
	if err != nil {
		f.t.Fatal(err)
	}
	return f.receiveAs(partner, filepath.Base(sample), body, o)
}

// receiveBytes stores a file left received (waiting).
func (f *fixture) receiveBytes(partner, name string, body []byte) uint64 {
	f.t.Helper()
	m, err := f.inbox.Receive(context.Background(), inbox.Arrival{Partner: partner, Transport: "folder", Name: name}, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	return m.ID
}

func (f *fixture) receiveAs(partner, name string, body []byte, o inbox.Outcome) uint64 {
	f.t.Helper()
	m, err := f.inbox.Receive(context.Background(), inbox.Arrival{Partner: partner, Transport: "sftp", Name: name}, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := f.inbox.Claim()
	if err != nil || c.ID != m.ID {
		f.t.Fatalf("claim: %v %v", c, err)
	}
	if err := f.inbox.Finish(m.ID, o); err != nil {
		f.t.Fatal(err)
	}
	return m.ID
}

// failedErrors are the errors the gateway records for the 846 naming an
// unknown item (as gateway's TestMalformedFailsWithPlaceThenReplayAfterFix
// gets them: the set and the segment's position in it, no line).
var failedErrors = []inbox.Problem{{
	Place: "inventory-846-unknown-item.edi: set 846 0001 (interchange 000001002, group 1002), segment 14 (LIN)",
	Msg:   `item VN "AC-9999": not found in table "acme_items"`,
}}

func (f *fixture) seed() {
	ctx := context.Background()
	f.post(ledger.Document{Key: "seed", Movements: []ledger.Movement{
		receipt("seed|1", "WIDGET-RED", "dallas", 100), receipt("seed|2", "WIDGET-RED", "reno", 20),
		receipt("seed|3", "WIDGET-BLUE", "dallas", 5), receipt("seed|4", "GADGET-S", "reno", 3),
		receipt("seed|5", "GADGET-L", "dallas", 7),
	}})
	// The good 846: what it posted, with its document key, and its 997.
	key := "acme-3pl|000001001|1001|0001"
	pr := f.post(ledger.Document{Key: key, Movements: []ledger.Movement{
		{SourceKey: key + "|5", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindSnapshot, Quantity: 240},
	}})
	var err error
	f.ackID, err = f.outbox.Enqueue(&outbox.Message{Partner: "acme-3pl", Transport: "sftp", Kind: "997", Name: "997-000000001.edi",
		InReplyTo: 1}, []byte("ISA*00*...~GS*FA*DOCKSIDE*ACME3PL~ST*997*0001~AK1*IB*1001~AK9*A*1*1*1~SE*4*0001~GE*1*1~IEA*1*000000001~"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.goodID = f.receive("acme-3pl", "acme-3pl/inventory-846.edi", inbox.Outcome{State: inbox.Done, Result: &inbox.Result{
		DocType: "x12", Documents: []string{key}, Controls: []string{"000001001/1001/0001"}, Movements: pr.Posted,
		Sequence: pr.Seq, Acks: []uint64{f.ackID}}})
	f.clock.Advance(time.Minute)
	f.failedID = f.receive("acme-3pl", "acme-3pl/inventory-846-unknown-item.edi", inbox.Outcome{State: inbox.Failed,
		Errors: failedErrors, Result: &inbox.Result{DocType: "x12", Controls: []string{"000001002/1002/0001"}}})
	f.clock.Advance(time.Minute)
	f.csvID = f.receive("northwind", "northwind/NW_STOCK_20261125.csv", inbox.Outcome{State: inbox.Done,
		Result: &inbox.Result{DocType: "csv", Movements: 0}})

	// Outbound: an 846 whose ack is overdue, and a dead one.
	f.overdueID, err = f.outbox.Enqueue(&outbox.Message{Partner: "shopmart", Transport: "as2", Kind: "846", Name: "846-1.edi",
		Interchange: "000000010", Groups: []string{"10"}, AckDeadline: f.clock.Now().Add(-time.Minute)}, []byte("ISA~"))
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.outbox.MarkOverdue(); err != nil {
		f.t.Fatal(err)
	}
	f.deadID, err = f.outbox.Enqueue(&outbox.Message{Partner: "shopmart", Transport: "as2", Kind: "997", Name: "997-2.edi"}, []byte("ISA~"))
	if err != nil {
		f.t.Fatal(err)
	}
	due, err := f.outbox.Due(10)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, m := range due {
		if m.ID == f.deadID {
			if err := f.outbox.Failed(m.ID, errors.New("as2: connection refused")); err != nil {
				f.t.Fatal(err)
			}
		} else if err := f.outbox.Succeeded(m.ID, outbox.Receipt{Text: "picked up"}); err != nil {
			f.t.Fatal(err)
		}
	}

	// Shopmart is told its figures; then Dallas receives more red widgets,
	// so what it believes diverges from what it would be told now.
	res, err := f.broadcaster().Broadcast(ctx, "shopmart", broadcast.Options{Send: true})
	if err != nil {
		f.t.Fatal(err)
	}
	f.broadcastID = res.Broadcast.ID
	// The advice is delivered: only then does Shopmart believe it.
	due, err = f.outbox.Due(10)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, m := range due {
		if err := f.outbox.Succeeded(m.ID, outbox.Receipt{Text: "MDN processed"}); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := f.broadcaster().Sync(ctx); err != nil {
		f.t.Fatal(err)
	}
	// And an acknowledgement for ACME still waits for its first attempt.
	if _, err := f.outbox.Enqueue(&outbox.Message{Partner: "acme-3pl", Transport: "sftp", Kind: "997", Name: "997-3.edi"}, []byte("ISA~")); err != nil {
		f.t.Fatal(err)
	}
	f.post(ledger.Document{Key: "later", Movements: []ledger.Movement{receipt("later|1", "WIDGET-RED", "dallas", 50)}})
}

// broadcaster builds advice over the fixture's stores, as the gateway's.
func (f *fixture) broadcaster() *broadcast.Broadcaster {
	return &broadcast.Broadcaster{Ledger: f.ledger, Outbox: f.outbox, Store: f.bcast, Now: f.clock.Now,
		Partner:  func(id string) (*partners.Profile, error) { return f.profiles.Load().ByID(id) },
		Identity: broadcast.Identity{ISAQualifier: "ZZ", ISAID: "DOCKSIDE", GSID: "DOCKSIDE"}}
}

// replay is the Replay dependency: it puts the message back in the queue
// and "processes" it: done once ACME's table knows AC-9999, failed again
// before.
func (f *fixture) replay(ctx context.Context, id uint64, who string) (*inbox.Message, error) {
	if _, err := f.inbox.ReplayBy(id, who); err != nil {
		return nil, err
	}
	m, err := f.inbox.Claim()
	if err != nil {
		return nil, err
	}
	if f.replayDelay != nil {
		select {
		case <-f.replayDelay:
		case <-ctx.Done():
			return nil, ctx.Err() // the message stays claimed: the workers would finish it
		}
	}
	p, err := f.profiles.Load().ByID(m.Partner)
	if err != nil {
		return nil, err
	}
	o := inbox.Outcome{State: inbox.Failed, Errors: failedErrors, Result: &inbox.Result{DocType: "x12"}}
	if _, ok := p.Table("acme_items").Find("AC-9999"); ok {
		key := fmt.Sprintf("acme-3pl|000001002|1002|0001#%d", id)
		pr := f.post(ledger.Document{Key: key, Movements: []ledger.Movement{
			{SourceKey: key + "|14", SKU: "GADGET-L", Location: "dallas", Kind: ledger.KindSnapshot, Quantity: 48},
		}})
		o = inbox.Outcome{State: inbox.Done, Result: &inbox.Result{DocType: "x12", Documents: []string{key},
			Controls: []string{"000001002/1002/0001"}, Movements: pr.Posted, Sequence: pr.Seq}}
	}
	if err := f.inbox.Finish(m.ID, o); err != nil {
		return nil, err
	}
	return f.inbox.Get(id)
}

// fakeReservations allocates in a real ledger; a mutex makes check and
// allocate one step, as the gateway's transaction does.
type fakeReservations struct {
	mu     sync.Mutex
	ledger *ledger.Ledger
	made   map[string]ReservationResult
	req    map[string]Reservation
	block  bool // Reserve waits for ctx to end (timeout tests)
}

var _ Reservations = (*fakeReservations)(nil)

func (r *fakeReservations) Reserve(ctx context.Context, res Reservation) (ReservationResult, error) {
	if r.block {
		<-ctx.Done()
		return ReservationResult{}, ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.made[res.Key]; ok {
		first := r.req[res.Key]
		if first.SKU != res.SKU || first.Location != res.Location || first.Quantity != res.Quantity || first.Order != res.Order {
			return ReservationResult{}, fmt.Errorf("key %q: %w", res.Key, ErrKeyReused)
		}
		prev.Replayed = true
		return prev, nil
	}
	// The ledger checks available-to-promise in the posting transaction
	// (RequireAvailable); the mutex only guards the key table.
	pr, err := r.ledger.Post(ctx, ledger.Document{Key: "reservation|" + res.Key, Movements: []ledger.Movement{{
		SourceKey: "reservation|" + res.Key, SKU: res.SKU, Location: res.Location, Kind: ledger.KindAllocate,
		Quantity: res.Quantity, RequireAvailable: true, Reference: ledger.Reference{Partner: res.Channel, Order: res.Order}}}})
	if errors.Is(err, ledger.ErrInsufficient) {
		bal, berr := r.ledger.Balance(ctx, res.SKU, res.Location)
		if berr != nil {
			return ReservationResult{}, berr
		}
		return ReservationResult{}, &InsufficientError{SKU: res.SKU, Location: res.Location, Requested: res.Quantity, Available: bal.Available()}
	}
	if err != nil {
		return ReservationResult{}, err
	}
	bal, err := r.ledger.Balance(ctx, res.SKU, res.Location)
	if err != nil {
		return ReservationResult{}, err
	}
	out := ReservationResult{Key: res.Key, SKU: res.SKU, Location: res.Location, Quantity: res.Quantity, Order: res.Order,
		Available: bal.Available(), Seq: pr.Seq, Created: pr.Recorded}
	r.made[res.Key], r.req[res.Key] = out, res
	return out, nil
}

func (r *fakeReservations) Release(ctx context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, ok := r.req[key]
	if !ok {
		return fmt.Errorf("key %q: %w", key, ErrNoReservation)
	}
	_, err := r.ledger.Post(ctx, ledger.Document{Key: "release|" + key, Movements: []ledger.Movement{{
		SourceKey: "release|" + key, SKU: res.SKU, Location: res.Location, Kind: ledger.KindRelease,
		Quantity: res.Quantity, Reference: ledger.Reference{Partner: res.Channel, Order: res.Order}}}})
	return err
}

// request serves one request through the server's handler.
type request struct {
	method, target string
	token          string // bearer secret
	body           string
	header         map[string]string
	remote         string
	cookie         *http.Cookie
}

func (f *fixture) do(rq request) *httptest.ResponseRecorder {
	f.t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req := httptest.NewRequest(method, rq.target, body)
	req.RemoteAddr = "192.0.2.10:40000"
	if rq.remote != "" {
		req.RemoteAddr = rq.remote
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	if rq.cookie != nil {
		req.AddCookie(rq.cookie)
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// get fetches a JSON endpoint as the operator and decodes it into v.
func (f *fixture) get(target string, v any) {
	f.t.Helper()
	rec := f.do(request{target: target, token: opSecret})
	if rec.Code != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		f.t.Fatalf("GET %s: %v", target, err)
	}
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %q: %v", rec.Body.String(), err)
	}
	return v
}
