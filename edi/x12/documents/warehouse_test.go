package documents

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// TestWarehouseDecodeErrors: each kind of content problem in the warehouse
// sets and the 850, with its place.
func TestWarehouseDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		set     string
		body    string
		err     error
		segment string
		pos     int // position in the set, ST = 1
		element int
	}{
		{"943 without W06", "943", "W27*M*ABFS\nW04*1*EA**VN*A", ErrMissingSegment, "W06", 2, 0},
		{"943 W06 without reporting code", "943", "W06**ORDER1\nW04*1*EA**VN*A", ErrMissingElement, "W06", 2, 1},
		{"943 W04 bad quantity", "943", "W06*F*ORDER1\nW27*M*ABFS\nW04*1x*EA**VN*A", ErrBadNumber, "W04", 4, 1},
		{"943 W04 without item", "943", "W06*F*ORDER1\nW04*1*EA", ErrMissingElement, "W04", 3, 3},
		{"943 W03 bad weight", "943", "W06*F*ORDER1\nW04*1*EA**VN*A\nW03*1*heavy*LB", ErrBadNumber, "W03", 4, 2},
		{"944 without W17", "944", "N1*WH*X\nW07*1*EA**VN*A", ErrMissingSegment, "W17", 2, 0},
		{"944 W17 without receipt number", "944", "W17*F*20261124\nW07*1*EA**VN*A", ErrMissingElement, "W17", 2, 3},
		{"944 W07 without unit", "944", "W17*F*20261124*R1\nW07*1", ErrMissingElement, "W07", 3, 2},
		{"944 W07 bad quantity", "944", "W17*F*20261124*R1\nLX*1\nW07*one*EA**VN*A", ErrBadNumber, "W07", 4, 1},
		{"944 W13 before any W07", "944", "W17*F*20261124*R1\nW13*1*EA*01\nW07*1*EA**VN*A", ErrMisplaced, "W13", 3, 0},
		{"944 W13 between LX and W07", "944", "W17*F*20261124*R1\nLX*1\nW13*1*EA*01\nW07*1*EA**VN*A", ErrMisplaced, "W13", 4, 0},
		{"944 W13 without condition", "944", "W17*F*20261124*R1\nW07*2*EA**VN*A\nW13*1*EA", ErrMissingElement, "W13", 4, 3},
		{"944 LX without W07", "944", "W17*F*20261124*R1\nLX*1\nLX*2\nW07*1*EA**VN*A", ErrMissingSegment, "W07", 3, 0},
		{"944 W14 bad total", "944", "W17*F*20261124*R1\nW07*1*EA**VN*A\nW14*x", ErrBadNumber, "W14", 4, 1},
		{"945 without W06", "945", "LX*1\nW12*CC*1*1**EA**VN*A", ErrMissingSegment, "W06", 2, 0},
		{"945 W12 without status", "945", "W06*F*ORDER1\nLX*1\nW12**1*1**EA**VN*A", ErrMissingElement, "W12", 4, 1},
		{"945 W12 bad units shipped", "945", "W06*F*ORDER1\nLX*1\nW12*CC*1*1.2.3**EA**VN*A", ErrBadNumber, "W12", 4, 3},
		{"945 W12 without item", "945", "W06*F*ORDER1\nLX*1\nW12*CC*1*1**EA", ErrMissingElement, "W12", 4, 6},
		{"945 LX without W12", "945", "W06*F*ORDER1\nLX*1\nW03*0", ErrMissingSegment, "W12", 3, 0},
		{"945 G69 in the heading", "945", "W06*F*ORDER1\nG69*X\nLX*1\nW12*CC*1*1**EA**VN*A", ErrMisplaced, "G69", 3, 0},
		{"947 without W15", "947", "N1*WH*X\nW19*AA*1*EA**VN*A", ErrMissingSegment, "W15", 2, 0},
		{"947 W19 without reason", "947", "W15*20261126*A1\nN1*WH*X\nW19**1*EA**VN*A", ErrMissingElement, "W19", 4, 1},
		{"947 W19 bad quantity", "947", "W15*20261126*A1\nN1*WH*X\nW19*AA*+3*EA**VN*A", ErrBadNumber, "W19", 4, 2},
		{"947 W19 without item", "947", "W15*20261126*A1\nN1*WH*X\nW19*AA*3*EA", ErrMissingElement, "W19", 4, 4},
		{"850 without BEG", "850", "PO1*1*1*EA", ErrMissingSegment, "BEG", 2, 0},
		{"850 BEG without PO number", "850", "BEG*00*SA**20261120\nPO1*1*1*EA", ErrMissingElement, "BEG", 2, 3},
		{"850 PO1 bad price", "850", "BEG*00*SA*PO1**20261120\nPO1*1*1*EA*cheap", ErrBadNumber, "PO1", 3, 4},
		{"850 SDQ bad quantity", "850", "BEG*00*SA*PO1**20261120\nPO1*1*1*EA\nSDQ*EA*92*S1*x", ErrBadNumber, "SDQ", 4, 4},
		{"850 CTT bad count", "850", "BEG*00*SA*PO1**20261120\nPO1*1*1*EA\nCTT*one", ErrBadNumber, "CTT", 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(oneSet(t, tt.set, tt.body))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %T is not a *DecodeError", err)
			}
			if de.Segment != tt.segment || de.Position != tt.pos || de.Element != tt.element || de.SetID != tt.set {
				t.Errorf("place = %s %s pos %d element %d, want %s %s pos %d element %d",
					de.SetID, de.Segment, de.Position, de.Element, tt.set, tt.segment, tt.pos, tt.element)
			}
			if msg := de.Error(); !strings.Contains(msg, "segment "+strconv.Itoa(tt.pos)+" of the set") {
				t.Errorf("message %q does not name the segment", msg)
			}
		})
	}
}

