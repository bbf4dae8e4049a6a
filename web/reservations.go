package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/ledger"
)

// maxKeyLen bounds an Idempotency-Key.
const maxKeyLen = 200

// reservationRequest is the body of POST /api/v1/reservations.
type reservationRequest struct {
	SKU      string  `json:"sku"`
	Location string  `json:"location"`
	Quantity int64   `json:"quantity"`
	Order    string  `json:"order"`
	Channel  string  `json:"channel"`
	Note     string  `json:"note"`
	ShipTo   *ShipTo `json:"ship_to"`
}

func checkKey(key string) error {
	if key == "" {
		return badParam("Idempotency-Key", "header required: a unique key per reservation, sent again when the request is retried")
	}
	if len(key) > maxKeyLen || strings.IndexFunc(key, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }) >= 0 {
		return badParam("Idempotency-Key", "1 to %d printable ASCII characters", maxKeyLen)
	}
	return nil
}

func (s *Server) parseReservation(r *http.Request) (Reservation, error) {
	key := r.Header.Get("Idempotency-Key")
	if err := checkKey(key); err != nil {
		return Reservation{}, err
	}
	var req reservationRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Reservation{}, err
		}
		return Reservation{}, badParam("body", "want a JSON object {sku, location, quantity, order?, channel?, note?, ship_to?}: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Reservation{}, badParam("body", "one JSON object only")
	}
	switch {
	case strings.TrimSpace(req.SKU) == "":
		return Reservation{}, badParam("body.sku", "required")
	case strings.TrimSpace(req.Location) == "":
		return Reservation{}, badParam("body.location", "required")
	case req.Quantity <= 0 || req.Quantity > ledger.MaxQuantity:
		return Reservation{}, badParam("body.quantity", "want a whole number from 1 to %d", int64(ledger.MaxQuantity))
	case len(req.SKU) > ledger.MaxTextLen || len(req.Location) > ledger.MaxTextLen || len(req.Order) > ledger.MaxTextLen ||
		len(req.Note) > ledger.MaxTextLen:
		return Reservation{}, badParam("body", "text fields are limited to %d bytes", ledger.MaxTextLen)
	}
	if req.Channel != "" {
		if _, err := s.partners().ByID(req.Channel); err != nil {
			return Reservation{}, badParam("body.channel", "no partner %q", req.Channel)
		}
	}
	if err := checkShipTo(req.ShipTo); err != nil {
		return Reservation{}, err
	}
	order := req.Order
	if order == "" {
		order = key
	}
	return Reservation{Key: key, SKU: req.SKU, Location: req.Location, Quantity: req.Quantity, Order: order,
		Channel: req.Channel, Note: req.Note, Requester: Who(r), ShipTo: req.ShipTo}, nil
}

// checkShipTo checks a ship-to against the X12 lengths of the N1, N3
// and N4 it becomes.
func checkShipTo(st *ShipTo) error {
	if st == nil {
		return nil
	}
	text := func(field, v string, lo, hi int, required bool) error {
		if v == "" && !required {
			return nil
		}
		if n := len(v); n < lo || n > hi || strings.TrimSpace(v) != v ||
			strings.IndexFunc(v, func(r rune) bool {
				return r > unicode.MaxASCII || !unicode.IsPrint(r) || strings.ContainsRune("~*^>:", r)
			}) >= 0 {
			return badParam("body.ship_to."+field, "want %d to %d printable ASCII characters, without ~ * ^ > :", lo, hi)
		}
		return nil
	}
	if len(st.Street) > 2 {
		return badParam("body.ship_to.street", "at most 2 lines")
	}
	for _, c := range []struct {
		field    string
		v        string
		lo, hi   int
		required bool
	}{{"name", st.Name, 1, 60, true}, {"city", st.City, 2, 30, false}, {"state", st.State, 2, 2, false},
		{"postal_code", st.PostalCode, 3, 15, false}, {"country", st.Country, 2, 3, false}} {
		if err := text(c.field, c.v, c.lo, c.hi, c.required); err != nil {
			return err
		}
	}
	for i, l := range st.Street {
		if err := text(fmt.Sprintf("street[%d]", i), l, 1, 55, true); err != nil {
			return err
		}
	}
	return nil
}

// apiReserve allocates stock when it is available to promise: 201 with
// the reservation, 200 when the key made it before (and it still holds),
// 409 with what is available when it is not enough, 409
// reservation_released when the key's reservation was released.
func (s *Server) apiReserve(w http.ResponseWriter, r *http.Request) {
	if s.deps.Reservations == nil {
		s.apiError(w, r, ErrUnavailable)
		return
	}
	res, err := s.parseReservation(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out, err := s.deps.Reservations.Reserve(r.Context(), res)
	if !out.Replayed {
		s.record(r.Context(), r, audit.Entry{Action: audit.ActionReserve, Target: "reservation " + res.Key,
			Detail: fmt.Sprintf("%d × %s at %s, order %s", res.Quantity, res.SKU, res.Location, orDash(res.Order))}, err)
	}
	if err != nil {
		if errors.Is(err, ErrInsufficient) {
			s.log.Info("reservation refused", "key", res.Key, "sku", res.SKU, "location", res.Location, "quantity", res.Quantity, "who", res.Requester)
		}
		s.apiError(w, r, err)
		return
	}
	status := http.StatusCreated
	if out.Replayed {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		s.log.Info("reservation", "key", res.Key, "sku", res.SKU, "location", res.Location, "quantity", res.Quantity,
			"order", out.Order, "seq", out.Seq, "who", res.Requester)
	}
	w.Header().Set("Location", "/api/v1/reservations/"+urlPathEscape(res.Key))
	writeJSON(w, status, out)
}

// apiRelease frees what a reservation allocated.
func (s *Server) apiRelease(w http.ResponseWriter, r *http.Request) {
	if s.deps.Reservations == nil {
		s.apiError(w, r, ErrUnavailable)
		return
	}
	key := r.PathValue("key")
	if err := checkKey(key); err != nil {
		s.apiError(w, r, &RequestError{Param: "key", Msg: err.(*RequestError).Msg})
		return
	}
	err := s.deps.Reservations.Release(r.Context(), key)
	s.record(r.Context(), r, audit.Entry{Action: audit.ActionRelease, Target: "reservation " + key}, err)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
