package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/transports/webhook"
)

type fixture struct {
	t       *testing.T
	ledger  *ledger.Ledger
	cursors *stream.BoltCursors
	eps     *webhook.Endpoints
	logs    *syncBuffer
	posted  int
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

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c, err := stream.OpenBoltCursors(filepath.Join(dir, "cursors.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	eps, err := webhook.OpenEndpoints(filepath.Join(dir, "endpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ledger: l, cursors: c, eps: eps, logs: &syncBuffer{}}
}

// post posts n postings of one receipt each, SKUs cycling over three.
func (f *fixture) post(n int) {
	f.t.Helper()
	for range n {
		f.posted++
		i := f.posted
		_, err := f.ledger.Post(context.Background(), ledger.Document{Key: fmt.Sprint("doc", i), Movements: []ledger.Movement{{
			SourceKey: fmt.Sprint("m", i), SKU: fmt.Sprintf("SKU-%d", i%3), Location: "DAL", Kind: ledger.KindReceipt, Quantity: int64(i)}}})
		if err != nil {
			f.t.Fatal(err)
		}
	}
}

// start runs a manager of the subscribers until the test ends.
func (f *fixture) start(subs ...Subscriber) *Manager {
	f.t.Helper()
	return f.startWith(nil, subs...)
}

// startWith is start with options changed by set (nil: none).
func (f *fixture) startWith(set func(*Options), subs ...Subscriber) *Manager {
	f.t.Helper()
	o := Options{Ledger: f.ledger, Cursors: f.cursors, Endpoints: f.eps,
		Log:   slog.New(slog.NewTextHandler(f.logs, nil)),
		Relay: stream.Options{Backoff: func(int) time.Duration { return 20 * time.Millisecond }, Poll: 100 * time.Millisecond}}
	if set != nil {
		set(&o)
	}
	m, err := New(o, subs)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	f.t.Cleanup(func() { cancel(); <-done })
	return m
}

func subscriber(name string, r *whtest.Receiver, secret stdwebhooks.Secret) Subscriber {
	return Subscriber{Name: name, Target: webhook.Target{URL: r.URL + "/" + name, Secrets: []stdwebhooks.Secret{secret}, Timeout: 10 * time.Second}, FromStart: true}
}

// eventually waits up to 30 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// accepted returns the ids of the events the receiver accepted, in order.
func accepted(t *testing.T, r *whtest.Receiver) []string {
	var ids []string
	for _, q := range r.Requests(t) {
		if !q.Verified {
			t.Fatalf("request %s failed the receiver's signature check", q.ID)
		}
		if q.Status/100 == 2 {
			ev, err := stream.Unmarshal([]byte(q.Body))
			if err != nil || ev.ID != q.ID {
				t.Fatalf("body of %s: %v (id %q)", q.ID, err, ev.ID)
			}
			ids = append(ids, q.ID)
		}
	}
	return ids
}

func wantIDs(from, to int) []string {
	var out []string
	for seq := from; seq <= to; seq++ {
		out = append(out, stream.EventID(uint64(seq), 0))
	}
	return out
}

// TestDownThenUpCatchesUpInOrder: a subscriber answering 503 gets every
// event once it is up again, in ledger order, each signed and retried
// under its own id.
func TestDownThenUpCatchesUpInOrder(t *testing.T) {
	f := newFixture(t)
	secret := stdwebhooks.NewSecret()
	r := whtest.Start(t, secret.Text())
	r.SetStatus(t, 503)
	m := f.start(subscriber("erp", r, secret))
	f.post(30)
	eventually(t, "failed attempts", func() bool { return len(r.Requests(t)) >= 3 })
	if ids := accepted(t, r); len(ids) != 0 {
		t.Fatalf("accepted %v while down", ids)
	}
	for _, q := range r.Requests(t) {
		if q.ID != stream.EventID(1, 0) {
			t.Fatalf("while down, %s was tried before the first event was accepted", q.ID)
		}
	}
	r.SetStatus(t, 200)
	f.post(10)
	eventually(t, "catch-up", func() bool { return len(accepted(t, r)) == 40 })
	if got := accepted(t, r); !slices.Equal(got, wantIDs(1, 40)) {
		t.Fatalf("accepted out of order: %v", got)
	}
	st, _ := m.Statuses(context.Background())
	if st[0].Confirmed != 40 || st[0].Disabled != nil {
		t.Fatalf("status %+v", st[0])
	}
}

// TestGoneDisablesSubscriber: a 410 disables the subscriber with a WARN,
// nothing more is sent; enabling it delivers from its cursor.
func TestGoneDisablesSubscriber(t *testing.T) {
	f := newFixture(t)
	secret := stdwebhooks.NewSecret()
	r := whtest.Start(t, secret.Text())
	m := f.start(subscriber("oms", r, secret))
	f.post(3)
	eventually(t, "three events", func() bool { return len(accepted(t, r)) == 3 })
	r.SetStatus(t, 410)
	f.post(2)
	eventually(t, "disabled", func() bool {
		st, _ := m.Statuses(context.Background())
		return st[0].Disabled != nil
	})
	eventually(t, "the operator alert", func() bool { // logged right after the list is saved
		return strings.Contains(f.logs.String(), `level=WARN msg="webhook subscriber disabled`) && strings.Contains(f.logs.String(), "410 Gone")
	})
	n := len(r.Requests(t))
	f.post(2)
	time.Sleep(300 * time.Millisecond) // a disabled subscriber must stay quiet: give it a chance not to
	if len(r.Requests(t)) != n {
		t.Fatal("a disabled subscriber was sent more")
	}
	r.SetStatus(t, 200)
	if was, err := m.Enable("oms"); !was || err != nil {
		t.Fatalf("Enable: %v %v", was, err)
	}
	eventually(t, "delivery after enabling", func() bool { return len(accepted(t, r)) == 7 })
	if got := accepted(t, r); !slices.Equal(got, wantIDs(1, 7)) {
		t.Fatalf("accepted %v", got)
	}
}

// TestSlowSubscriberDoesNotHoldBackOthers: a subscriber taking a second
// per request does not delay another one.
func TestSlowSubscriberDoesNotHoldBackOthers(t *testing.T) {
	f := newFixture(t)
	secret := stdwebhooks.NewSecret()
	slow, fast := whtest.Start(t, secret.Text()), whtest.Start(t, secret.Text())
	slow.SetDelay(t, time.Second)
	f.start(subscriber("slow", slow, secret), subscriber("fast", fast, secret))
	f.post(20)
	eventually(t, "the fast subscriber", func() bool { return len(accepted(t, fast)) == 20 })
	if n := len(slow.Requests(t)); n >= 20 {
		t.Fatalf("the slow subscriber already has %d", n)
	}
	if got := accepted(t, fast); !slices.Equal(got, wantIDs(1, 20)) {
		t.Fatalf("fast got %v", got)
	}
}

// TestRedeliver: an operator's redelivery sends everything from a change
// again, in order, under the same ids; a start past the cursor is
// refused.
func TestRedeliver(t *testing.T) {
	f := newFixture(t)
	secret := stdwebhooks.NewSecret()
	r := whtest.Start(t, secret.Text())
	m := f.start(subscriber("bi", r, secret))
	f.post(6)
	eventually(t, "six events", func() bool { return len(accepted(t, r)) == 6 })
	ctx := context.Background()
	if err := m.Redeliver(ctx, "bi", 8); !errors.Is(err, ErrPosition) {
		t.Fatalf("redeliver past the cursor: %v", err)
	}
	if err := m.Redeliver(ctx, "nobody", 1); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown subscriber: %v", err)
	}
	seq, err := ParsePosition("4-0")
	if err != nil || seq != 4 {
		t.Fatalf("ParsePosition: %d %v", seq, err)
	}
	if err := m.Redeliver(ctx, "bi", seq); err != nil {
		t.Fatal(err)
	}
	eventually(t, "redelivery", func() bool { return len(accepted(t, r)) == 9 })
	if got := accepted(t, r); !slices.Equal(got, append(wantIDs(1, 6), wantIDs(4, 6)...)) {
		t.Fatalf("accepted %v", got)
	}
}

