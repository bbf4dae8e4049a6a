package web

import (
	"net/http"
	"slices"

	"github.com/dockside-edi/dockside/divergence"
)

// apiDivergence answers the divergence report: each SKU whose figure a
// partner holds (a 3PL's own count, a channel's belief) differs from
// ours, with since when; ?partner= and ?kind= (location, channel) filter.
func (s *Server) apiDivergence(w http.ResponseWriter, r *http.Request) {
	if s.deps.Divergence == nil {
		s.apiError(w, r, ErrUnavailable)
		return
	}
	rep, err := s.deps.Divergence(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	q := r.URL.Query()
	partner, kind := q.Get("partner"), divergence.Kind(q.Get("kind"))
	if kind != "" && kind != divergence.KindLocation && kind != divergence.KindChannel {
		s.apiError(w, r, badParam("kind", "want location or channel"))
		return
	}
	out := &divergence.Report{AsOf: rep.AsOf, Rows: slices.DeleteFunc(slices.Clone(rep.Rows), func(row divergence.Row) bool {
		return partner != "" && row.Partner != partner || kind != "" && row.Kind != kind
	})}
	writeJSON(w, http.StatusOK, out)
}

// divergenceCard is the overview's divergence card: how many SKUs
// diverge, and the oldest rows.
type divergenceCard struct {
	Count int              `json:"count"`
	Rows  []divergence.Row `json:"rows"` // the oldest first, at most 20
}

// divergenceSummary returns the overview's card, nil without a report.
func (s *Server) divergenceSummary(r *http.Request) *divergenceCard {
	if s.deps.Divergence == nil {
		return nil
	}
	rep, err := s.deps.Divergence(r.Context())
	if err != nil {
		s.log.Warn("divergence report", "err", err)
		return nil
	}
	rows := slices.Clone(rep.Rows)
	slices.SortStableFunc(rows, func(a, b divergence.Row) int { return a.Since.Compare(b.Since) })
	return &divergenceCard{Count: len(rows), Rows: rows[:min(len(rows), 20)]}
}
