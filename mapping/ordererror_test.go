package mapping

import (
	"errors"
	"strings"
	"testing"
)

// TestOrderErrorBrief: the brief form says what was refused, why, and
// what set the order, without the order, partner and this document that
// its place already names; the full form keeps them all.
func TestOrderErrorBrief(t *testing.T) {
	prev := Origin{Document: "shopmart|2|2|1", Message: 3, Name: "cancel.edi"}
	tests := []struct {
		name      string
		e         *OrderError
		brief     string
		fullHolds []string
	}{
		{"unknown", &OrderError{Partner: "shopmart", Number: "SO-1", Action: OrderCancel, This: Origin{Document: "shopmart|1|1|1"},
			Err: ErrUnknownOrder, Msg: "no such order was received"},
			"cancel refused (order not open): no such order was received", []string{"order SO-1 of partner shopmart", "shopmart|1|1|1", "order not open"}},
		{"cancelled", &OrderError{Partner: "shopmart", Number: "SO-1", Action: OrderReplace, This: Origin{Document: "shopmart|4|4|1"},
			Prev: &prev, Err: ErrUnknownOrder, Msg: "the order was cancelled"},
			"replace refused (order not open): the order was cancelled; the order was set by message 3 (cancel.edi, document shopmart|2|2|1)", []string{"shopmart|4|4|1"}},
		{"no text", &OrderError{Number: "SO-1", Action: OrderNew, Err: ErrOrderConflict}, "new refused (" + ErrOrderConflict.Error() + ")", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Brief(); got != tt.brief {
				t.Errorf("Brief() = %q, want %q", got, tt.brief)
			}
			for _, w := range tt.fullHolds {
				if !strings.Contains(tt.e.Error(), w) {
					t.Errorf("Error() = %q lacks %q", tt.e.Error(), w)
				}
			}
			if !errors.Is(tt.e, tt.e.Err) {
				t.Errorf("does not wrap its sentinel")
			}
		})
	}
}