// TestLongFailureDisables: failures without a success for DisableAfter
// disable the subscriber; a success in between restarts the clock; a
// restart of the gateway does not.
func TestLongFailureDisables(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	secret := stdwebhooks.NewSecret()
	r := whtest.Start(t, secret.Text())
	path := filepath.Join(t.TempDir(), "e.json")
	var logs syncBuffer
	var eps *webhook.Endpoints
	var s *Sink
	start := func() { // the gateway starts: the list is read from its file
		var err error
		if eps, err = webhook.OpenEndpoints(path); err != nil {
			t.Fatal(err)
		}
		s = &Sink{name: "wms", target: webhook.Target{URL: r.URL, Secrets: []stdwebhooks.Secret{secret}}, client: webhook.NewClient(),
			eps: eps, log: slog.New(slog.NewTextHandler(&logs, nil)), now: clock, disAfter: time.Hour, clockOn: true}
	}
	start()
	ev := []stream.Event{{SpecVersion: "1.0", ID: "1-0", Type: "dockside.ledger.receipt", Data: stream.Data{Change: 1}}}
	ctx := context.Background()
	for i, step := range []struct {
		advance time.Duration
		status  int
		restart bool
		stop    bool
	}{
		{0, 500, false, false},
		{50 * time.Minute, 500, false, false},
		{5 * time.Minute, 200, false, false}, // a success restarts the clock
		{30 * time.Minute, 500, false, false},
		{50 * time.Minute, 500, true, false}, // a restart keeps it
		{11 * time.Minute, 500, false, true},
	} {
		advance(step.advance)
		if step.restart {
			start()
		}
		r.SetStatus(t, step.status)
		n, err := s.Deliver(ctx, ev)
		if (step.status == 200) != (n == 1 && err == nil) || errors.Is(err, stream.ErrStop) != step.stop {
			t.Fatalf("step %d, status %d: n=%d err=%v", i, step.status, n, err)
		}
	}
	if st, off := eps.Disabled(Endpoint("wms"), r.URL); !off || !strings.Contains(st.Reason, "failing since 2026-12-05T01:25:00Z") {
		t.Fatalf("not disabled: %+v", st)
	}
}

