package documents

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// deep856 is the body of an 856 (between ST and SE) whose items nest
// levels deep under one shipment and one order: each item is the child of
// the one before. The shipment carries the ship-to, the order the PO, and
// a pack right under the order carries a mark.
func deep856(levels int) string {
	var b strings.Builder
	b.WriteString("BSN*00*S1*20261124*1200*0001\nDTM*011*20261124\nHL*1**S\nN1*ST*Dallas*92*DAL1\nHL*2*1*O\nPRF*PO-1\nHL*3*2*P\nMAN*GM*SSCC1\n")
	for i := 4; i < levels+4; i++ {
		fmt.Fprintf(&b, "HL*%d*%d*I\nLIN**UP*%012d\nSN1**1*EA\n", i, i-1, i)
	}
	return b.String()
}

// TestDecode856Depth: an HL one level past the limit is refused with its
// place; at the limit the notice decodes.
func TestDecode856Depth(t *testing.T) {
	tx := oneSet(t, "856", deep856(7)) // shipment, order, pack, 7 items: 10 levels
	tests := []struct {
		limit int
		ok    bool
	}{{10, true}, {11, true}, {9, false}, {3, false}}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.limit), func(t *testing.T) {
			sn, err := Decode856Depth(tx, tt.limit)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(sn.Lines()); n != 7 {
					t.Errorf("%d lines, want 7", n)
				}
				return
			}
			if !errors.Is(err, ErrTooDeep) {
				t.Fatalf("err = %v, want ErrTooDeep", err)
			}
			var de *DecodeError
			var depth *DepthError
			if !errors.As(err, &de) || !errors.As(err, &depth) {
				t.Fatalf("err %T does not carry a DecodeError and a DepthError", err)
			}
			// HL n is at level n here.
			wantHL := strconv.Itoa(tt.limit + 1)
			if depth.HL != wantHL || depth.Limit != tt.limit || de.Segment != "HL" || de.Line == 0 {
				t.Errorf("error %v: HL %s limit %d segment %s line %d, want HL %s limit %d", err, depth.HL, depth.Limit, de.Segment, de.Line, wantHL, tt.limit)
			}
			if want := fmt.Sprintf("over the limit of %d levels", tt.limit); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "HL "+wantHL) {
				t.Errorf("message %q does not say which HL and which limit", err)
			}
		})
	}
	// The default limit applies to Decode, Decode856 and a zero Pool.
	deep := oneSet(t, "856", deep856(DefaultMaxHLDepth))
	if _, err := Decode(deep); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Decode: err = %v, want ErrTooDeep", err)
	}
	var p Pool
	if _, err := p.Decode(deep); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Pool.Decode: err = %v, want ErrTooDeep", err)
	}
	p.MaxHLDepth = DefaultMaxHLDepth + 3
	if _, err := p.Decode(deep); err != nil {
		t.Errorf("Pool.Decode with MaxHLDepth %d: %v", p.MaxHLDepth, err)
	}
}

// TestLinesDeepTree: a notice 100,000 levels deep gives every item its
// order's PO, its shipment's ship-to and the mark of the pack above, and
// Walk sees every HL with its full ancestry (the walks are iterative).
func TestLinesDeepTree(t *testing.T) {
	const levels = 100_000
	tx := oneSet(t, "856", deep856(levels))
	sn, err := Decode856Depth(tx, levels+3)
	if err != nil {
		t.Fatal(err)
	}
	lines := sn.Lines()
	if len(lines) != levels {
		t.Fatalf("%d lines, want %d", len(lines), levels)
	}
	for _, i := range []int{0, levels / 2, levels - 1} {
		l := lines[i]
		if l.HL != strconv.Itoa(i+4) || l.PurchaseOrder != "PO-1" || l.ShipTo == nil || l.ShipTo.ID != "DAL1" ||
			l.ShipDate != "20261124" || strings.Join(l.Marks, ",") != "SSCC1" || l.Quantity != "1" {
			t.Errorf("line %d: %+v", i, l)
		}
	}
	deepest := 0
	sn.Walk(func(hl *HL, up []*HL) bool {
		deepest = max(deepest, len(up))
		if len(up) > 0 && up[len(up)-1].ID != hl.Parent {
			t.Fatalf("HL %s: last ancestor %s, want its parent %s", hl.ID, up[len(up)-1].ID, hl.Parent)
		}
		return true
	})
	if deepest != levels+2 || sn.Count() != levels+3 {
		t.Errorf("deepest ancestry %d, count %d", deepest, sn.Count())
	}
}

// TestLinesNestedItems: the packs below an item are its marks down to the
// next item, whose packs are its own; marks above come nearest first.
func TestLinesNestedItems(t *testing.T) {
	pack := func(id, mark string, children ...*HL) *HL {
		return &HL{ID: id, Level: LevelPack, Marks: []Mark{{Qualifier: "GM", Number: mark}}, Children: children}
	}
	item := func(id string, children ...*HL) *HL {
		return &HL{ID: id, Level: LevelItem, Children: children}
	}
	sn := &ShipNotice856{Hierarchy: []*HL{{ID: "1", Level: LevelShipment, Children: []*HL{
		pack("2", "TOP", pack("3", "INNER",
			item("4", pack("5", "A"), item("6", pack("7", "B", pack("8", "C")))),
		)),
	}}}}
	got := summarize(sn.Lines())
	want := map[string]string{"4": "INNER,TOP,A", "6": "INNER,TOP,B,C"}
	if len(got) != 2 {
		t.Fatalf("lines %+v", got)
	}
	for _, l := range got {
		if l.Marks != want[l.HL] {
			t.Errorf("HL %s marks %q, want %q", l.HL, l.Marks, want[l.HL])
		}
	}
}

// BenchmarkLinesDeep measures Lines on a notice of nested items: linear,
// so the time per HL stays flat as the depth grows.
func BenchmarkLinesDeep(b *testing.B) {
	for _, levels := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(levels), func(b *testing.B) {
			tx := oneSet(b, "856", deep856(levels))
			sn, err := Decode856Depth(tx, levels+3)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if n := len(sn.Lines()); n != levels {
					b.Fatal(n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(levels), "ns/HL")
		})
	}
}
