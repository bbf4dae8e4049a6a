package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

// Metrics holds the server's Prometheus metrics, in a registry of its own,
// and the hooks the pipeline and the transports report to. Store figures
// (queue, backlog, overdue acks, ledger postings) are read from the stores
// at scrape time.
type Metrics struct {
	reg          *prometheus.Registry
	now          func() time.Time
	messages     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	movements    *prometheus.CounterVec
	connections  *prometheus.CounterVec
	bytes        *prometheus.CounterVec
	httpRequests *prometheus.CounterVec
	httpLatency  *prometheus.HistogramVec
}

// httpBuckets span a cached page (1 ms) to a large export (1 min).
var httpBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// latencyBuckets span a small file on a quiet gateway (10 ms) to a large
// one behind a long queue (1 h).
var latencyBuckets = []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}

func newMetrics(s *Server) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		now: s.now,
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockside_messages_total",
			Help: "Received messages whose processing ended, by partner, document type and state (done, failed, duplicate).",
		}, []string{"partner", "type", "state"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dockside_processing_seconds",
			Help:    "Time from a message's arrival to its posting in the ledger (first attempts that ended done), by partner and transport.",
			Buckets: latencyBuckets,
		}, []string{"partner", "transport"}),
		movements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockside_ledger_movements_posted_total",
			Help: "Ledger movements posted from received messages, by partner.",
		}, []string{"partner"}),
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockside_transport_connections_total",
			Help: "Connections accepted or opened, by transport.",
		}, []string{"transport"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockside_transport_bytes_total",
			Help: "Bytes moved by the transports, by transport and direction (in, out).",
		}, []string{"transport", "direction"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockside_http_requests_total",
			Help: "HTTP requests to the API and dashboard, by route and status code.",
		}, []string{"route", "code"}),
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dockside_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request to the API and dashboard, by route (the route table's pattern).",
			Buckets: httpBuckets,
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.messages, m.latency, m.movements, m.connections, m.bytes, m.httpRequests, m.httpLatency,
		&storeCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveMessage counts a message whose processing ended with o, and for
// a first attempt that ended done, observes the time from its arrival
// (m.ReceivedAt) to now. Call it after inbox.Store.Finish (the gateway's
// finish hook).
func (m *Metrics) ObserveMessage(msg *inbox.Message, o inbox.Outcome) {
	now := m.now()
	partner := orUnknown(msg.Partner)
	docType := ""
	if o.Result != nil {
		docType = o.Result.DocType
		if o.Result.Movements > 0 {
			m.movements.WithLabelValues(partner).Add(float64(o.Result.Movements))
		}
	}
	m.messages.WithLabelValues(partner, orUnknown(docType), orUnknown(string(o.State))).Inc()
	if o.State == inbox.Done && msg.Attempts <= 1 && !msg.ReceivedAt.IsZero() {
		m.latency.WithLabelValues(partner, orUnknown(msg.Transport)).Observe(max(0, now.Sub(msg.ReceivedAt).Seconds()))
	}
}

// TransportConnection counts a connection of a transport (an SFTP
// session, an AS2 request, a folder pickup).
func (m *Metrics) TransportConnection(transport string) {
	m.connections.WithLabelValues(orUnknown(transport)).Inc()
}

// TransportBytes counts n bytes moved by a transport; direction is "in" or
// "out".
func (m *Metrics) TransportBytes(transport, direction string, n int) {
	if n > 0 {
		m.bytes.WithLabelValues(orUnknown(transport), orUnknown(direction)).Add(float64(n))
	}
}

// Gatherer returns the registry, for tests and for serving the metrics
// elsewhere.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil}).ServeHTTP(w, r)
}

// storeCollector reads the stores at scrape time. The figures that scan a
// whole store are kept for Options.MetricsScanEvery.
type storeCollector struct {
	s *Server

	mu      sync.Mutex
	scanned time.Time // when counts and overdue were computed; zero: never
	counts  map[string]map[inbox.State]int
	overdue map[string]int
}