func TestFilter(t *testing.T) {
	ev := func(kind, loc, sku string) *stream.Event {
		return &stream.Event{Data: stream.Data{Kind: kind, Location: loc, SKU: sku}}
	}
	channels := func(c string) ([]string, bool) {
		switch c {
		case "shop":
			return []string{"DAL"}, true
		case "everything":
			return nil, true
		}
		return nil, false
	}
	for _, tc := range []struct {
		name   string
		f      Filter
		ev     *stream.Event
		passes bool
	}{
		{"no filter", Filter{}, ev("receipt", "DAL", "A"), true},
		{"kind in", Filter{Kinds: []string{"shipment", "receipt"}}, ev("receipt", "DAL", "A"), true},
		{"kind out", Filter{Kinds: []string{"shipment"}}, ev("receipt", "DAL", "A"), false},
		{"location out", Filter{Locations: []string{"ATL"}}, ev("receipt", "DAL", "A"), false},
		{"sku exact", Filter{SKUs: []string{"A"}}, ev("receipt", "DAL", "A"), true},
		{"sku exact is not a prefix", Filter{SKUs: []string{"A"}}, ev("receipt", "DAL", "AB"), false},
		{"sku prefix", Filter{SKUs: []string{"A*"}}, ev("receipt", "DAL", "AB"), true},
		{"channel's location", Filter{Channels: []string{"shop"}}, ev("receipt", "DAL", "A"), true},
		{"not the channel's location", Filter{Channels: []string{"shop"}}, ev("receipt", "ATL", "A"), false},
		{"channel counting everything", Filter{Channels: []string{"shop", "everything"}}, ev("receipt", "ATL", "A"), true},
		{"gone channel", Filter{Channels: []string{"gone"}}, ev("receipt", "DAL", "A"), false},
		{"all lists must match", Filter{Kinds: []string{"receipt"}, SKUs: []string{"B*"}}, ev("receipt", "DAL", "A"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn, _ := tc.f.compile(channels)
			if got := fn == nil || fn(tc.ev); got != tc.passes {
				t.Fatalf("passes = %v, want %v", got, tc.passes)
			}
		})
	}
	for _, bad := range []Filter{{Kinds: []string{"teleport"}}, {SKUs: []string{""}}, {Locations: []string{" "}}, {SKUs: []string{"*"}}} {
		if err := bad.check(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestParsePosition(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{{"120", 120, true}, {" 7 ", 7, true}, {"120-3", 120, true}, {"0", 0, false}, {"x", 0, false}, {"-1", 0, false}, {"1-x", 0, false}, {"", 0, false}} {
		got, err := ParsePosition(tc.in)
		if (err == nil) != tc.ok || got != tc.want || (err != nil && !errors.Is(err, ErrPosition)) {
			t.Errorf("ParsePosition(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	f := newFixture(t)
	good := Subscriber{Name: "a", Target: webhook.Target{URL: "http://127.0.0.1:1"}}
	for name, subs := range map[string][]Subscriber{
		"twice":           {good, good},
		"no name":         {{Target: good.Target}},
		"bad kind":        {{Name: "a", Filter: Filter{Kinds: []string{"x"}}}},
		"channel unknown": {{Name: "a", Filter: Filter{Channels: []string{"x"}}}},
	} {
		if _, err := New(Options{Ledger: f.ledger, Cursors: f.cursors, Endpoints: f.eps}, subs); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"120", "120-3", "0", "-", "1-", "18446744073709551615", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, from string) {
		seq, err := ParsePosition(from)
		if err != nil {
			if !errors.Is(err, ErrPosition) || seq != 0 {
				t.Fatalf("%q: %d, %v", from, seq, err)
			}
			return
		}
		if seq == 0 {
			t.Fatalf("%q: change 0 accepted", from)
		}
	})
}

// TestRetryAfterIsHonoured: a 429 or 503 with Retry-After holds the
// subscriber back that long (capped) before the relay tries again.
func TestRetryAfterIsHonoured(t *testing.T) {
	for _, tc := range []struct {
		header string
		status int
		want   time.Duration
	}{
		{"7", 429, 7 * time.Second},
		{"86400", 503, MaxRetryAfter},
		{"", 503, 0},
		{"soon", 429, 0},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.header != "" {
				w.Header().Set("Retry-After", tc.header)
			}
			w.WriteHeader(tc.status)
		}))
		eps, _ := webhook.OpenEndpoints(filepath.Join(t.TempDir(), "e.json"))
		var waited time.Duration
		s := &Sink{name: "x", target: webhook.Target{URL: srv.URL, Secrets: []stdwebhooks.Secret{stdwebhooks.NewSecret()}},
			client: webhook.NewClient(), eps: eps, log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now,
			disAfter: time.Hour, wait: func(_ context.Context, d time.Duration) { waited = d }}
		n, err := s.Deliver(context.Background(), []stream.Event{{SpecVersion: "1.0", ID: "1-0", Type: "dockside.ledger.receipt", Data: stream.Data{Change: 1}}})
		srv.Close()
		if n != 0 || err == nil || waited != tc.want {
			t.Errorf("Retry-After %q: n=%d err=%v waited %v, want %v", tc.header, n, err, waited, tc.want)
		}
	}
}

// TestRestartResumesFromCursor: a gateway stopped and started again
// sends each subscriber what it has not confirmed, in order, from its
// durable cursor; changes made while it was stopped are not lost.
func TestRestartResumesFromCursor(t *testing.T) {
	f := newFixture(t)
	secret := stdwebhooks.NewSecret()
	r := whtest.Start(t, secret.Text())
	run := func() (stop func()) {
		m, err := New(Options{Ledger: f.ledger, Cursors: f.cursors, Endpoints: f.eps, Log: slog.New(slog.NewTextHandler(f.logs, nil)),
			Relay: stream.Options{Backoff: func(int) time.Duration { return 20 * time.Millisecond }}}, []Subscriber{subscriber("erp", r, secret)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	stop := run()
	f.post(5)
	eventually(t, "five events", func() bool { return len(accepted(t, r)) == 5 })
	stop()
	f.post(5) // while stopped
	stop = run()
	defer stop()
	f.post(2)
	eventually(t, "the rest", func() bool { return len(accepted(t, r)) >= 12 })
	got := accepted(t, r)
	// At least once, in order: a duplicate may only repeat the tail of
	// what came before the restart.
	var dedup []string
	for _, id := range got {
		if !slices.Contains(dedup, id) {
			dedup = append(dedup, id)
		}
	}
	if !slices.Equal(dedup, wantIDs(1, 12)) {
		t.Fatalf("received %v", got)
	}
}
