package web

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// maxThroughputScan bounds the index entries counted for the last hour.
const maxThroughputScan = 50_000

// overview is the state of the gateway at a glance.
type overview struct {
	AsOf time.Time `json:"as_of"`
	// Throughput over the last 24 hours, by hour (oldest first).
	Hours       []hourCount `json:"hours"`
	Received24h int         `json:"received_24h"`
	Failed24h   int         `json:"failed_24h"`
	Received1h  int         `json:"received_1h"`
	// Capped means more messages arrived in the last hour than were
	// counted for Received1h.
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
	// Processing is each partner's time from arrival to the ledger since
	// the process started.
	Processing []partnerLatency `json:"processing"`
	// Divergence is the divergence card; absent when the server has no
	// report.
	Divergence *divergenceCard `json:"divergence,omitempty"`
	// Streams are the change stream's subscribers; absent when there are
	// none.
	Streams []StreamStatus `json:"streams,omitempty"`
	// StreamsLag is the largest lag among them.
	StreamsLag uint64 `json:"streams_lag,omitempty"`
	// Webhooks is the webhooks card; absent when the server has none.
	Webhooks *webhooksCard `json:"webhooks,omitempty"`
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
	o.Processing = s.metrics.processingByPartner()
	if o.Streams, err = s.streams(ctx); err != nil { // the rest of the overview still helps
		s.log.Warn("overview: change stream subscribers", "err", err)
	}
	for _, st := range o.Streams {
		o.StreamsLag = max(o.StreamsLag, st.Lag)
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

// throughput counts the messages of the last 24 hours, by hour, from
// the inbox's hourly counters (the last hour's figure reads its messages'
// index range only).
func (s *Server) throughput(ctx context.Context, o *overview, now time.Time) error {
	top := now.Truncate(time.Hour).Add(time.Hour)
	o.Hours = make([]hourCount, 24)
	for i := range o.Hours {
		o.Hours[i].Start = top.Add(time.Duration(i-24) * time.Hour).UTC()
	}
	since := top.Add(-24 * time.Hour)
	hours, err := s.deps.Inbox.Hourly(since, top)
	if err != nil {
		return err
	}
	for _, h := range hours {
		i := int(h.Start.Sub(since) / time.Hour)
		if i < 0 || i >= 24 {
			continue
		}
		for st, n := range h.ByState {
			o.Hours[i].Received += n
			o.Received24h += n
			if st == inbox.Failed {
				o.Hours[i].Failed += n
				o.Failed24h += n
			}
		}
	}
	n, capped, err := s.deps.Inbox.Count(ctx, inbox.Filter{Since: now.Add(-time.Hour), Until: now.Add(time.Nanosecond)}, maxThroughputScan)
	if err != nil {
		return err
	}
	o.Received1h, o.Capped = n, capped
	return nil
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	o, err := s.overview(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	o.Divergence = s.divergenceSummary(r)
	o.Webhooks = s.webhooksSummary(r)
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
