package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	m := f.srv.Metrics()
	msg := &inbox.Message{ID: 1, Partner: "acme-3pl", Transport: "sftp", Attempts: 1, ReceivedAt: f.clock.Now().Add(-3 * time.Second)}
	m.ObserveMessage(msg, inbox.Outcome{State: inbox.Done, Result: &inbox.Result{DocType: "x12", Movements: 7}})
	m.ObserveMessage(&inbox.Message{ID: 2, Partner: "acme-3pl", Transport: "sftp", Attempts: 1, ReceivedAt: f.clock.Now()},
		inbox.Outcome{State: inbox.Failed, Result: &inbox.Result{DocType: "x12"}})
	m.ObserveMessage(&inbox.Message{ID: 3, Transport: "folder", Attempts: 2, ReceivedAt: f.clock.Now().Add(-time.Hour)},
		inbox.Outcome{State: inbox.Done})
	m.TransportConnection("sftp")
	m.TransportBytes("sftp", "in", 720)
	m.TransportBytes("as2", "out", 0)

	f.do(request{target: "/healthz"})
	rec := f.do(request{target: "/metrics", token: roSecret})
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`dockside_messages_total{partner="acme-3pl",state="done",type="x12"} 1`,
		`dockside_messages_total{partner="acme-3pl",state="failed",type="x12"} 1`,
		`dockside_messages_total{partner="unknown",state="done",type="unknown"} 1`,
		`dockside_processing_seconds_bucket{partner="acme-3pl",transport="sftp",le="2.5"} 0`,
		`dockside_processing_seconds_bucket{partner="acme-3pl",transport="sftp",le="5"} 1`,
		`dockside_processing_seconds_count{partner="acme-3pl",transport="sftp"} 1`,
		`dockside_ledger_movements_posted_total{partner="acme-3pl"} 7`,
		`dockside_transport_connections_total{transport="sftp"} 1`,
		`dockside_transport_bytes_total{direction="in",transport="sftp"} 720`,
		`dockside_inbox_waiting 0`,
		`dockside_inbox_messages{partner="acme-3pl",state="failed"} 1`,
		`dockside_inbox_messages{partner="northwind",state="done"} 1`,
		`dockside_outbox_backlog{state="pending"} 1`,
		`dockside_outbox_backlog{state="dead"} 1`,
		`dockside_acks_overdue{partner="shopmart"} 1`,
		`dockside_acks_overdue{partner="acme-3pl"} 0`,
		`dockside_acks_overdue{partner="northwind"} 0`,
		`dockside_http_request_duration_seconds_bucket{route="GET /healthz",le="60"} 1`,
		`dockside_http_request_duration_seconds_count{route="GET /healthz"} 1`,
		`dockside_ledger_postings_total 3`,
		`dockside_store_up{store="ledger"} 1`,
		`dockside_http_requests_total{code="200",route="GET /healthz"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s", want)
		}
	}
	// The overview shows each partner's processing time from the same
	// histogram.
	var o overview
	f.get("/api/v1/overview", &o)
	if len(o.Processing) != 1 || o.Processing[0].Partner != "acme-3pl" || o.Processing[0].Count != 1 ||
		o.Processing[0].P50 != 5 || o.Processing[0].P95 != 5 || o.Processing[0].WithinMinute != 1 || o.Processing[0].Mean != 3 {
		t.Errorf("overview processing %+v", o.Processing)
	}
	if page := f.do(request{target: "/", token: roSecret}).Body.String(); !strings.Contains(page, `id="processing"`) || !strings.Contains(page, "3.0 s") {
		t.Errorf("the overview page shows no processing time")
	}
	// A retried message (attempt 2) is counted, but its latency is not observed.
	if strings.Contains(body, `dockside_processing_seconds_count{partner="unknown"`) || strings.Contains(body, `transport="as2"`) {
		t.Errorf("unexpected series:\n%s", body)
	}
	if rec := f.do(request{target: "/metrics"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: %d", rec.Code)
	}
	pub := newFixture(t, fixtureOptions{noSeed: true, opts: Options{PublicMetrics: true}})
	if rec := pub.do(request{target: "/metrics"}); rec.Code != http.StatusOK {
		t.Errorf("public metrics: %d", rec.Code)
	}
}

func TestHealth(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if rec := f.do(request{target: "/healthz"}); rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("healthz %d", rec.Code)
	}
	rec := f.do(request{target: "/readyz"})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ready": true`) {
		t.Errorf("readyz %d %s", rec.Code, rec.Body)
	}
	f.outbox.Close()
	rec = f.do(request{target: "/readyz"})
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"inbox": "ok"`) || strings.Contains(rec.Body.String(), `"outbox": "ok"`) {
		t.Errorf("readyz with the outbox closed: %d %s", rec.Code, rec.Body)
	}
	rec = f.do(request{target: "/metrics", token: roSecret})
	if !strings.Contains(rec.Body.String(), `dockside_store_up{store="outbox"} 0`) {
		t.Errorf("metrics do not say the outbox is down")
	}
}
