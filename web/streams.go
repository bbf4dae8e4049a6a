package web

import (
	"context"
	"net/http"
	"time"
)

// StreamStatus is one subscriber of the change stream (the NATS
// publisher, a webhook subscriber): how far its relay is, for
// GET /api/v1/streams, the overview page and the dockside_stream_*
// metrics.
type StreamStatus struct {
	// Subscriber is its name (its cursor's name).
	Subscriber string `json:"subscriber"`
	// Kind is "nats" or "webhook".
	Kind string `json:"kind"`
	// Running is true while its relay runs on this node (in a cluster:
	// on the leader only; the other nodes report the saved cursor).
	Running bool `json:"running"`
	// Elsewhere is true on a node of a cluster that does not relay: the
	// leader does; Cursor and Lag are the saved ones.
	Elsewhere bool `json:"relayed_elsewhere,omitempty"`
	// Disabled is set while it is disabled (a webhook subscriber after a
	// 410 or a long failure).
	Disabled bool `json:"disabled"`
	// Cursor is its saved cursor; Confirmed the change sequence up to
	// which it confirmed every event; Last the ledger's latest.
	Cursor    uint64 `json:"cursor"`
	Confirmed uint64 `json:"confirmed"`
	Last      uint64 `json:"last"`
	// Lag is how many postings it has not confirmed (Last − Confirmed).
	Lag uint64 `json:"lag"`
	// Delivered counts the events it confirmed since its relay started.
	Delivered uint64 `json:"delivered"`
	// Failures counts its failures in a row (0: the last attempt
	// succeeded); Failed its failures since its relay started.
	Failures int    `json:"failures"`
	Failed   uint64 `json:"failed"`
	// LastError is its last failure, at LastErrorAt; NextAttempt is when
	// a failed delivery is tried again.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// streamsView is GET /api/v1/streams.
type streamsView struct {
	Subscribers []StreamStatus `json:"subscribers"`
}

// streams returns the change stream subscribers' states, or nil when the
// server has none.
func (s *Server) streams(ctx context.Context) ([]StreamStatus, error) {
	if s.deps.Streams == nil {
		return nil, nil
	}
	return s.deps.Streams(ctx)
}

func (s *Server) apiStreams(w http.ResponseWriter, r *http.Request) {
	if s.deps.Streams == nil {
		s.apiError(w, r, ErrUnavailable)
		return
	}
	subs, err := s.streams(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if subs == nil {
		subs = []StreamStatus{}
	}
	writeJSON(w, http.StatusOK, streamsView{Subscribers: subs})
}
