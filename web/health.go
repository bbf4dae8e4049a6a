package web

import (
	"context"
	"net/http"
	"time"
)

// healthz answers 200 while the process serves HTTP.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz answers 200 when the ledger, the inbox and the outbox answer a
// read within two seconds, and the shared storage answers when there is
// one, else 503 with the failures.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]func() error{
		"ledger": func() error { _, err := s.deps.Ledger.LastSeq(ctx); return err },
		"inbox":  func() error { _, err := s.deps.Inbox.Waiting(); return err },
		"outbox": func() error { _, _, err := s.deps.Outbox.Backlog(); return err },
	}
	if s.deps.Storage != nil {
		checks["storage"] = func() error { return s.deps.Storage(ctx) }
	}
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks))
	for name, check := range checks {
		go func() { results <- result{name, check()} }()
	}
	status := map[string]string{}
	ready := true
	for range checks {
		select {
		case res := <-results:
			status[res.name] = "ok"
			if res.err != nil {
				status[res.name], ready = res.err.Error(), false
			}
		case <-ctx.Done():
			ready = false
			for name := range checks {
				if _, ok := status[name]; !ok {
					status[name] = "no answer within 2 s"
				}
			}
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "checks": status})
			return
		}
	}
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"ready": ready, "checks": status})
}
