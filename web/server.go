package web

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/dockside-edi/dockside/partners"
)

// Server is the operator HTTP API, the dashboard, /metrics and the health
// checks, over the gateway's stores. Its methods are safe for concurrent
// use.
type Server struct {
	deps        Deps
	opts        Options
	log         *slog.Logger
	tokens      []tokenEntry
	sessionKey  []byte
	limits      *limiters
	eventLimits *limiters // per partner, for POST /api/v1/events
	metrics     *Metrics
	pages       *pages
	routes      []route
	handler     http.Handler
}

// New checks deps and opts and builds the server.
func New(deps Deps, opts Options) (*Server, error) {
	switch {
	case deps.Ledger == nil, deps.Inbox == nil, deps.Outbox == nil:
		return nil, fmt.Errorf("%w: Ledger, Inbox and Outbox are required", ErrConfig)
	case deps.Partners == nil:
		return nil, fmt.Errorf("%w: Partners is required", ErrConfig)
	case opts.SessionKey != nil && len(opts.SessionKey) < 32:
		return nil, fmt.Errorf("%w: SessionKey must hold at least 32 bytes", ErrConfig)
	}
	tokens, err := parseTokens(deps.Tokens)
	if err != nil {
		return nil, err
	}
	s := &Server{deps: deps, opts: opts.withDefaults(), tokens: tokens, log: deps.Logger}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.deps.Now == nil {
		s.deps.Now = time.Now
	}
	s.sessionKey = opts.SessionKey
	if s.sessionKey == nil {
		s.sessionKey = make([]byte, 32)
		if _, err := rand.Read(s.sessionKey); err != nil {
			return nil, err
		}
	}
	s.limits = newLimiters(s.opts.RateLimit, s.opts.RateBurst)
	s.eventLimits = newLimiters(s.opts.EventsRateLimit, s.opts.EventsRateBurst)
	s.metrics = newMetrics(s)
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	s.handler = s.buildMux()
	return s, nil
}

// Handler returns the server's handler: /api/v1/..., /metrics, /healthz,
// /readyz, the dashboard under / and its assets under /static/.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics returns the hooks the pipeline and the transports report to.
func (s *Server) Metrics() *Metrics { return s.metrics }

func (s *Server) now() time.Time { return s.deps.Now() }

// partners returns the profiles in use (an empty directory when there are
// none yet).
func (s *Server) partners() *partners.Directory {
	if d := s.deps.Partners(); d != nil {
		return d
	}
	return &partners.Directory{}
}
