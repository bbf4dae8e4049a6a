package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
)

func TestErrorStatus(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{badParam("limit", "no"), http.StatusBadRequest, "bad_request"},
		{fmt.Errorf("x: %w", inbox.ErrNotFound), http.StatusNotFound, "not_found"},
		{fmt.Errorf("x: %w", outbox.ErrState), http.StatusConflict, "wrong_state"},
		{&InsufficientError{SKU: "A", Location: "b", Requested: 2, Available: 1}, http.StatusConflict, "insufficient"},
		{&ledger.MovementError{Field: "quantity", Err: ledger.ErrInsufficient}, http.StatusConflict, "insufficient"},
		{&ledger.MovementError{Field: "sku", Err: ledger.ErrInvalidText}, http.StatusBadRequest, "bad_request"},
		{fmt.Errorf("k: %w", ErrKeyReused), http.StatusUnprocessableEntity, "idempotency_key_reused"},
		{fmt.Errorf("k: %w", ErrNoReservation), http.StatusNotFound, "not_found"},
		{ErrUnavailable, http.StatusNotImplemented, "not_implemented"},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge, "too_large"},
		{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout"},
		{errors.New("disk on fire"), http.StatusInternalServerError, "internal"},
	}
	for _, tt := range tests {
		if status, code := errorStatus(tt.err); status != tt.status || code != tt.code {
			t.Errorf("%v: %d %s, want %d %s", tt.err, status, code, tt.status, tt.code)
		}
	}
	var ie *InsufficientError
	if err := fmt.Errorf("reserve: %w", &InsufficientError{Available: 3}); !errors.Is(err, ErrInsufficient) || !errors.As(err, &ie) || ie.Available != 3 {
		t.Errorf("InsufficientError does not unwrap")
	}
	if err := badParam("cursor", "bad"); !errors.Is(err, ErrBadRequest) || err.Error() != "cursor: bad" {
		t.Errorf("RequestError: %v", err)
	}
}
