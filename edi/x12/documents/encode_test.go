package documents

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// setText encodes doc alone and returns its segments from ST to SE, one
// per line, without terminators.
func setText(t *testing.T, d x12.Delimiters, version string, doc Document) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := x12.NewWriter(&buf, d)
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.BeginInterchange(x12.InterchangeHeader{SenderID: "A", ReceiverID: "B", Control: 1}))
	must(t, w.BeginGroup(x12.GroupHeader{FunctionalID: "XX", AppSender: "A", AppReceiver: "B", Control: 1, Version: version}))
	must(t, w.Flush())
	buf.Reset()
	if err := doc.Encode(w, "0042", version); err != nil {
		t.Fatal(err)
	}
	must(t, w.Flush())
	return strings.ReplaceAll(buf.String(), d.Segment+d.Suffix, "\n")
}

func TestEncodeText(t *testing.T) {
	inv := &Inventory846{
		Purpose: "00", ReportType: "DD", Reference: "NW-1", Date: "20261125",
		Dates:   []DateTime{{Qualifier: "405", Date: "20261125"}},
		Parties: []Party{{Entity: "WH", Name: "Reno DC", IDQualifier: "92", ID: "RNO1"}},
		Items: []Item846{{
			IDs:          []ProductID{{"SK", "W-100"}, {"UP", "012345678905"}},
			Descriptions: []Description{{Type: "F", Text: "Widget"}},
			Quantities: []Quantity846{
				{Qualifier: "17", Quantity: "25", Unit: "EA"},
				{Qualifier: "33", Quantity: "20", Unit: "CA", UnitDetail: []string{"12"}},
			},
		}},
		Totals: &Totals{Count: "1"},
	}
	order := &ShippingOrder940{
		Purpose: "N", DepositorOrder: "SO-1", PurchaseOrder: "PO-1",
		Carrier: &WarehouseCarrier{PaymentMethod: "PP", TransportMethod: "M", Routing: "Old Dominion", SCAC: "ODFL"},
		Lines: []Line940{
			{LX: "1", Quantity: "24", Unit: "EA", IDs: []ProductID{{"UP", "012345678905"}}},
			{LX: "1", Quantity: "6", Unit: "CA", CaseUPC: "10012345678912", IDs: []ProductID{{}, {"VN", "W200"}}, Extra: Extra{13: "20261201"}},
		},
		Totals: &OrderTotals{Quantity: "30"},
	}
	tests := []struct {
		name    string
		doc     Document
		version string
		d       x12.Delimiters
		want    string
	}{
		{"846 004010", inv, "004010", x12.DefaultDelimiters, `ST*846*0042
BIA*00*DD*NW-1*20261125
DTM*405*20261125
N1*WH*Reno DC*92*RNO1
LIN**SK*W-100*UP*012345678905
PID*F****Widget
QTY*17*25*EA
QTY*33*20*CA>12
CTT*1
SE*10*0042
`},
		{"846 005010 has ST03", &Inventory846{Purpose: "00", ReportType: "DD", Reference: "R", Date: "20261125", Items: []Item846{}}, "005010", x12.DefaultDelimiters, `ST*846*0042*005010
BIA*00*DD*R*20261125
SE*3*0042
`},
		{"940 two lines in one LX", order, "004010", x12.DefaultDelimiters, `ST*940*0042
W05*N*SO-1*PO-1
W66*PP*M***Old Dominion*****ODFL
LX*1
W01*24*EA**UP*012345678905
W01*6*CA*10012345678912***VN*W200******20261201
W76*30
SE*8*0042
`},
		{"other delimiters translate Extra and Other", &Generic{Set: "850", Segments: []Segment{{ID: "REF", Elements: []string{"ZZ", "A", "", "X>Y^Z"}}}},
			"005010", x12.Delimiters{Element: '|', Component: ':', Repetition: '!', Segment: "\n"}, `ST|850|0042|005010
REF|ZZ|A||X:Y!Z
SE|3|0042
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := setText(t, tt.d, tt.version, tt.doc); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestDecodeOtherDelimiters reads a set whose interchange uses ':' for
// components: Extra and Other come back with '>'.
func TestDecodeOtherDelimiters(t *testing.T) {
	in := "ISA|00|          |00|          |ZZ|A              |ZZ|B              |261125|0215|!|00501|000000001|0|P|:\n" +
		"GS|IB|A|B|20261125|0215|1|X|005010\nST|846|0001|005010\nBIA|00|DD|R|20261125\nREF|ZZ|1||A:B\n" +
		"LIN||SK|W1\nQTY|17|5|CA:12\nMEA|PD|WT|1|LB:1\nSE|7|0001\nGE|1|1\nIEA|1|000000001\n"
	sets, d := readSets(t, []byte(in))
	doc, err := Decode846(sets[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Refs[0].Extra[4]; got != "A>B" {
		t.Errorf("REF04 = %q, want A>B", got)
	}
	q := doc.Items[0].Quantities[0]
	if q.Unit != "CA" || len(q.UnitDetail) != 1 || q.UnitDetail[0] != "12" {
		t.Errorf("QTY03 = %q %q, want CA [12]", q.Unit, q.UnitDetail)
	}
	if got := doc.Items[0].Quantities[0].Other[0].Elements[3]; got != "LB>1" {
		t.Errorf("MEA04 = %q, want LB>1", got)
	}
	out := encodeSets(t, d, "005010", doc)
	if !bytes.Contains(out, []byte("REF|ZZ|1||A:B\n")) || !bytes.Contains(out, []byte("QTY|17|5|CA:12\n")) || !bytes.Contains(out, []byte("MEA|PD|WT|1|LB:1\n")) {
		t.Errorf("re-encoded with the interchange's delimiters:\n%s", out)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  Document
		err  error
	}{
		{"846 item without ids", &Inventory846{Items: []Item846{{Line: "1"}}}, ErrMissingElement},
		{"846 quantity without qualifier", &Inventory846{Items: []Item846{{IDs: []ProductID{{"SK", "A"}}, Quantities: []Quantity846{{Quantity: "1"}}}}}, ErrMissingElement},
		{"846 bad quantity", &Inventory846{Items: []Item846{{IDs: []ProductID{{"SK", "A"}}, Quantities: []Quantity846{{Qualifier: "17", Quantity: "1e3"}}}}}, ErrBadNumber},
		{"856 HL without id", &ShipNotice856{Hierarchy: []*HL{{Level: "S"}}}, ErrMissingElement},
		{"856 HL parent mismatch", &ShipNotice856{Hierarchy: []*HL{{ID: "1", Level: "S", Children: []*HL{{ID: "2", Parent: "7", Level: "O"}}}}}, ErrUnknownParent},
		{"856 root with a parent", &ShipNotice856{Hierarchy: []*HL{{ID: "1", Parent: "0", Level: "S"}}}, ErrUnknownParent},
		{"856 duplicate HL id", &ShipNotice856{Hierarchy: []*HL{{ID: "1", Level: "S"}, {ID: "1", Level: "S"}}}, ErrDuplicateID},
		{"940 without depositor order", &ShippingOrder940{Purpose: "N"}, ErrMissingElement},
		{"940 line without unit", &ShippingOrder940{DepositorOrder: "SO", Lines: []Line940{{Quantity: "1", CaseUPC: "1"}}}, ErrMissingElement},
		{"940 bad W76", &ShippingOrder940{DepositorOrder: "SO", Totals: &OrderTotals{Quantity: "x"}}, ErrBadNumber},
		{"element with a segment terminator", &Generic{Set: "850", Segments: []Segment{{ID: "BEG", Elements: []string{"a~b"}}}}, x12.ErrDelimiterInData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, _ := x12.NewWriter(&buf, x12.DefaultDelimiters)
			must(t, w.BeginInterchange(x12.InterchangeHeader{SenderID: "A", ReceiverID: "B", Control: 1}))
			must(t, w.BeginGroup(x12.GroupHeader{FunctionalID: "XX", AppSender: "A", AppReceiver: "B", Control: 1, Version: "004010"}))
			if err := tt.doc.Encode(w, "0001", "004010"); !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestDecimalInt64(t *testing.T) {
	tests := []struct {
		in   Decimal
		want int64
		err  error
	}{
		{"12", 12, nil}, {"12.0", 12, nil}, {"-3", -3, nil}, {"0", 0, nil}, {"-0", 0, nil}, {"007", 7, nil},
		{"12.", 12, nil}, {".0", 0, nil},
		{"9223372036854775807", 9223372036854775807, nil}, {"-9223372036854775808", -9223372036854775808, nil},
		{"9223372036854775808", 0, ErrNotWhole}, {"99999999999999999999", 0, ErrNotWhole},
		{"12.5", 0, ErrNotWhole}, {".5", 0, ErrNotWhole},
		{"", 0, ErrBadNumber}, {"-", 0, ErrBadNumber}, {".", 0, ErrBadNumber}, {"1e3", 0, ErrBadNumber},
		{"+1", 0, ErrBadNumber}, {"1.2.3", 0, ErrBadNumber}, {" 1", 0, ErrBadNumber}, {"1,5", 0, ErrBadNumber},
	}
	for _, tt := range tests {
		got, err := tt.in.Int64()
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Decimal(%q).Int64() = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
		if valid := tt.in.Valid(); valid != !errors.Is(tt.err, ErrBadNumber) {
			t.Errorf("Decimal(%q).Valid() = %v", tt.in, valid)
		}
	}
}