var (
	descWaiting = prometheus.NewDesc("dockside_inbox_waiting",
		"Messages waiting in the inbox queue.", nil, nil)
	descInbox = prometheus.NewDesc("dockside_inbox_messages",
		"Messages in the inbox, by partner and state (recomputed at most every MetricsScanEvery).", []string{"partner", "state"}, nil)
	descBacklog = prometheus.NewDesc("dockside_outbox_backlog",
		"Outbound messages not delivered: pending (queued, sending, sent, failed) or dead.", []string{"state"}, nil)
	descOverdue = prometheus.NewDesc("dockside_acks_overdue",
		"Outbound messages whose partner acknowledgement is overdue, by partner (recomputed at most every MetricsScanEvery).", []string{"partner"}, nil)
	descPostings = prometheus.NewDesc("dockside_ledger_postings_total",
		"Ledger postings (the last change sequence number).", nil, nil)
	descDivergent = prometheus.NewDesc("dockside_divergent_skus",
		"SKUs (per location or channel) whose figure the partner holds differs from ours, by partner.", []string{"partner"}, nil)
	descDivergenceAge = prometheus.NewDesc("dockside_divergence_oldest_seconds",
		"Age of the partner's oldest divergence, by partner (0: none).", []string{"partner"}, nil)
	descStreamLag = prometheus.NewDesc("dockside_stream_lag",
		"Ledger postings a change stream subscriber has not confirmed (the ledger's last change sequence minus its confirmed one), by subscriber and kind (nats, webhook).", []string{"subscriber", "kind"}, nil)
	descStreamCursor = prometheus.NewDesc("dockside_stream_cursor",
		"A change stream subscriber's saved cursor (change sequence), by subscriber and kind.", []string{"subscriber", "kind"}, nil)
	descStreamDelivered = prometheus.NewDesc("dockside_stream_delivered_total",
		"Change events a subscriber confirmed since its relay started, by subscriber and kind.", []string{"subscriber", "kind"}, nil)
	descStreamFailures = prometheus.NewDesc("dockside_stream_failures_total",
		"Failed deliveries to a change stream subscriber since its relay started, by subscriber and kind.", []string{"subscriber", "kind"}, nil)
	descStreamFailing = prometheus.NewDesc("dockside_stream_failures_in_a_row",
		"A change stream subscriber's failures in a row (0: its last delivery succeeded), by subscriber and kind.", []string{"subscriber", "kind"}, nil)
	descStreamDisabled = prometheus.NewDesc("dockside_stream_disabled",
		"Whether a change stream subscriber is disabled (1) or not (0), by subscriber and kind.", []string{"subscriber", "kind"}, nil)
	descStreamRelaying = prometheus.NewDesc("dockside_stream_relaying",
		"Whether this node relays a change stream subscriber (1) or not (0; in a cluster only the leader relays, the other nodes report its saved cursor), by subscriber and kind.", []string{"subscriber", "kind"}, nil)
	descUp = prometheus.NewDesc("dockside_store_up",
		"Whether a store answered the scrape (1) or not (0).", []string{"store"}, nil)
)

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWaiting, descInbox, descBacklog, descOverdue, descPostings, descDivergent, descDivergenceAge,
		descStreamLag, descStreamCursor, descStreamDelivered, descStreamFailures, descStreamFailing, descStreamDisabled, descStreamRelaying, descUp} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.s.deps
	up := func(store string, err error) {
		v := 1.0
		if err != nil {
			v = 0
			c.s.log.Warn("metrics: store did not answer", "store", store, "err", err)
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, v, store)
	}
	counts, overdue, inboxErr, outboxErr := c.scans()

	waiting, err := d.Inbox.Waiting()
	if err == nil {
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(waiting))
		for partner, states := range counts {
			for state, n := range states {
				ch <- prometheus.MustNewConstMetric(descInbox, prometheus.GaugeValue, float64(n), orUnknown(partner), string(state))
			}
		}
	}
	up("inbox", errors.Join(err, inboxErr))

	pending, dead, err := d.Outbox.Backlog()
	if err == nil {
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(pending), "pending")
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(dead), "dead")
		// Every configured partner has a figure, 0 included: an alert on
		// the series sees it go from 0 to 1, and a dashboard shows 0.
		all := map[string]int{}
		if dir := c.s.partners(); dir != nil {
			for _, p := range dir.Profiles() {
				all[p.ID] = 0
			}
		}
		for partner, n := range overdue {
			all[orUnknown(partner)] += n
		}
		for partner, n := range all {
			ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(n), partner)
		}
	}
	up("outbox", errors.Join(err, outboxErr))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seq, err := d.Ledger.LastSeq(ctx)
	if err == nil {
		ch <- prometheus.MustNewConstMetric(descPostings, prometheus.CounterValue, float64(seq))
	}
	up("ledger", err)

	if d.Divergence != nil {
		rep, err := d.Divergence(ctx)
		if err == nil {
			by := rep.ByPartner()
			for _, p := range d.Partners().Profiles() {
				if _, ok := by[p.ID]; !ok && (p.Advice != nil || len(p.Documents) > 0) {
					by[p.ID] = divergence.Partner{} // 0, so an alert can see it end
				}
			}
			for partner, s := range by {
				ch <- prometheus.MustNewConstMetric(descDivergent, prometheus.GaugeValue, float64(s.Divergent), partner)
				ch <- prometheus.MustNewConstMetric(descDivergenceAge, prometheus.GaugeValue, s.Oldest.Seconds(), partner)
			}
		}
		up("divergence", err)
	}

	if d.Streams != nil {
		subs, err := d.Streams(ctx)
		for _, st := range subs {
			l := []string{st.Subscriber, orUnknown(st.Kind)}
			disabled, relaying := 0.0, 0.0
			if st.Disabled {
				disabled = 1
			}
			if st.Running {
				relaying = 1
			}
			ch <- prometheus.MustNewConstMetric(descStreamLag, prometheus.GaugeValue, float64(st.Lag), l...)
			ch <- prometheus.MustNewConstMetric(descStreamCursor, prometheus.GaugeValue, float64(st.Cursor), l...)
			ch <- prometheus.MustNewConstMetric(descStreamDelivered, prometheus.CounterValue, float64(st.Delivered), l...)
			ch <- prometheus.MustNewConstMetric(descStreamFailures, prometheus.CounterValue, float64(st.Failed), l...)
			ch <- prometheus.MustNewConstMetric(descStreamFailing, prometheus.GaugeValue, float64(st.Failures), l...)
			ch <- prometheus.MustNewConstMetric(descStreamDisabled, prometheus.GaugeValue, disabled, l...)
			ch <- prometheus.MustNewConstMetric(descStreamRelaying, prometheus.GaugeValue, relaying, l...)
		}
		up("streams", err)
	}
}

