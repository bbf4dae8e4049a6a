package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// Partner statuses.
const (
	statusOK        = "ok"
	statusAttention = "attention" // overdue acknowledgements, dead outbound messages, some recent deliveries failing
	statusFailing   = "failing"   // messages failed and not yet replayed, or every recent delivery failing
)

// recentDeliveries is how many of a partner's latest outbound messages
// its health looks at.
const recentDeliveries = 20

// partnerHealth is how a partner's traffic is going.
type partnerHealth struct {
	Status       string              `json:"status"`
	LastMessage  *messageBrief       `json:"last_message,omitempty"`
	Messages     map[inbox.State]int `json:"messages"`
	Failed       int                 `json:"failed"`
	OverdueAcks  int                 `json:"overdue_acks"`
	DeadOutbound int                 `json:"dead_outbound"`
	// Deliveries is how the latest outbound messages went.
	Deliveries deliveryHealth `json:"deliveries"`
	// LastBroadcast is the last inventory advice sent (queued) to a
	// channel: what it was told. A preview built without sending is
	// skipped; nil when none was sent among the latest lastAdviceScan.
	LastBroadcast *broadcast.Broadcast `json:"last_broadcast,omitempty"`
}

// lastAdviceScan bounds how many of a channel's latest advice records
// are read to find the last one sent, past previews.
const lastAdviceScan = 50

// deliveryHealth is how a partner's latest outbound messages (up to
// recentDeliveries) went: those attempted, those whose last attempt
// failed (failed or dead), and the last delivery.
type deliveryHealth struct {
	Attempted     int        `json:"attempted"`
	Failing       int        `json:"failing"`
	LastError     string     `json:"last_error,omitempty"`
	LastDelivered *time.Time `json:"last_delivered,omitempty"`
}

type messageBrief struct {
	ID         uint64      `json:"id"`
	Name       string      `json:"name"`
	State      inbox.State `json:"state"`
	ReceivedAt time.Time   `json:"received_at"`
}

type partnerSummary struct {
	Profile profileView    `json:"profile"`
	Health  *partnerHealth `json:"health"`
}

// health computes every partner's health in one pass over each store.
func (s *Server) health(r *http.Request, dir *partners.Directory) (map[string]*partnerHealth, error) {
	out := map[string]*partnerHealth{}
	for _, p := range dir.Profiles() {
		out[p.ID] = &partnerHealth{Messages: map[inbox.State]int{}}
	}
	get := func(id string) *partnerHealth {
		if h := out[id]; h != nil {
			return h
		}
		h := &partnerHealth{Messages: map[inbox.State]int{}}
		out[id] = h
		return h
	}
	counts, err := s.deps.Inbox.Counts()
	if err != nil {
		return nil, err
	}
	for id, states := range counts {
		h := get(id)
		h.Messages = states
		h.Failed = states[inbox.Failed]
	}
	if err := s.lastMessages(r, out); err != nil {
		return nil, err
	}
	overdue, err := overdueByPartner(s.deps.Outbox)
	if err != nil {
		return nil, err
	}
	for id, n := range overdue {
		get(id).OverdueAcks = n
	}
	err = eachOutbox(s.deps.Outbox, outbox.Filter{State: outbox.Dead}, func(m *outbox.Message) bool {
		get(m.Partner).DeadOutbound++
		return true
	})
	if err != nil {
		return nil, err
	}
	for _, p := range dir.Profiles() {
		if p.Advice != nil && s.deps.Broadcasts != nil {
			if bs, err := s.deps.Broadcasts.List(p.ID, lastAdviceScan); err == nil {
				for i := range bs {
					if bs[i].State != broadcast.StateNotSent {
						out[p.ID].LastBroadcast = &bs[i]
						break
					}
				}
			}
		}
	}
	for id, h := range out {
		if err := s.deliveries(id, &h.Deliveries); err != nil {
			return nil, err
		}
	}
	for _, h := range out {
		d := h.Deliveries
		switch {
		case h.Failed > 0, d.Attempted > 0 && d.Failing == d.Attempted:
			h.Status = statusFailing
		case h.OverdueAcks > 0 || h.DeadOutbound > 0 || d.Failing > 0:
			h.Status = statusAttention
		default:
			h.Status = statusOK
		}
	}
	return out, nil
}

// deliveries reads how the partner's latest outbound messages went.
func (s *Server) deliveries(partner string, d *deliveryHealth) error {
	msgs, err := s.deps.Outbox.List(outbox.Filter{Partner: partner, Limit: recentDeliveries})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		switch m.State {
		case outbox.Failed, outbox.Dead:
			d.Attempted++
			d.Failing++
			if d.LastError == "" {
				d.LastError = m.LastError
			}
		case outbox.Sent, outbox.Delivered:
			d.Attempted++
			if !m.DeliveredAt.IsZero() && (d.LastDelivered == nil || m.DeliveredAt.After(*d.LastDelivered)) {
				at := m.DeliveredAt
				d.LastDelivered = &at
			}
		}
	}
	return nil
}

