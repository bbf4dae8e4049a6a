package web

import (
	"errors"
	"net/http"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/mapping"
)

// adviceResult is a partner's 846 inventory advice built now.
type adviceResult struct {
	Broadcast broadcast.Broadcast `json:"broadcast"`
	Problems  []mapping.Problem   `json:"problems,omitempty"`
	X12       string              `json:"x12"`
}

// apiAdvice builds a partner's 846 inventory advice now, as `dockside
// advice` does: recorded as not sent, or queued with send=true.
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
	res, err := s.deps.Advice(r.Context(), r.PathValue("id"), delta, send)
	switch {
	case errors.Is(err, broadcast.ErrNoAdvice), errors.Is(err, broadcast.ErrRunning):
		writeError(w, http.StatusConflict, "no_advice", err.Error())
		return
	case err != nil:
		s.apiError(w, r, err)
		return
	}
	s.log.Info("inventory advice built", "who", Who(r), "partner", res.Broadcast.Partner, "broadcast", res.Broadcast.ID, "send", send)
	writeJSON(w, http.StatusOK, adviceResult{Broadcast: res.Broadcast, Problems: res.Problems, X12: string(res.X12)})
}
