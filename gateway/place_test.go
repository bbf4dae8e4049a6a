package gateway

import (
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// TestEnvelopePlace: an envelope problem's place names the segment and
// element when there is one, and ends cleanly when there is none (a
// truncated file: "cut.edi: line 8", not "cut.edi: line 8, ").
func TestEnvelopePlace(t *testing.T) {
	for _, tt := range []struct {
		e    x12.EnvelopeError
		want string
	}{
		{x12.EnvelopeError{Segment: "IEA", Element: 2, Pos: x12.Position{Line: 30}}, "f.edi: line 30, IEA02"},
		{x12.EnvelopeError{Segment: "GE", Pos: x12.Position{Line: 29}}, "f.edi: line 29, GE"},
		{x12.EnvelopeError{Code: "023", Pos: x12.Position{Line: 8}}, "f.edi: line 8"},
	} {
		if got := envelopePlace("f.edi", tt.e); got != tt.want {
			t.Errorf("envelopePlace(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}