// scans returns the inbox counts and overdue acknowledgements, computed
// again when the last ones are older than MetricsScanEvery (or failed).
func (c *storeCollector) scans() (map[string]map[inbox.State]int, map[string]int, error, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !c.scanned.IsZero() && now.Sub(c.scanned) < c.s.opts.MetricsScanEvery {
		return c.counts, c.overdue, nil, nil
	}
	counts, inboxErr := c.s.deps.Inbox.Counts()
	overdue, outboxErr := overdueByPartner(c.s.deps.Outbox)
	c.counts, c.overdue, c.scanned = counts, overdue, time.Time{}
	if inboxErr == nil && outboxErr == nil {
		c.scanned = now
	}
	return counts, overdue, inboxErr, outboxErr
}

// overdueByPartner counts overdue acknowledgements per partner.
func overdueByPartner(o outbox.Storage) (map[string]int, error) {
	out := map[string]int{}
	err := eachOutbox(o, outbox.Filter{AckState: outbox.AckOverdue}, func(m *outbox.Message) bool {
		out[m.Partner]++
		return true
	})
	return out, err
}

// eachOutbox calls fn for every outbound message matching f, newest
// first, page by page, until fn returns false.
func eachOutbox(o outbox.Storage, f outbox.Filter, fn func(*outbox.Message) bool) error {
	f.Limit = 1000
	for {
		page, err := o.List(f)
		if err != nil {
			return err
		}
		for _, m := range page {
			if !fn(m) {
				return nil
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.Before = page[len(page)-1].ID
	}
}

// partnerLatency is how long one partner's messages took from arrival to
// the ledger (first attempts that ended done) since the process started:
// the seed of a service-level view. Quantiles are the upper bounds of the
// histogram buckets that hold them; -1 means above the largest (1 h).
type partnerLatency struct {
	Partner string  `json:"partner"`
	Count   uint64  `json:"count"`
	Mean    float64 `json:"mean_seconds"`
	P50     float64 `json:"p50_seconds"`
	P95     float64 `json:"p95_seconds"`
	// WithinMinute is the share of messages processed within 60 s.
	WithinMinute float64 `json:"within_1m"`
}

// processingByPartner reads dockside_processing_seconds, transports
// merged, by partner.
func (m *Metrics) processingByPartner() []partnerLatency {
	type acc struct {
		count   uint64
		sum     float64
		buckets []uint64 // cumulative, per latencyBuckets
	}
	by := map[string]*acc{}
	ch := make(chan prometheus.Metric, 64)
	go func() {
		m.latency.Collect(ch)
		close(ch)
	}()
	for metric := range ch {
		var d dto.Metric
		if err := metric.Write(&d); err != nil || d.Histogram == nil {
			continue
		}
		partner := ""
		for _, l := range d.Label {
			if l.GetName() == "partner" {
				partner = l.GetValue()
			}
		}
		a := by[partner]
		if a == nil {
			a = &acc{buckets: make([]uint64, len(latencyBuckets))}
			by[partner] = a
		}
		a.count += d.Histogram.GetSampleCount()
		a.sum += d.Histogram.GetSampleSum()
		for i, b := range d.Histogram.Bucket {
			if i < len(a.buckets) {
				a.buckets[i] += b.GetCumulativeCount()
			}
		}
	}
	out := []partnerLatency{}
	for _, partner := range sortedKeys(by) {
		a := by[partner]
		if a.count == 0 {
			continue
		}
		quantile := func(q float64) float64 {
			want := uint64(math.Ceil(q * float64(a.count)))
			for i, c := range a.buckets {
				if c >= want {
					return latencyBuckets[i]
				}
			}
			return -1 // above the largest bucket (JSON has no infinity)
		}
		pl := partnerLatency{Partner: partner, Count: a.count, Mean: a.sum / float64(a.count), P50: quantile(.5), P95: quantile(.95)}
		for i, le := range latencyBuckets {
			if le == 60 {
				pl.WithinMinute = float64(a.buckets[i]) / float64(a.count)
			}
		}
		out = append(out, pl)
	}
	return out
}
