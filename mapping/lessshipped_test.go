package mapping

import (
	"fmt"
	"testing"

	"github.com/dockside-edi/dockside/ledger"
)

// TestLessShipped: a replace allocates what is still open per position,
// across the lines at it; releases are untouched; an allocation down to
// nothing is dropped.
func TestLessShipped(t *testing.T) {
	alloc := func(sku string, q int64) ledger.Movement {
		return ledger.Movement{SKU: sku, Location: "W", Kind: ledger.KindAllocate, Quantity: q}
	}
	rel := ledger.Movement{SKU: "A", Location: "W", Kind: ledger.KindRelease, Quantity: ledger.MaxQuantity}
	tests := []struct {
		name    string
		shipped map[string]int64
		in      []ledger.Movement
		want    string
	}{
		{"nothing shipped", nil, []ledger.Movement{rel, alloc("A", 5)}, "[release A 9223372036854775 allocate A 5]"},
		{"part shipped", map[string]int64{"A": 2}, []ledger.Movement{rel, alloc("A", 5), alloc("B", 1)}, "[release A 9223372036854775 allocate A 3 allocate B 1]"},
		{"over two lines", map[string]int64{"A": 6}, []ledger.Movement{alloc("A", 5), alloc("A", 4)}, "[allocate A 3]"},
		{"all shipped", map[string]int64{"A": 9}, []ledger.Movement{alloc("A", 5)}, "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{Movements: tc.in}
			r.LessShipped(func(sku, loc string) int64 { return tc.shipped[sku] })
			got := "["
			for i, m := range r.Movements {
				if i > 0 {
					got += " "
				}
				q := m.Quantity
				if q == ledger.MaxQuantity {
					q = 9223372036854775
				}
				got += fmt.Sprintf("%s %s %d", m.Kind, m.SKU, q)
			}
			if got += "]"; got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
