package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/dockside-edi/dockside/audit"
)

// record writes an operator action to the audit log (when there is one)
// and to the log. A failure to record is logged, not returned: the action
// has happened.
func (s *Server) record(ctx context.Context, r *http.Request, e audit.Entry, actionErr error) {
	if e.Who == "" {
		e.Who = orUnknown(Who(r))
	}
	if r != nil {
		e.Remote = clientAddr(r)
	}
	if actionErr != nil {
		e.Error = actionErr.Error()
	}
	s.log.Info("operator action", "action", e.Action, "target", e.Target, "who", e.Who, "detail", e.Detail, "err", e.Error)
	if s.deps.Audit == nil {
		return
	}
	if _, err := s.deps.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("recording an operator action in the audit log", "action", e.Action, "err", err)
	}
}

// auditQuery reads the audit log's filters.
func auditQuery(r *http.Request) (audit.Filter, error) {
	v := r.URL.Query()
	f := audit.Filter{Action: v.Get("action"), Who: v.Get("who"), Target: v.Get("target")}
	var err error
	if f.Limit, err = pageLimit(r, 100); err != nil {
		return f, err
	}
	if f.Before, err = uintParam(r, "before"); err != nil {
		return f, err
	}
	return f, nil
}

type auditPage struct {
	Entries    []audit.Entry `json:"entries"`
	NextBefore uint64        `json:"next_before,omitempty"`
}

func (s *Server) auditEntries(r *http.Request) (*auditPage, error) {
	f, err := auditQuery(r)
	if err != nil {
		return nil, err
	}
	page := &auditPage{Entries: []audit.Entry{}}
	if s.deps.Audit == nil {
		return page, nil
	}
	page.Entries, page.NextBefore, err = s.deps.Audit.List(r.Context(), f)
	return page, err
}

// apiAudit answers the audit log, newest first.
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	page, err := s.auditEntries(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

type auditData struct {
	Query   url.Values
	Page    *auditPage
	Actions []string
	Enabled bool
}

func (s *Server) auditPageView(w http.ResponseWriter, r *http.Request) {
	page, err := s.auditEntries(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := auditData{Query: r.URL.Query(), Page: page, Enabled: s.deps.Audit != nil,
		Actions: []string{audit.ActionReplay, audit.ActionRetry, audit.ActionReserve, audit.ActionRelease, audit.ActionReload, audit.ActionAdviceNow}}
	s.render(w, r, http.StatusOK, "audit", pageData{Title: "Audit log", Nav: "audit", Data: d})
}

// reload loads the partner profiles again and records it.
func (s *Server) reload(r *http.Request) (int, error) {
	if s.deps.Reload == nil {
		return 0, ErrUnavailable
	}
	n, err := s.deps.Reload(r.Context())
	e := audit.Entry{Action: audit.ActionReload, Target: "partner profiles"}
	if err == nil {
		e.Detail = fmt.Sprintf("%d partners", n)
	}
	s.record(r.Context(), r, e, err)
	return n, err
}

// reloadForm is the partners page's Reload button.
func (s *Server) reloadForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.reload(r); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/partners?flash=reloaded", http.StatusSeeOther)
}
