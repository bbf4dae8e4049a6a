package divergence

import (
	"testing"
	"time"
)

// FuzzDecodeReported: stored figures never crash the decoder, and what
// it decodes encodes back to figures that decode the same.
func FuzzDecodeReported(f *testing.F) {
	f.Add(encodeReported(map[string]Reported{"A": {SKU: "A", Quantity: 5, At: time.Unix(1, 0)}, "B-2": {SKU: "B-2", Quantity: -3}}))
	f.Add([]byte{0x05, 'A'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		figs, err := decodeReported("p", "l", b)
		if err != nil {
			return
		}
		again, err := decodeReported("p", "l", encodeReported(figs))
		if err != nil || len(again) != len(figs) {
			t.Fatalf("round trip: %v, %d of %d figures", err, len(again), len(figs))
		}
		for sku, r := range figs {
			if a := again[sku]; a.Quantity != r.Quantity || !a.At.Equal(r.At) {
				t.Fatalf("%q: %+v then %+v", sku, r, a)
			}
		}
	})
}