// TestWarehouseTypedFields reads the samples and checks the fields the
// mapping uses.
func TestWarehouseTypedFields(t *testing.T) {
	for _, v := range []string{"4010", "5010"} {
		t.Run(v, func(t *testing.T) {
			sets, _ := readFile(t, "testdata/944.Receipt."+v+".edi")
			ra, err := Decode944(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			wantLX := map[string][2]string{"4010": {"", ""}, "5010": {"1", "2"}}[v]
			if ra.DepositorOrder != "ORDER943" || ra.ShipmentID != "SHIP77" || len(ra.Lines) != 2 ||
				ra.Lines[0].LX != wantLX[0] || ra.Lines[1].LX != wantLX[1] {
				t.Fatalf("944 %+v", ra)
			}
			l := ra.Lines[0]
			if l.Quantity != "118" || l.ID("VN") != "WIDGET-1" || l.Lot != "LOT42" || l.LineNumber() != "1" ||
				len(l.Exceptions) != 1 || l.Exceptions[0].Condition != ConditionDamaged || l.Exceptions[0].Quantity != "2" {
				t.Errorf("944 line %+v", l)
			}
			if ra.Totals == nil || ra.Totals.Quantity != "158" {
				t.Errorf("944 totals %+v", ra.Totals)
			}

			sets, _ = readFile(t, "testdata/945.Shipment."+v+".edi")
			sa, err := Decode945(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			if sa.Shipment.DepositorOrder != "ORDER1" || sa.Shipment.ShipmentID != "SHIP-1" || sa.Shipment.PurchaseOrder != "PO1" ||
				sa.Carrier == nil || sa.Carrier.SCAC != "UPSN" || len(sa.Lines) != 3 || sa.Totals.Units != "17" {
				t.Fatalf("945 %+v", sa)
			}
			got := make([]string, 0, 3)
			for _, l := range sa.Lines {
				got = append(got, l.LX+" "+l.Status+" "+string(l.Ordered)+"/"+string(l.Shipped)+" "+l.ID("VN")+" "+l.LineNumber())
			}
			want := []string{"1 CC 10/10 WIDGET-1 1", "1 CP 5/3 GADGET-2 2", "2 BP 8/4 THING-3 3"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("945 lines %q, want %q", got, want)
			}
			if sa.Lines[2].Lot != "LOT9" || sa.Lines[2].CaseUPC != "012345678905" {
				t.Errorf("945 line 3 %+v", sa.Lines[2])
			}

			sets, _ = readFile(t, "testdata/947.Adjustment."+v+".edi")
			aa, err := Decode947(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, l := range aa.Lines {
				got = append(got, l.Reason+" "+string(l.Quantity)+" "+l.ID("VN")+" "+l.Lot+" "+l.Effective())
			}
			want = []string{"AU 3 WIDGET-1  ", "05 2 GADGET-2 LOT42 ", "56 10 THING-3  20261126", "07 -4 WIDGET-1  "}
			if aa.Date != "20261126" || aa.WarehouseAdjustment != "ADJ-77" || !reflect.DeepEqual(got, want) {
				t.Errorf("947 %s %s lines %q, want %q", aa.Date, aa.WarehouseAdjustment, got, want)
			}

			sets, _ = readFile(t, "testdata/943.Transfer."+v+".edi")
			ts, err := Decode943(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			if ts.Shipment.DepositorOrder != "ORDER943" || ts.ExpectedDate() != "20261124" || len(ts.Lines) != 2 ||
				ts.Lines[1].Quantity != "48" || ts.Lines[1].Unit != "CA" || ts.Lines[0].Description() != "BLUE WIDGET" ||
				FindParty(ts.Parties, "ST").ID != "DC-EAST" {
				t.Errorf("943 %+v", ts)
			}

			sets, _ = readFile(t, "testdata/850.Order."+v+".edi")
			po, err := Decode850(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			if po.Purpose != POOriginal || po.Number != "PO-5001" || len(po.Lines) != 2 || FindRef(po.Refs, "DP") == nil ||
				FindDate(po.Dates, "002") == nil || FindParty(po.Parties, "ST").ID != "0017" {
				t.Fatalf("850 %+v", po)
			}
			l1, l2 := po.Lines[0], po.Lines[1]
			if l1.LineID != "1" || l1.Quantity != "12" || l1.UnitPrice != "4.25" || l1.ID("UP") != "012345678905" || l1.Description() != "WIDGET BLUE" {
				t.Errorf("850 line 1 %+v", l1)
			}
			if len(l2.Destinations) != 1 || len(l2.Destinations[0].Quantities) != 2 || l2.Destinations[0].Quantities[1].Location != "0018" {
				t.Errorf("850 line 2 %+v", l2)
			}
			if po.Totals == nil || po.Totals.Count != "2" || po.Totals.Hash != "18" {
				t.Errorf("850 totals %+v", po.Totals)
			}
		})
	}
}

// TestPurchaseOrder850Order: heading and line segments kept in Other come
// back at their place among the typed ones.
func TestPurchaseOrder850Order(t *testing.T) {
	body := strings.Join([]string{
		"BEG*00*SA*PO-1**20261120", "CUR*BY*USD", "REF*DP*042", "PER*BD*JOE", "SAC*A*C310***100", "CUR*BY*USD",
		"ITD*01*3*2", "DTM*002*20261201", "TD5**2*UPSN", "N9*ZZ*NOTE", "DTM*097*20261120", "MSG*HELLO",
		"N1*ST*STORE*92*1", "N3*1 MAIN", "PER*IC*ANN",
		"PO1*1*2*EA*1**VN*A", "LIN**VN*A", "PID*F****A THING", "PO4*6", "REF*IA*9", "SDQ*EA*92*1*2", "DTM*002*20261201",
		"N1*ST*STORE*92*1", "CTT*1", "AMT*TT*2"}, "\n")
	tx := oneSet(t, "850", body)
	doc, err := Decode850(tx)
	if err != nil {
		t.Fatal(err)
	}
	out := encodeSets(t, x12.DefaultDelimiters, "004010", doc)
	again, _ := readSets(t, out)
	if got, want := elements(again[0]), elements(tx); !reflect.DeepEqual(got, want) {
		t.Errorf("order changed:\n got %q\nwant %q", got, want)
	}
	if len(doc.Dates) != 1 || len(doc.Refs) != 1 {
		t.Errorf("the N9 loop's DTM or a REF went astray: dates %+v refs %+v", doc.Dates, doc.Refs)
	}
}
