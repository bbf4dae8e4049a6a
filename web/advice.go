package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/mapping"
)

// maxPreviewX12 bounds the advice text the dashboard's preview shows.
const maxPreviewX12 = 256 << 10

// adviceResult is a partner's 846 inventory advice built now: previewed
// (recorded as not sent) or queued for the channel.
type adviceResult struct {
	Partner   string               `json:"partner"`
	Sent      bool                 `json:"sent"`
	Broadcast broadcast.Broadcast  `json:"broadcast"`
	Lines     []mapping.AdviceLine `json:"lines"`
	Problems  []mapping.Problem    `json:"problems,omitempty"`
	X12       string               `json:"x12"`
	Truncated bool                 `json:"x12_truncated,omitempty"`
	// JSON is the advice of a partner whose advice format is json.
	JSON json.RawMessage `json:"json,omitempty"`
}

// advise builds partner's advice now (delta: only what changed since the
// last accepted advice) and with send queues it; sending is recorded in
// the audit log.
func (s *Server) advise(r *http.Request, partner string, delta, send bool) (*adviceResult, error) {
	if s.deps.Advice == nil {
		return nil, ErrUnavailable
	}
	res, err := s.deps.Advice(r.Context(), partner, delta, send)
	if send {
		e := audit.Entry{Action: audit.ActionAdviceNow, Target: "partner " + partner}
		if res != nil {
			e.Detail = fmt.Sprintf("broadcast %d, %s, %d items, outbox %v", res.Broadcast.ID, res.Broadcast.Mode, res.Broadcast.Items, res.Broadcast.Outbox)
		}
		s.record(r.Context(), r, e, err)
	}
	if err != nil {
		return nil, err
	}
	out := &adviceResult{Partner: partner, Sent: send, Broadcast: res.Broadcast, Lines: res.Lines, Problems: res.Problems,
		X12: strings.ToValidUTF8(string(res.X12), "\uFFFD"), JSON: res.JSON}
	if out.Lines == nil {
		out.Lines = []mapping.AdviceLine{}
	}
	return out, nil
}

// apiAdvice builds a partner's 846 inventory advice now, as `dockside
// advice` does: recorded as not sent, or queued with send=true (and then
// recorded in the audit log).
func (s *Server) apiAdvice(w http.ResponseWriter, r *http.Request) {
	if s.deps.Advice == nil {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this server cannot build advice")
		return
	}
	q := r.URL.Query()
	flag := func(name string) (bool, error) {
		switch q.Get(name) {
		case "", "false":
			return false, nil
		case "true":
			return true, nil
		}
		return false, badParam(name, "want true or false")
	}
	delta, err := flag("delta")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	send, err := flag("send")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	res, err := s.advise(r, r.PathValue("id"), delta, send)
	switch {
	case errors.Is(err, broadcast.ErrNoAdvice), errors.Is(err, broadcast.ErrRunning):
		writeError(w, http.StatusConflict, "no_advice", err.Error())
		return
	case err != nil:
		s.apiError(w, r, err)
		return
	}
	s.log.Info("inventory advice built", "who", Who(r), "partner", res.Broadcast.Partner, "broadcast", res.Broadcast.ID, "send", send)
	writeJSON(w, http.StatusOK, res)
}

// adviceDelta reads the dashboard form's mode: "delta", or empty for the
// profile's.
func adviceDelta(r *http.Request) (bool, error) {
	switch r.FormValue("mode") {
	case "", "full":
		return false, nil
	case "delta":
		return true, nil
	}
	return false, badParam("mode", "want delta or nothing (the profile's mode)")
}

// advicePreviewForm shows the advice the channel would be told now.
func (s *Server) advicePreviewForm(w http.ResponseWriter, r *http.Request) {
	delta, err := adviceDelta(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	res, err := s.advise(r, r.PathValue("id"), delta, false)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(res.X12) > maxPreviewX12 {
		res.X12, res.Truncated = strings.ToValidUTF8(res.X12[:maxPreviewX12], ""), true
	}
	if len(res.JSON) > maxPreviewX12 { // shown, never sent, from here
		res.JSON, res.Truncated = res.JSON[:maxPreviewX12], true
	}
	s.render(w, r, http.StatusOK, "advice", pageData{Title: "Advice for " + res.Partner, Nav: "partners", Data: res})
}

// adviceSendForm sends the channel its advice now.
func (s *Server) adviceSendForm(w http.ResponseWriter, r *http.Request) {
	delta, err := adviceDelta(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := s.advise(r, id, delta, true); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/partners/"+urlPathEscape(id)+"?flash=advice-sent", http.StatusSeeOther)
}
