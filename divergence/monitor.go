package divergence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Monitor computes the divergence report now and then, keeps the last
// one for the API, the dashboard and the metrics, and tells an operator
// of divergences that last too long: a WARN log line and, where the
// partner's profile names one, a webhook POST, once per incident.
type Monitor struct {
	Checker *Checker
	// Settings returns a partner's threshold and webhook (its profile's
	// divergence section); ok false for an unknown partner.
	Settings func(partner string) (warnAfter time.Duration, webhook string, ok bool)
	Log      *slog.Logger
	// Client posts to webhooks (default: 10 s timeout).
	Client *http.Client
	// Every is how often the report is computed for alerts (default
	// 30 s).
	Every time.Duration
	// MaxAge is how old a report Current may return (default 5 s): the
	// API, the dashboard and the metrics share one computation.
	MaxAge time.Duration

	mu      sync.Mutex
	last    *Report
	alerted map[string]bool // row keys told of, until their divergence ends
}

func (m *Monitor) every() time.Duration {
	if m.Every <= 0 {
		return 30 * time.Second
	}
	return m.Every
}

// Run computes the report every Every and alerts, until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.every())
	defer t.Stop()
	for {
		rep, err := m.Refresh(ctx)
		if err != nil && ctx.Err() == nil && m.Log != nil {
			m.Log.Error("divergence report", "err", err)
		}
		if err == nil {
			m.alert(ctx, rep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Current returns the last report when it is younger than MaxAge, else
// a new one.
func (m *Monitor) Current(ctx context.Context) (*Report, error) {
	m.mu.Lock()
	last := m.last
	m.mu.Unlock()
	maxAge := m.MaxAge
	if maxAge <= 0 {
		maxAge = 5 * time.Second
	}
	if last != nil && m.Checker.Now().Sub(last.AsOf) < maxAge {
		return last, nil
	}
	return m.Refresh(ctx)
}

// Last returns the last report computed, or nil.
func (m *Monitor) Last() *Report {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// Refresh computes the report now.
func (m *Monitor) Refresh(ctx context.Context) (*Report, error) {
	rep, err := m.Checker.Check(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.last = rep
	m.mu.Unlock()
	return rep, nil
}

// alert tells of the rows older than their partner's threshold that were
// not told of yet; rows whose divergence ended may be told of again.
func (m *Monitor) alert(ctx context.Context, rep *Report) {
	m.mu.Lock()
	if m.alerted == nil {
		m.alerted = map[string]bool{}
	}
	current := make(map[string]bool, len(rep.Rows))
	late := map[string][]Row{}
	for _, r := range rep.Rows {
		k := r.Key()
		current[k] = true
		warnAfter, _, ok := m.Settings(r.Partner)
		if !ok || m.alerted[k] || rep.AsOf.Sub(r.Since) < warnAfter {
			continue
		}
		m.alerted[k] = true
		late[r.Partner] = append(late[r.Partner], r)
	}
	for k := range m.alerted {
		if !current[k] {
			delete(m.alerted, k)
		}
	}
	m.mu.Unlock()
	if as, ok := m.Checker.Store.(AlertStore); ok && len(late) > 0 {
		late = m.claim(ctx, as, late)
	}
	for partner, rows := range late {
		warnAfter, webhook, _ := m.Settings(partner)
		oldest := rows[0].Since
		for _, r := range rows {
			if r.Since.Before(oldest) {
				oldest = r.Since
			}
		}
		if m.Log != nil {
			m.Log.Warn("divergence older than the partner's threshold", "partner", partner, "rows", len(rows),
				"first", fmt.Sprintf("%s %s ours %d theirs %d", rows[0].SKU, rows[0].Location, rows[0].Ours, rows[0].Theirs),
				"since", oldest, "warn_after", warnAfter)
		}
		if webhook == "" {
			continue
		}
		if err := m.post(ctx, webhook, partner, rep.AsOf, rows); err != nil && m.Log != nil {
			m.Log.Error("divergence webhook", "partner", partner, "err", err)
		}
	}
}

// claim keeps, of the late rows, those no node told of yet, marking them
// in the shared store. When the store does not answer (or refuses a
// deposed leader), nothing is told of now and the rows are tried again
// at the next report.
func (m *Monitor) claim(ctx context.Context, as AlertStore, late map[string][]Row) map[string][]Row {
	var all []Row
	for _, rows := range late {
		all = append(all, rows...)
	}
	fresh, err := as.MarkAlerted(ctx, all)
	if err != nil {
		m.mu.Lock()
		for _, r := range all {
			delete(m.alerted, r.Key())
		}
		m.mu.Unlock()
		if m.Log != nil && ctx.Err() == nil {
			m.Log.Error("divergence alerts: marking the divergences told of; trying again at the next report", "rows", len(all), "err", err)
		}
		return nil
	}
	keep := make(map[string]bool, len(fresh))
	for _, k := range fresh {
		keep[k] = true
	}
	out := map[string][]Row{}
	for partner, rows := range late {
		for _, r := range rows {
			if keep[r.Key()] {
				out[partner] = append(out[partner], r)
			}
		}
	}
	return out
}

// webhookEvent is the body posted to an operator webhook (the Standard
// Webhooks shape: type, timestamp, data).
type webhookEvent struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		Partner string `json:"partner"`
		Rows    []Row  `json:"rows"`
	} `json:"data"`
}

func (m *Monitor) post(ctx context.Context, url, partner string, at time.Time, rows []Row) error {
	ev := webhookEvent{Type: "divergence.overdue", Timestamp: at}
	ev.Data.Partner, ev.Data.Rows = partner, rows
	if len(ev.Data.Rows) > 100 {
		ev.Data.Rows = ev.Data.Rows[:100] // a thin payload: the API has the rest
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	client := m.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWebhook, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", fmt.Sprintf("divergence-%s-%d", partner, at.UnixNano()))
	req.Header.Set("webhook-timestamp", fmt.Sprint(at.Unix()))
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWebhook, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: HTTP %d", ErrWebhook, resp.StatusCode)
	}
	return nil
}
