package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// Audit actions of the webhook endpoints.
const (
	actionWebhookEnable    = "webhook-enable"    // a disabled webhook endpoint enabled again
	actionWebhookRedeliver = "webhook-redeliver" // a subscriber's events sent again from a change
)

// Webhooks are the gateway's webhook endpoints: the change stream's
// subscribers and partners' outbound webhooks.
type Webhooks interface {
	// Subscribers returns the change stream subscribers' states.
	Subscribers(ctx context.Context) ([]webhooks.Status, error)
	// Disabled returns every disabled endpoint ("partner/<id>",
	// "subscriber/<name>").
	Disabled() []webhook.EndpointState
	// Enable enables an endpoint again; it reports whether it was
	// disabled. An unknown subscriber wraps webhooks.ErrUnknown.
	Enable(ctx context.Context, endpoint string) (bool, error)
	// Redeliver sends a subscriber its events again from the posting
	// with change sequence seq.
	Redeliver(ctx context.Context, subscriber string, seq uint64) error
}

// webhooksView is GET /api/v1/webhooks and the dashboard page.
type webhooksView struct {
	Subscribers []webhooks.Status       `json:"subscribers"`
	Disabled    []webhook.EndpointState `json:"disabled"`
}

func (s *Server) webhooksView(r *http.Request) (*webhooksView, error) {
	if s.deps.Webhooks == nil {
		return nil, ErrUnavailable
	}
	subs, err := s.deps.Webhooks.Subscribers(r.Context())
	if err != nil {
		return nil, err
	}
	v := &webhooksView{Subscribers: subs, Disabled: s.deps.Webhooks.Disabled()}
	if v.Subscribers == nil {
		v.Subscribers = []webhooks.Status{}
	}
	if v.Disabled == nil {
		v.Disabled = []webhook.EndpointState{}
	}
	return v, nil
}

func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request) {
	v, err := s.webhooksView(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// enableWebhook enables an endpoint, recorded in the audit log.
func (s *Server) enableWebhook(r *http.Request, endpoint string) (bool, error) {
	if s.deps.Webhooks == nil {
		return false, ErrUnavailable
	}
	if !strings.HasPrefix(endpoint, "partner/") && !strings.HasPrefix(endpoint, "subscriber/") {
		return false, badParam("endpoint", "%q: want partner/<id> or subscriber/<name>", endpoint)
	}
	was, err := s.deps.Webhooks.Enable(r.Context(), endpoint)
	s.record(r.Context(), r, audit.Entry{Action: actionWebhookEnable, Target: "webhook " + endpoint,
		Detail: fmt.Sprintf("was disabled: %v", was)}, err)
	return was, err
}

// redeliver sends a subscriber's events again, recorded in the audit log.
func (s *Server) redeliver(r *http.Request, subscriber, from string) (uint64, error) {
	if s.deps.Webhooks == nil {
		return 0, ErrUnavailable
	}
	seq, err := webhooks.ParsePosition(from)
	if err != nil {
		return 0, badParam("from", "%q: want a change sequence (120) or an event id (120-3)", from)
	}
	err = s.deps.Webhooks.Redeliver(r.Context(), subscriber, seq)
	s.record(r.Context(), r, audit.Entry{Action: actionWebhookRedeliver, Target: "subscriber " + subscriber,
		Detail: fmt.Sprintf("from change %d", seq)}, err)
	return seq, err
}

func (s *Server) apiWebhookEnable(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Endpoint string `json:"endpoint"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		s.apiError(w, r, badParam("body", "want {\"endpoint\": \"subscriber/<name>\"}: %v", err))
		return
	}
	was, err := s.enableWebhook(r, body.Endpoint)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"endpoint": body.Endpoint, "was_disabled": was})
}

func (s *Server) apiWebhookRedeliver(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Subscriber string `json:"subscriber"`
		From       string `json:"from"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		s.apiError(w, r, badParam("body", "want {\"subscriber\": ..., \"from\": \"120\"}: %v", err))
		return
	}
	seq, err := s.redeliver(r, body.Subscriber, body.From)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"subscriber": body.Subscriber, "from_change": seq})
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.webhooksView(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "webhooks", pageData{Title: "Webhooks", Nav: "webhooks", Data: v})
}

func (s *Server) webhookEnableForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.enableWebhook(r, r.PostFormValue("endpoint")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/webhooks?flash=webhook-enabled", http.StatusSeeOther)
}

func (s *Server) webhookRedeliverForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.redeliver(r, r.PostFormValue("subscriber"), r.PostFormValue("from")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/webhooks?flash=webhook-redelivered", http.StatusSeeOther)
}

// webhooksCard is the overview's webhooks card: endpoints a 410 or a
// long failure disabled, and subscribers failing now.
type webhooksCard struct {
	Disabled int `json:"disabled"`
	Failing  int `json:"failing"`
}

// webhooksSummary returns the overview's card, nil without webhooks.
func (s *Server) webhooksSummary(r *http.Request) *webhooksCard {
	if s.deps.Webhooks == nil {
		return nil
	}
	c := &webhooksCard{Disabled: len(s.deps.Webhooks.Disabled())}
	subs, err := s.deps.Webhooks.Subscribers(r.Context())
	if err != nil {
		s.log.Warn("webhook subscribers", "err", err)
	}
	for _, st := range subs {
		if st.Disabled == nil && st.Failures > 0 {
			c.Failing++
		}
	}
	return c
}
