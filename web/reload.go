package web

import (
	"net/http"
)

// reloadResult is the answer to a reload: how many partner profiles are
// in use now.
type reloadResult struct {
	Partners int `json:"partners"`
}

// apiReload reloads the partner profiles (as SIGHUP does) and records it
// in the audit log. Profiles that do not load are answered 422 with the
// problems; the old ones stay.
func (s *Server) apiReload(w http.ResponseWriter, r *http.Request) {
	if s.deps.Reload == nil {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this server cannot reload its partner profiles")
		return
	}
	n, err := s.reload(r)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_profiles", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, reloadResult{Partners: n})
}
