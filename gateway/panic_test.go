package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
)

// TestWorkerPanicFailsMessage: a panic in the pipeline fails the message
// with the panic as its error, and the worker goes on with the next
// message. The panic here comes from processing X12 without the specs (a
// nil catalog), standing in for a bug.
func TestWorkerPanicFailsMessage(t *testing.T) {
	g, _ := openTest(t, nil)
	g.Specs = nil
	workerSurvivesPanic(t, g, "panic")
}

// TestGoroutinePanicFailsMessage: a panic in a goroutine the pipeline
// starts (mapping pool, posting), injected through a test hook, is
// handed back to the worker: the message fails with the panic and serve
// goes on.
func TestGoroutinePanicFailsMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		hook func(*testHooks)
	}{
		{"mapping", func(h *testHooks) {
			h.mapped = func(documents.Document) { panic("injected in mapping") }
		}},
		{"posting", func(h *testHooks) {
			h.posting = func(res *mapping.Result) {
				if strings.HasPrefix(res.Key, "acme-3pl") { // not the CSV that follows
					panic("injected in posting")
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := openTest(t, nil)
			tc.hook(&g.testHooks)
			workerSurvivesPanic(t, g, "injected in "+tc.name)
		})
	}
}

// workerSurvivesPanic runs one worker, gives it an 846 that panics (an
// error containing want) and then a CSV that must be processed.
func workerSurvivesPanic(t *testing.T, g *Gateway, want string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		g.RunWorkers(ctx, 1) // one worker: the second message shows it survived
		close(stopped)
	}()
	defer func() {
		cancel()
		<-stopped
	}()
	receive := func(partner, file string) uint64 {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: partner, Transport: "test", Name: filepath.Base(file)}, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	wait := func(id uint64) *inbox.Message {
		deadline := time.Now().Add(time.Minute) // a bound on a hang, not a timing assertion
		for {
			m, err := g.Inbox.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			if m.State != inbox.Received && m.State != inbox.Processing {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("message %d still %s", id, m.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	m := wait(receive("acme-3pl", samples+"/acme-3pl/inventory-846.edi"))
	if m.State != inbox.Failed || len(m.Errors) != 1 || !strings.Contains(m.Errors[0].Msg, want) {
		t.Fatalf("after a panic: %s %+v", m.State, m.Errors)
	}
	if m := wait(receive("northwind", samples+"/northwind/NW_STOCK_20261125.csv")); m.State != inbox.Done {
		t.Fatalf("the next message: %s %+v", m.State, m.Errors)
	}
}

// TestHTTPPanic: a handler's panic answers 500 and is logged with the
// request and its Message-ID; the next request is served.
func TestHTTPPanic(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := recoverHTTP(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bug" {
			var m map[string]int
			m["x"]++ // nil map: a bug
		}
		io.WriteString(w, "ok")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/bug", nil)
	req.Header.Set("Message-ID", "<m1@partner>")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("HTTP %d, want 500", resp.StatusCode)
	}
	if s := logs.String(); !strings.Contains(s, "http handler panicked") || !strings.Contains(s, "path=/bug") || !strings.Contains(s, "message_id=<m1@partner>") {
		t.Fatalf("log: %s", s)
	}
	resp, err = srv.Client().Get(srv.URL + "/fine")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok" {
		t.Fatalf("next request: HTTP %d %q", resp.StatusCode, b)
	}
}
