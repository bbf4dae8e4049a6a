package web

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// maxThroughputScan bounds the messages read for the last 24 hours'
// throughput.
const maxThroughputScan = 50_000

// overview is the state of the gateway at a glance.
type overview struct {
	AsOf time.Time `json:"as_of"`
	// Throughput over the last 24 hours, by hour (oldest first).
	Hours       []hourCount `json:"hours"`
	Received24h int         `json:"received_24h"`
	Failed24h   int         `json:"failed_24h"`
	Received1h  int         `json:"received_1h"`
	// Capped means more messages arrived in 24 hours than were counted.
	Capped bool `json:"capped,omitempty"`
	// Now.
	Failed          int              `json:"failed"`
	FailedByPartner map[string]int   `json:"failed_by_partner"`
	Waiting         int              `json:"waiting"`
	OverdueAcks     int              `json:"overdue_acks"`
	OutboxPending   int              `json:"outbox_pending"`
	OutboxDead      int              `json:"outbox_dead"`
	LedgerSeq       uint64           `json:"ledger_seq"`
	RecentFailures  []*inbox.Message `json:"recent_failures"`
	// Divergence is the divergence card; absent when the server has no
	// report.
	Divergence *divergenceCard `json:"divergence,omitempty"`
}

type hourCount struct {
	Start    time.Time `json:"start"`
	Received int       `json:"received"`
	Failed   int       `json:"failed"`
}

func (s *Server) overview(ctx context.Context) (*overview, error) {
	now := s.now()
	o := &overview{AsOf: now.UTC(), FailedByPartner: map[string]int{}, RecentFailures: []*inbox.Message{}}
	if err := s.throughput(ctx, o, now); err != nil {
		return nil, err
	}
	counts, err := s.deps.Inbox.Counts()
	if err != nil {
		return nil, err
	}
	for partner, states := range counts {
		if n := states[inbox.Failed]; n > 0 {
			o.Failed += n
			o.FailedByPartner[orUnknown(partner)] = n
		}
	}
	if o.Waiting, err = s.deps.Inbox.Waiting(); err != nil {
		return nil, err
	}
	overdue, err := overdueByPartner(s.deps.Outbox)
	if err != nil {
		return nil, err
	}
	for _, n := range overdue {
		o.OverdueAcks += n
	}
	if o.OutboxPending, o.OutboxDead, err = s.deps.Outbox.Backlog(); err != nil {
		return nil, err
	}
	if o.LedgerSeq, err = s.deps.Ledger.LastSeq(ctx); err != nil {
		return nil, err
	}
	if o.Failed > 0 {
		fails, err := s.deps.Inbox.List(inbox.Filter{State: inbox.Failed, Limit: 10})
		if err != nil {
			return nil, err
		}
		o.RecentFailures = append(o.RecentFailures, fails...)
	}
	return o, nil
}

// throughput counts the messages of the last 24 hours, by hour.
func (s *Server) throughput(ctx context.Context, o *overview, now time.Time) error {
	top := now.Truncate(time.Hour).Add(time.Hour)
	o.Hours = make([]hourCount, 24)
	for i := range o.Hours {
		o.Hours[i].Start = top.Add(time.Duration(i-24) * time.Hour).UTC()
	}
	since := top.Add(-24 * time.Hour)
	f := inbox.Filter{Limit: 1000}
	for scanned := 0; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := s.deps.Inbox.List(f)
		if err != nil {
			return err
		}
		for _, m := range page {
			if m.ReceivedAt.Before(since) {
				return nil // ids grow with arrival: older ones follow
			}
			i := int(m.ReceivedAt.Sub(since) / time.Hour)
			if i < 0 || i >= 24 {
				continue // from the future (a clock step): left out
			}
			o.Hours[i].Received++
			o.Received24h++
			if m.State == inbox.Failed {
				o.Hours[i].Failed++
				o.Failed24h++
			}
			if now.Sub(m.ReceivedAt) <= time.Hour {
				o.Received1h++
			}
		}
		if scanned += len(page); scanned >= maxThroughputScan {
			o.Capped = true
			return nil
		}
		if len(page) < f.Limit {
			return nil
		}
		f.Before = page[len(page)-1].ID
	}
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	o, err := s.overview(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	o.Divergence = s.divergenceSummary(r)
	writeJSON(w, http.StatusOK, o)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
