package web

import (
	"net/http"
)

// apiOrder answers an order's state as it stands: open or cancelled, its
// lines, the document that set it.
func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) {
	if s.deps.Order == nil {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this server keeps no order book")
		return
	}
	partner, number := r.PathValue("partner"), r.PathValue("number")
	for _, err := range []error{pathText("partner", partner), pathText("number", number)} {
		if err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	st, err := s.deps.Order(partner, number)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if st == nil {
		writeError(w, http.StatusNotFound, "not_found", "no order "+number+" of partner "+partner+" was received")
		return
	}
	writeJSON(w, http.StatusOK, st)
}
