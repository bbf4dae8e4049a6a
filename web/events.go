package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/events"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/partners"
)

// PostEvents lands a body of inventory events from a partner in the inbox
// and waits (until ctx ends) for it to be processed; see
// gateway.Gateway.PostEvents. key is the request's Idempotency-Key (may
// be empty); earlier reports a message recorded before under that key.
// An error wrapping inbox.ErrKeyReused is answered 422.
type PostEvents func(ctx context.Context, partner, key string, body []byte) (m *inbox.Message, earlier bool, err error)

// eventsResponse is the answer to POST /api/v1/events.
type eventsResponse struct {
	Message     uint64        `json:"message"`
	State       inbox.State   `json:"state"`
	DuplicateOf uint64        `json:"duplicate_of,omitempty"`
	Posted      int           `json:"posted"`
	Duplicates  int           `json:"duplicates"`
	Repeated    []string      `json:"repeated,omitempty"`
	Stale       int           `json:"stale"`
	Sequence    uint64        `json:"sequence,omitempty"`
	Errors      []eventsError `json:"errors,omitempty"`
	// Error is set on a 422.
	Error *apiErrorDetail `json:"error,omitempty"`
}

// eventsError is one bad event's problem: the JSON path of its field.
type eventsError struct {
	Field   string `json:"field"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

// apiEventsSchema serves the JSON Schema of an event.
func (s *Server) apiEventsSchema(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/schema+json")
	w.Write(events.Schema())
}

// apiPostEvents takes inventory events from a partner: its events token
// says who it is; the body lands in the inbox and is processed like a
// file.
func (s *Server) apiPostEvents(w http.ResponseWriter, r *http.Request) {
	p, ok := s.eventsPartner(w, r)
	if !ok {
		return
	}
	noteWho(r, "partner:"+p.ID)
	if ok, wait := s.eventLimits.allow("partner:"+p.ID, time.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many requests; retry later")
		return
	}
	key, err := idempotencyKey(r.Header.Get("Idempotency-Key"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if s.deps.PostEvents == nil {
		s.apiError(w, r, fmt.Errorf("events: %w", ErrUnavailable))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.ReplayWait)
	defer cancel()
	m, earlier, err := s.deps.PostEvents(ctx, p.ID, key, body)
	switch {
	case errors.Is(err, inbox.ErrKeyReused):
		writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused", "this Idempotency-Key was sent with another body")
		return
	case errors.Is(err, inbox.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error())
		return
	case err != nil:
		s.apiError(w, r, err)
		return
	case earlier && (m.State == inbox.Received || m.State == inbox.Processing):
		writeError(w, http.StatusConflict, "in_flight", fmt.Sprintf("the first request with this Idempotency-Key (message %d) is still being processed; retry later", m.ID))
		return
	}
	status, resp := eventsAnswer(m, p.Events.OnError == partners.OnErrorPostGood)
	writeJSON(w, status, resp)
}

// eventsPartner authenticates a partner by its events token; it answers
// 401 itself (after the client address's rate limit) and returns false
// when there is none. The token is hashed at once and never logged.
func (s *Server) eventsPartner(w http.ResponseWriter, r *http.Request) (*partners.Profile, bool) {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var p *partners.Profile
	if found && token != "" {
		p, _ = s.deps.Partners().ByEventToken(HashToken(strings.TrimSpace(token)))
	}
	if p != nil {
		return p, true
	}
	if ok, wait := s.limits.allow("addr:"+clientAddr(r), time.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many requests; retry later")
		return nil, false
	}
	s.log.Info("events authentication failed", "remote", clientAddr(r), "token_sent", found)
	w.Header().Set("WWW-Authenticate", `Bearer realm="dockside-events"`)
	writeError(w, http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <the partner's events token>")
	return nil, false
}

// idempotencyKey reads an Idempotency-Key header: a structured-field
// string ("..."), or the bare text for clients that send it unquoted.
func idempotencyKey(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var b strings.Builder
		for i := 1; i < len(v)-1; i++ {
			c := v[i]
			if c == '\\' && i+1 < len(v)-1 {
				i++
				c = v[i]
			} else if c == '"' || c == '\\' {
				return "", badParam("Idempotency-Key", "not a structured-field string")
			}
			b.WriteByte(c)
		}
		v = b.String()
	}
	if err := checkKey(v); err != nil {
		return "", err
	}
	return v, nil
}

// eventsAnswer is the status and body for a message of events. A failed
// message is 422, unless its partner posts the good events (postGood)
// and there were some: then 200 with the bad ones in errors (the message
// stays failed, so that a replay after a profile fix posts the rest).
func eventsAnswer(m *inbox.Message, postGood bool) (int, eventsResponse) {
	resp := eventsResponse{Message: m.ID, State: m.State, DuplicateOf: m.DuplicateOf}
	if res := m.Result; res != nil {
		resp.Posted, resp.Duplicates, resp.Repeated, resp.Stale, resp.Sequence = res.Movements, res.Duplicates, res.Repeated, res.Stale, res.Sequence
	}
	for _, p := range m.Errors {
		resp.Errors = append(resp.Errors, eventsError{Field: p.Place, Code: p.Code, Message: p.Msg})
	}
	switch m.State {
	case inbox.Received, inbox.Processing:
		return http.StatusAccepted, resp
	case inbox.Failed:
		if postGood && resp.Posted+resp.Duplicates > 0 {
			return http.StatusOK, resp
		}
		msg := fmt.Sprintf("%d problems; nothing was posted", len(resp.Errors))
		if len(resp.Errors) > 0 {
			e := resp.Errors[0]
			msg = strings.TrimPrefix(e.Field+": "+e.Message, ": ")
			if n := len(resp.Errors); n > 1 {
				msg += fmt.Sprintf(" (and %d more)", n-1)
			}
			msg += "; nothing was posted"
		}
		resp.Error = &apiErrorDetail{Code: "invalid_events", Message: msg}
		return http.StatusUnprocessableEntity, resp
	}
	return http.StatusOK, resp
}
