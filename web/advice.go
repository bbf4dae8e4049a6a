package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/mapping"
)

// Advisor builds a channel's inventory advice now: the gateway's
// broadcast.Broadcaster.
type Advisor interface {
	Broadcast(ctx context.Context, partner string, opts broadcast.Options) (*broadcast.Result, error)
}

// maxPreviewX12 bounds the advice text a preview shows.
const maxPreviewX12 = 256 << 10

// adviceView is an advice built now: previewed (recorded as not sent) or
// queued for the channel.
type adviceResult struct {
	Partner   string               `json:"partner"`
	Sent      bool                 `json:"sent"`
	Broadcast broadcast.Broadcast  `json:"broadcast"`
	Lines     []mapping.AdviceLine `json:"lines"`
	Problems  []mapping.Problem    `json:"problems"`
	X12       string               `json:"x12,omitempty"`
	Truncated bool                 `json:"x12_truncated,omitempty"`
}

// advise builds partner's advice now (mode "", "full" or "delta"), and
// with send queues it; sending is recorded in the audit log.
func (s *Server) advise(r *http.Request, partner string, send bool, mode string) (*adviceResult, error) {
	if s.deps.Advice == nil {
		return nil, ErrUnavailable
	}
	if _, err := s.partners().ByID(partner); err != nil {
		return nil, err
	}
	opts := broadcast.Options{Send: send, Delta: mode == "delta", Full: mode == "full"}
	res, err := s.deps.Advice.Broadcast(r.Context(), partner, opts)
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
	out := &adviceResult{Partner: partner, Sent: send, Broadcast: res.Broadcast, Lines: res.Lines, Problems: res.Problems}
	if out.Lines == nil {
		out.Lines = []mapping.AdviceLine{}
	}
	if out.Problems == nil {
		out.Problems = []mapping.Problem{}
	}
	x := res.X12
	if len(x) > maxPreviewX12 {
		x, out.Truncated = x[:maxPreviewX12], true
	}
	out.X12 = strings.ToValidUTF8(string(x), "\uFFFD")
	return out, nil
}

func adviceMode(r *http.Request) (string, error) {
	mode := r.FormValue("mode")
	if mode != "" && mode != "full" && mode != "delta" {
		return "", badParam("mode", "want full or delta (empty: the profile's mode)")
	}
	return mode, nil
}

// apiAdvice answers POST /api/v1/partners/{id}/advice: the advice built
// now; with send=true it is queued for the channel (otherwise recorded
// as not sent: a preview).
func (s *Server) apiAdvice(w http.ResponseWriter, r *http.Request) {
	mode, err := adviceMode(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	send := false
	if v := r.URL.Query().Get("send"); v != "" {
		if send, err = strconv.ParseBool(v); err != nil {
			s.apiError(w, r, badParam("send", "want true or false"))
			return
		}
	}
	res, err := s.advise(r, r.PathValue("id"), send, mode)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := http.StatusOK
	if send {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
}

// advicePreviewForm shows the advice the channel would be told now.
func (s *Server) advicePreviewForm(w http.ResponseWriter, r *http.Request) {
	mode, err := adviceMode(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	res, err := s.advise(r, r.PathValue("id"), false, mode)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "advice", pageData{Title: "Advice for " + res.Partner, Nav: "partners", Data: res})
}

// adviceSendForm sends the channel its advice now.
func (s *Server) adviceSendForm(w http.ResponseWriter, r *http.Request) {
	mode, err := adviceMode(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := s.advise(r, id, true, mode); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/partners/"+urlPathEscape(id)+"?flash=advice-sent", http.StatusSeeOther)
}
