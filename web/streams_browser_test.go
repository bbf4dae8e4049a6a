package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/internal/browsertest"
	"github.com/dockside-edi/dockside/ledger"
)

// failingRelay runs a relay "nats" of the ledger whose sink refuses
// every delivery (retried after an hour).
func failingRelay(t *testing.T, l *ledger.Ledger) *stream.Relay {
	t.Helper()
	cursors, err := stream.OpenBoltCursors(filepath.Join(t.TempDir(), "cursors.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cursors.Close() })
	sink := stream.SinkFunc(func(context.Context, []stream.Event) (int, error) {
		return 0, errors.New("nats: no responders available for request")
	})
	r, err := stream.NewRelay("nats", l, cursors, sink, stream.Options{FromStart: true, Backoff: func(int) time.Duration { return time.Hour },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// TestBrowserStreamsOverview: with a NATS publisher that fails and a
// webhook subscriber that is caught up, the overview's change stream card
// shows the larger lag, its table each subscriber's state, lag, failures
// and last error; GET /api/v1/streams and the dockside_stream_* metrics
// tell the same.
func TestBrowserStreamsOverview(t *testing.T) {
	b := browsertest.Start(t)
	var rec *hookReceiver
	var ops webhooks.Operations
	var relay *stream.Relay
	f := newFixture(t, fixtureOptions{noSeed: true,
		webhooks: func(l *ledger.Ledger) Webhooks {
			ops, rec = startSubscriber(t, l)
			return ops
		},
		streams: func(l *ledger.Ledger) func(context.Context) ([]StreamStatus, error) {
			relay = failingRelay(t, l)
			return func(ctx context.Context) ([]StreamStatus, error) { // as the gateway composes them
				last, err := l.LastSeq(ctx)
				if err != nil {
					return nil, err
				}
				rs := relay.Status()
				out := []StreamStatus{{Subscriber: "nats", Kind: "nats", Running: rs.Running, Cursor: rs.Cursor, Confirmed: rs.Confirmed,
					Last: last, Lag: last - rs.Confirmed, Delivered: rs.Delivered, Failures: rs.Failures, Failed: rs.Failed,
					LastError: rs.LastError, LastErrorAt: rs.LastErrorAt, NextAttempt: rs.NextAttempt}}
				subs, err := ops.Subscribers(ctx)
				for _, s := range subs {
					out = append(out, StreamStatus{Subscriber: s.Name, Kind: "webhook", Running: s.Running, Disabled: s.Disabled != nil,
						Cursor: s.Cursor, Confirmed: s.Confirmed, Last: s.Last, Lag: s.Behind, Delivered: s.Delivered, Failures: s.Failures})
				}
				return out, err
			}
		}})
	ctx := context.Background()
	for i, sku := range []string{"A", "B", "C", "A"} {
		_, err := f.ledger.Post(ctx, ledger.Document{Key: "doc" + sku + string(rune('0'+i)), Movements: []ledger.Movement{
			{SourceKey: "m" + string(rune('0'+i)), SKU: sku, Location: "DAL", Kind: ledger.KindReceipt, Quantity: int64(5 + i)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	all := allEventIDs(t, f.ledger, 1)
	waitFor(t, "the webhook delivery", func() bool { ids, _ := rec.got(); return len(ids) == len(all) })
	waitFor(t, "the NATS publisher's failure", func() bool { return relay.Status().Failures > 0 })
	waitFor(t, "the webhook subscriber's confirmation", func() bool {
		subs, err := ops.Subscribers(ctx)
		return err == nil && len(subs) == 1 && subs[0].Confirmed == 4 && subs[0].Delivered == 4
	})

	// The API.
	rr := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/streams", nil)
	req.Header.Set("Authorization", "Bearer "+roSecret)
	f.srv.Handler().ServeHTTP(rr, req)
	var v streamsView
	if err := json.Unmarshal(rr.Body.Bytes(), &v); err != nil || rr.Code != 200 || len(v.Subscribers) != 2 {
		t.Fatalf("GET /api/v1/streams: %d %s", rr.Code, rr.Body)
	}
	if n := v.Subscribers[0]; n.Subscriber != "nats" || n.Lag != 4 || n.Last != 4 || n.Failures != 1 || n.Failed != 1 ||
		!strings.Contains(n.LastError, "no responders") || n.NextAttempt.IsZero() || !n.Running {
		t.Errorf("the NATS publisher: %+v", n)
	}
	if w := v.Subscribers[1]; w.Subscriber != "erp" || w.Kind != "webhook" || w.Lag != 0 || w.Confirmed != 4 || w.Failures != 0 {
		t.Errorf("the webhook subscriber: %+v", w)
	}

	// The metrics.
	metrics := f.do(request{target: "/metrics", token: roSecret}).Body.String()
	for _, want := range []string{
		`dockside_stream_lag{kind="nats",subscriber="nats"} 4`,
		`dockside_stream_lag{kind="webhook",subscriber="erp"} 0`,
		`dockside_stream_failures_total{kind="nats",subscriber="nats"} 1`,
		`dockside_stream_failures_in_a_row{kind="nats",subscriber="nats"} 1`,
		`dockside_stream_delivered_total{kind="webhook",subscriber="erp"} 4`,
		`dockside_stream_cursor{kind="nats",subscriber="nats"} 0`,
		`dockside_stream_disabled{kind="webhook",subscriber="erp"} 0`,
		`dockside_stream_relaying{kind="nats",subscriber="nats"} 1`,
		`dockside_store_up{store="streams"} 1`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The overview page.
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)
	b.Navigate(ts.URL + "/")
	b.WaitFor(`!!document.querySelector("#stream-nats") && !!document.querySelector("#streams-card")`)
	if card := b.Text(`document.querySelector("#streams-card").innerText`); !strings.HasPrefix(card, "4") || !strings.Contains(card, "2 subscribers") {
		t.Errorf("the change stream card: %q", card)
	}
	nats := b.Text(`document.querySelector("#stream-nats").innerText`)
	if lag := b.Text(`document.querySelector("#stream-nats .lag").innerText`); lag != "4" ||
		!strings.Contains(nats, "failing") || !strings.Contains(nats, "no responders") {
		t.Errorf("the NATS publisher's row: %q (lag %q)", nats, lag)
	}
	erp := b.Text(`document.querySelector("#stream-erp").innerText`)
	if lag := b.Text(`document.querySelector("#stream-erp .lag").innerText`); lag != "0" || !strings.Contains(erp, "delivering") {
		t.Errorf("the webhook subscriber's row: %q (lag %q)", erp, lag)
	}
	if href := b.Text(`document.querySelector("#stream-erp a").getAttribute("href")`); href != "/webhooks#subscriber-erp" {
		t.Errorf("the webhook subscriber links to %q", href)
	}
}
