package web

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/outbox"
)

var outboxStates = []outbox.State{outbox.Queued, outbox.Sending, outbox.Sent, outbox.Delivered, outbox.Failed, outbox.Dead}

var ackStates = []outbox.AckState{outbox.AckPending, outbox.AckAccepted, outbox.AckAcceptedErrors, outbox.AckRejected, outbox.AckOverdue}

func parseOutboxFilter(r *http.Request) (outbox.Filter, error) {
	v := r.URL.Query()
	f := outbox.Filter{State: outbox.State(v.Get("state")), Partner: v.Get("partner"),
		AckState: outbox.AckState(v.Get("ack_state")), Kind: v.Get("kind")}
	if f.State != "" && !oneOf(f.State, outboxStates) {
		return f, badParam("state", "want one of queued, sending, sent, delivered, failed, dead")
	}
	if f.AckState != "" && !oneOf(f.AckState, ackStates) {
		return f, badParam("ack_state", "want one of pending, accepted, accepted_with_errors, rejected, overdue")
	}
	var err error
	if f.Limit, err = pageLimit(r, 100); err != nil {
		return f, err
	}
	if f.Before, err = uintParam(r, "before"); err != nil {
		return f, err
	}
	return f, nil
}

func oneOf[T comparable](v T, list []T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

type outboxPage struct {
	Messages   []*outbox.Message `json:"messages"`
	NextBefore uint64            `json:"next_before,omitempty"`
	Pending    int               `json:"pending"`
	Dead       int               `json:"dead"`
}

func (s *Server) outboxPage(r *http.Request, f outbox.Filter) (*outboxPage, error) {
	msgs, err := s.deps.Outbox.List(f)
	if err != nil {
		return nil, err
	}
	page := &outboxPage{Messages: msgs}
	if page.Messages == nil {
		page.Messages = []*outbox.Message{}
	}
	if len(msgs) == f.Limit {
		page.NextBefore = msgs[len(msgs)-1].ID
	}
	if page.Pending, page.Dead, err = s.deps.Outbox.Backlog(); err != nil {
		return nil, err
	}
	return page, nil
}

func (s *Server) apiOutbox(w http.ResponseWriter, r *http.Request) {
	f, err := parseOutboxFilter(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page, err := s.outboxPage(r, f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

type outboxDetail struct {
	Message   *outbox.Message `json:"message"`
	Body      string          `json:"body,omitempty"`
	Truncated bool            `json:"truncated,omitempty"`
	Binary    bool            `json:"binary,omitempty"`
}

func (s *Server) outboxDetail(id uint64) (*outboxDetail, error) {
	m, err := s.deps.Outbox.Get(id)
	if err != nil {
		return nil, err
	}
	d := &outboxDetail{Message: m}
	body, err := s.deps.Outbox.Body(id)
	if err != nil {
		return nil, err
	}
	if len(body) > s.opts.MaxRawView {
		body, d.Truncated = body[:s.opts.MaxRawView], true
	}
	if looksBinary(body) {
		d.Binary = true
	} else {
		d.Body = strings.ToValidUTF8(string(body), string(utf8.RuneError))
	}
	return d, nil
}

func (s *Server) apiOutboxMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.outboxDetail(id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// retry makes a failed, dead or sent (still unconfirmed) outbound message
// due now.
func (s *Server) retry(who string, id uint64) (*outbox.Message, error) {
	m, err := s.deps.Outbox.Get(id)
	if err != nil {
		return nil, err
	}
	if err := s.deps.Outbox.Retry(id); err != nil { // failed, dead or sent (awaiting a receipt) only
		return m, err
	}
	return s.deps.Outbox.Get(id)
}

// retryRecorded is retry, written to the audit log with its outcome.
func (s *Server) retryRecorded(r *http.Request, id uint64) (*outbox.Message, error) {
	e := audit.Entry{Action: audit.ActionRetry, Target: fmt.Sprintf("outbox %d", id)}
	if before, err := s.deps.Outbox.Get(id); err == nil {
		e.Detail = fmt.Sprintf("partner %s, %s %s, was %s after %d attempts", before.Partner, before.Kind, before.Name, before.State, before.Attempts)
	}
	m, err := s.retry(Who(r), id)
	s.record(r.Context(), r, e, err)
	return m, err
}

func (s *Server) apiRetry(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	m, err := s.retryRecorded(r, id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
