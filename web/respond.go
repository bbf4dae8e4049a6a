package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe logs the request (never its credentials), counts it and turns a
// panic into a 500.
func (s *Server) observe(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		slot := &logSlot{}
		r = r.WithContext(context.WithValue(r.Context(), logSlotKey{}, slot))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "route", route, "panic", v)
				if rec.status == 0 {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
			s.metrics.httpLatency.WithLabelValues(route).Observe(time.Since(start).Seconds())
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelWarn
			case r.Method == http.MethodGet && quietRoute(route):
				level = slog.LevelDebug
			}
			s.log.Log(r.Context(), level, "http", "method", r.Method, "route", route, "path", r.URL.Path,
				"status", status, "bytes", rec.bytes, "ms", time.Since(start).Milliseconds(),
				"who", slot.who, "remote", clientAddr(r))
		}()
		h.ServeHTTP(rec, r)
	})
}

// logSlot carries the principal's name from the guard back to the access
// log.
type logSlot struct{ who string }

type logSlotKey struct{}

func noteWho(r *http.Request, name string) {
	if slot, ok := r.Context().Value(logSlotKey{}).(*logSlot); ok {
		slot.who = name
	}
}

func quietRoute(route string) bool {
	return strings.HasSuffix(route, "/metrics") || strings.HasSuffix(route, "/healthz") ||
		strings.HasSuffix(route, "/readyz") || strings.Contains(route, "/static/")
}

// clientAddr is the client's IP address (without the port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func urlPathEscape(s string) string { return url.PathEscape(s) }

// apiErrorBody is the JSON of every API error.
type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
	// Requested and Available come with code insufficient (409).
	Requested *int64 `json:"requested,omitempty"`
	Available *int64 `json:"available,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiErrorBody{Error: apiErrorDetail{Code: code, Message: msg}})
}

// errorStatus maps an error to its HTTP status and code.
func errorStatus(err error) (int, string) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, ErrBadRequest), errors.Is(err, webhooks.ErrPosition):
		return http.StatusBadRequest, "bad_request"
	case errors.Is(err, webhooks.ErrUnknown):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, inbox.ErrNotFound), errors.Is(err, outbox.ErrNotFound), errors.Is(err, ErrNoReservation),
		errors.Is(err, partners.ErrUnknownPartner), errors.Is(err, errNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, inbox.ErrState), errors.Is(err, outbox.ErrState):
		return http.StatusConflict, "wrong_state"
	case errors.Is(err, webhooks.ErrNotRelaying):
		return http.StatusConflict, "not_relaying"
	case errors.Is(err, broadcast.ErrNoAdvice):
		return http.StatusConflict, "not_a_channel"
	case errors.Is(err, broadcast.ErrRunning):
		return http.StatusConflict, "busy"
	case errors.Is(err, ErrInsufficient), errors.Is(err, ledger.ErrInsufficient):
		return http.StatusConflict, "insufficient"
	case errors.Is(err, ErrKeyReleased):
		return http.StatusConflict, "reservation_released"
	case errors.Is(err, ErrKeyReused):
		return http.StatusUnprocessableEntity, "idempotency_key_reused"
	case errors.Is(err, ErrUnavailable):
		return http.StatusNotImplemented, "not_implemented"
	case errors.Is(err, ledger.ErrUnknownCursor):
		return http.StatusBadRequest, "bad_request"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "timeout"
	default:
		var me *ledger.MovementError
		if errors.As(err, &me) {
			return http.StatusBadRequest, "bad_request"
		}
		return http.StatusInternalServerError, "internal"
	}
}

// apiError answers err as JSON; internal errors are logged and not shown.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	body := apiErrorBody{Error: apiErrorDetail{Code: code, Message: err.Error()}}
	var re *RequestError
	if errors.As(err, &re) {
		body.Error.Param = re.Param
	}
	var ie *InsufficientError
	if errors.As(err, &ie) {
		body.Error.Requested, body.Error.Available = &ie.Requested, &ie.Available
	}
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
		body.Error.Message = "internal error (logged)"
	}
	writeJSON(w, status, body)
}