// lastMessages finds each partner's newest message (one index read per
// partner).
func (s *Server) lastMessages(r *http.Request, out map[string]*partnerHealth) error {
	for id, h := range out {
		if err := r.Context().Err(); err != nil {
			return err
		}
		p, err := s.deps.Inbox.Search(r.Context(), inbox.Filter{Partner: id, Limit: 1})
		if err != nil {
			return err
		}
		if len(p.Messages) == 1 {
			m := p.Messages[0]
			h.LastMessage = &messageBrief{ID: m.ID, Name: m.Name, State: m.State, ReceivedAt: m.ReceivedAt}
		}
	}
	return nil
}

func (s *Server) partnerSummaries(r *http.Request) ([]partnerSummary, error) {
	dir := s.partners()
	health, err := s.health(r, dir)
	if err != nil {
		return nil, err
	}
	out := []partnerSummary{}
	for _, p := range dir.Profiles() {
		out = append(out, partnerSummary{Profile: viewProfile(p), Health: health[p.ID]})
	}
	return out, nil
}

func (s *Server) apiPartners(w http.ResponseWriter, r *http.Request) {
	sums, err := s.partnerSummaries(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"partners": sums})
}

// partnerDetail is one partner: profile, health and recent traffic.
type partnerDetail struct {
	Profile    profileView           `json:"profile"`
	Health     *partnerHealth        `json:"health"`
	Messages   []*inbox.Message      `json:"recent_messages"`
	Outbox     []*outbox.Message     `json:"recent_outbox"`
	Broadcasts []broadcast.Broadcast `json:"broadcasts"`
}

func (s *Server) partnerDetail(r *http.Request, id string) (*partnerDetail, error) {
	dir := s.partners()
	p, err := dir.ByID(id)
	if err != nil {
		return nil, err
	}
	health, err := s.health(r, dir)
	if err != nil {
		return nil, err
	}
	d := &partnerDetail{Profile: viewProfile(p), Health: health[p.ID], Broadcasts: []broadcast.Broadcast{}}
	if d.Messages, err = s.deps.Inbox.List(inbox.Filter{Partner: p.ID, Limit: 20}); err != nil {
		return nil, err
	}
	if d.Outbox, err = s.deps.Outbox.List(outbox.Filter{Partner: p.ID, Limit: 20}); err != nil {
		return nil, err
	}
	if s.deps.Broadcasts != nil {
		if d.Broadcasts, err = s.deps.Broadcasts.List(p.ID, 20); err != nil {
			return nil, err
		}
	}
	if d.Messages == nil {
		d.Messages = []*inbox.Message{}
	}
	if d.Outbox == nil {
		d.Outbox = []*outbox.Message{}
	}
	if d.Broadcasts == nil {
		d.Broadcasts = []broadcast.Broadcast{}
	}
	return d, nil
}

func (s *Server) apiPartner(w http.ResponseWriter, r *http.Request) {
	d, err := s.partnerDetail(r, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// apiBelieves answers what a channel believes, by SKU: the figure of the
// last advice delivered to it; possible lists the figures of advice sent
// and not confirmed delivered (it may hold those instead), unknown the
// SKUs whose figure it rejected.
func (s *Server) apiBelieves(w http.ResponseWriter, r *http.Request) {
	p, err := s.partners().ByID(r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	b := &broadcast.Beliefs{Held: map[string]int64{}, Possible: map[string][]int64{}}
	if s.deps.Broadcasts != nil {
		if b, err = s.deps.Broadcasts.Beliefs(p.ID); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	unknown := []string{}
	for sku := range b.Unknown {
		unknown = append(unknown, sku)
	}
	slices.Sort(unknown)
	writeJSON(w, http.StatusOK, map[string]any{"partner": p.ID, "believes": b.Held, "possible": b.Possible, "unknown": unknown})
}

func (s *Server) apiBroadcasts(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r, 100)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	list := []broadcast.Broadcast{}
	if s.deps.Broadcasts != nil {
		if list, err = s.deps.Broadcasts.List(r.URL.Query().Get("partner"), limit); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	if list == nil {
		list = []broadcast.Broadcast{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"broadcasts": list})
}

// apiTold answers the figures one broadcast told its channel.
func (s *Server) apiTold(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if s.deps.Broadcasts == nil {
		s.apiError(w, r, fmt.Errorf("broadcast %d: %w", id, errNotFound))
		return
	}
	told, err := s.deps.Broadcasts.Told(id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if len(told) == 0 { // ids are sequential and never removed: above the newest, none
		latest, err := s.deps.Broadcasts.List("", 1)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		if len(latest) == 0 || latest[0].ID < id {
			s.apiError(w, r, fmt.Errorf("broadcast %s: %w", strconv.FormatUint(id, 10), errNotFound))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"broadcast": id, "told": told})
}
