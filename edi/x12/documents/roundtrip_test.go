package documents

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// TestRoundTripGenerated is a property test: for random documents, decode
// (encode (doc)) equals doc (positions aside) and encoding the decoded
// document gives the same bytes.
func TestRoundTripGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gens := []struct {
		name string
		gen  func(*gen) Document
	}{
		{"846", func(g *gen) Document { return g.inventory() }},
		{"856", func(g *gen) Document { return g.shipNotice() }},
		{"940", func(g *gen) Document { return g.shippingOrder() }},
		{"generic", func(g *gen) Document { return g.generic() }},
	}
	n := 120
	if testing.Short() {
		n = 20
	}
	for _, tg := range gens {
		t.Run(tg.name, func(t *testing.T) {
			for i := range n {
				g := &gen{r: r}
				doc := tg.gen(g)
				for _, version := range []string{"004010", "005010"} {
					checkRoundTrip(t, i, doc, version)
				}
			}
		})
	}
}

func checkRoundTrip(t *testing.T, i int, doc Document, version string) {
	t.Helper()
	out := encodeSets(t, x12.DefaultDelimiters, version, doc)
	sets, _ := readSets(t, out)
	if len(sets) != 1 || len(sets[0].Errors) > 0 {
		t.Fatalf("doc %d: encoded %d sets, errors %v:\n%s", i, len(sets), sets[0].Errors, out)
	}
	wantImpl := ""
	if version == "005010" {
		wantImpl = version
	}
	if sets[0].ImplRef != wantImpl {
		t.Errorf("doc %d: ST03 = %q, want %q", i, sets[0].ImplRef, wantImpl)
	}
	back, err := Decode(sets[0])
	if err != nil {
		t.Fatalf("doc %d: %v\n%s", i, err, out)
	}
	if again := encodeSets(t, x12.DefaultDelimiters, version, back); !bytes.Equal(again, out) {
		t.Fatalf("doc %d: encode(decode(encode(doc))) differs:\n%s\n%s", i, out, again)
	}
	clearPos(back)
	if !reflect.DeepEqual(back, doc) {
		t.Fatalf("doc %d: decode(encode(doc)) != doc\n got %+v\nwant %+v\n%s", i, back, doc, out)
	}
}

// gen makes random documents in the form the decoder gives: empty lists
// are nil, Extra only at positions without a field, segments in Other with
// ids the loop does not model.
type gen struct{ r *rand.Rand }

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -./#,&é"

func (g *gen) n(k int) int     { return g.r.IntN(k) }
func (g *gen) maybe() bool     { return g.r.IntN(3) == 0 }
func (g *gen) some(k int) int  { return g.r.IntN(k + 1) }
func (g *gen) word() string    { return g.text(1 + g.n(12)) }
func (g *gen) opt() string     { return g.pick("", g.word()) }
func (g *gen) code() string    { return g.pick("EA", "CA", "17", "33", "92", "ZZ", "SK", "UP", "1", "A1") }
func (g *gen) optCode() string { return g.pick("", g.code()) }
func (g *gen) pick(s ...string) string {
	return s[g.n(len(s))]
}

func (g *gen) text(n int) string {
	runes := []rune(alphabet)
	b := make([]rune, n)
	for i := range b {
		b[i] = runes[g.n(len(runes))]
	}
	return string(b)
}

func (g *gen) decimal() Decimal {
	switch g.n(4) {
	case 0:
		return Decimal(g.pick("0", "12.0", "-3", ".5", "0.25", "-0.5", "1200"))
	default:
		return Decimal(strconv.Itoa(g.n(100000) - 100))
	}
}

func (g *gen) optDecimal() Decimal {
	if g.maybe() {
		return ""
	}
	return g.decimal()
}

func (g *gen) integer() string {
	if g.maybe() {
		return ""
	}
	return strconv.Itoa(g.n(1000))
}

// extra returns up to two elements at positions in (0, max] outside named.
func (g *gen) extra(named positions, max int) Extra {
	var x Extra
	for range g.some(2) {
		p := 1 + g.n(max)
		if named&(1<<p) != 0 {
			continue
		}
		if x == nil {
			x = Extra{}
		}
		x[p] = g.pick(g.word(), g.word()+">"+g.word())
	}
	return x
}

func (g *gen) others(ids ...string) []Segment {
	var out []Segment
	for range g.some(2) {
		s := Segment{ID: ids[g.n(len(ids))]}
		for range g.some(4) {
			s.Elements = append(s.Elements, g.opt())
		}
		s.Elements = append(s.Elements, g.word()) // no trailing empty element
		out = append(out, s)
	}
	return out
}

func (g *gen) dates() []DateTime {
	var out []DateTime
	for range g.some(2) {
		out = append(out, DateTime{
			Qualifier: g.pick("405", "011", "017", "018"), Date: g.pick("", "20261125"), Time: g.pick("", "1200"),
			TimeCode: g.pick("", "LT"), PeriodFormat: g.pick("", "RD8"), Period: g.pick("", "20261101-20261130"),
			Extra: g.extra(dtmNamed, 8),
		})
	}
	return out
}

func (g *gen) refs() []Reference {
	var out []Reference
	for range g.some(2) {
		out = append(out, Reference{Qualifier: g.pick("BM", "IA", "PO"), ID: g.opt(), Description: g.opt(), Extra: g.extra(refNamed, 4)})
	}
	return out
}

func (g *gen) n9s() []Reference {
	var out []Reference
	for range g.some(2) {
		out = append(out, Reference{Qualifier: g.pick("PO", "LT", "PC"), ID: g.opt(), Description: g.opt(),
			Date: g.pick("", "20261125"), Time: g.pick("", "0930"), Extra: g.extra(n9Named, 7)})
	}
	return out
}

func (g *gen) descriptions() []Description {
	var out []Description
	for range g.some(2) {
		out = append(out, Description{Type: g.pick("F", "S", "X"), Characteristic: g.optCode(), Agency: g.optCode(),
			Code: g.opt(), Text: g.opt(), Extra: g.extra(pidNamed, 9)})
	}
	return out
}

func (g *gen) textLines() []TextLine {
	var out []TextLine
	for range g.some(2) {
		out = append(out, TextLine{Text: g.opt(), Text2: g.opt()})
	}
	return out
}

func (g *gen) party(entity string) Party {
	p := Party{Entity: entity, Name: g.opt(), IDQualifier: g.optCode(), ID: g.opt(), Extra: g.extra(n1Named, 6),
		Names: g.textLines(), Street: g.textLines(), Refs: g.refs(), Other: g.others("PER")}
	if g.maybe() {
		p.Place = &Place{City: g.opt(), State: g.pick("", "OH"), Postal: g.pick("", "43215"), Country: g.pick("", "US"),
			LocationQualifier: g.optCode(), Location: g.opt(), Extra: g.extra(n4Named, 7)}
	}
	return p
}

func (g *gen) parties() []Party {
	var out []Party
	for range g.some(2) {
		out = append(out, g.party(g.pick("ST", "SF", "WH", "DE", "BY")))
	}
	return out
}

func (g *gen) ids(pairs int) []ProductID {
	var out []ProductID
	k := 1 + g.n(pairs)
	for i := range k {
		p := ProductID{Qualifier: g.pick("SK", "UP", "VN", "VP", "BP"), ID: g.word()}
		if i < k-1 && g.n(5) == 0 {
			p = ProductID{} // an empty pair in the middle keeps its place
		}
		out = append(out, p)
	}
	return out
}

func (g *gen) totals() *Totals {
	if g.maybe() {
		return nil
	}
	return &Totals{Count: strconv.Itoa(g.n(50)), Hash: g.optDecimal(), Extra: g.extra(cttNamed, 4)}
}

func (g *gen) quantities() []Quantity846 {
	var out []Quantity846
	for range g.some(3) {
		q := Quantity846{Qualifier: g.pick("17", "20", "33", "29"), Quantity: g.optDecimal(), Unit: g.pick("", "EA", "CA"),
			Extra: g.extra(qtyNamed, 5), Dates: g.dates(), Other: g.others("UIT", "LDT")}
		if g.n(5) == 0 {
			q.UnitDetail = []string{g.pick("", "2"), g.word()}
		}
		out = append(out, q)
	}
	return out
}

func (g *gen) inventory() *Inventory846 {
	doc := &Inventory846{Purpose: g.pick("00", "05"), ReportType: g.pick("DD", "SI", "MM"), Reference: g.word(),
		Date: "20261125", Time: g.pick("", "0200"), Extra: g.extra(biaNamed, 7), Refs: g.refs(), Dates: g.dates(),
		Other: g.others("CUR", "MEA"), Parties: g.parties(), Items: []Item846{}, Totals: g.totals(), After: g.others("ZZ1")}
	if doc.Totals == nil {
		doc.After = nil
	}
	for range g.some(4) {
		it := Item846{Line: g.opt(), IDs: g.ids(4), Descriptions: g.descriptions(), Dates: g.dates(), Refs: g.refs(),
			Other: g.others("MEA", "CTP"), Quantities: g.quantities()}
		for range g.some(2) {
			l := LocationQuantities{Unit: g.pick("EA", "CA"), IDQualifier: g.optCode(), Extra: g.extra(sdqNamed, 25)}
			for range g.some(3) {
				l.Quantities = append(l.Quantities, LocationQuantity{Location: g.word(), Quantity: g.decimal()})
			}
			if g.maybe() {
				l.Location = g.word()
			}
			it.SDQ = append(it.SDQ, l)
		}
		for range g.some(2) {
			it.Locations = append(it.Locations, Location846{Party: g.party("WH"), Quantities: g.quantities()})
		}
		doc.Items = append(doc.Items, it)
	}
	return doc
}

func (g *gen) shipNotice() *ShipNotice856 {
	sn := &ShipNotice856{Purpose: "00", ShipmentID: g.word(), Date: "20261124", Time: g.pick("", "1530"),
		Structure: g.pick("", "0001", "0002", "0004"), Extra: g.extra(bsnNamed, 7), Dates: g.dates(),
		Other: g.others("CUR"), Hierarchy: []*HL{}, Totals: g.totals()}
	if sn.Totals != nil {
		sn.After = g.others("ZZ1")
	}
	next := 0
	var node func(parent *HL, depth int) *HL
	node = func(parent *HL, depth int) *HL {
		next++
		hl := &HL{ID: strconv.Itoa(next), Level: g.pick("S", "O", "P", "I", "T"), ChildCode: g.pick("", "0", "1"),
			Extra: g.extra(hlNamed, 6), Descriptions: g.descriptions(), Refs: g.refs(), Dates: g.dates(),
			Other: g.others("FOB", "MEA"), Parties: g.parties()}
		if parent != nil {
			hl.Parent = parent.ID
		}
		if g.maybe() {
			hl.Item = &LineItem{Line: g.opt(), IDs: g.ids(3)}
		}
		if g.maybe() {
			hl.Shipped = &ShipQuantity{Line: g.opt(), Quantity: g.decimal(), Unit: g.pick("EA", "CA"),
				ShippedToDate: g.optDecimal(), Ordered: g.optDecimal(), OrderedUnit: g.optCode(), Extra: g.extra(sn1Named, 8)}
		}
		if g.maybe() {
			hl.Order = &OrderRef{PurchaseOrder: g.word(), Release: g.opt(), ChangeSequence: g.opt(), Date: g.pick("", "20261110"), Extra: g.extra(prfNamed, 7)}
		}
		if g.maybe() {
			hl.Pack = &PackInfo{Pack: g.integer(), Size: g.optDecimal(), Unit: g.optCode(), Packaging: g.pick("", "CTN25"),
				WeightQualifier: g.pick("", "G"), Weight: g.optDecimal(), WeightUnit: g.pick("", "LB"), Extra: g.extra(po4Named, 14)}
		}
		for range g.some(1) {
			hl.Lading = append(hl.Lading, Lading{Packaging: g.pick("", "CTN25"), Quantity: g.integer(), CommodityQualifier: g.optCode(),
				Commodity: g.opt(), Description: g.opt(), WeightQualifier: g.pick("", "G"), Weight: g.optDecimal(),
				WeightUnit: g.pick("", "LB"), Volume: g.optDecimal(), VolumeUnit: g.pick("", "CF"), Extra: g.extra(td1Named, 11)})
		}
		for range g.some(1) {
			hl.Carriers = append(hl.Carriers, Carrier{Sequence: g.pick("", "B"), IDQualifier: g.pick("", "2"), ID: g.pick("", "ODFL"),
				TransportMethod: g.pick("", "M"), Routing: g.opt(), Status: g.optCode(), Extra: g.extra(td5Named, 12)})
		}
		for range g.some(1) {
			hl.Equipment = append(hl.Equipment, Equipment{Code: g.pick("", "TL"), Initial: g.opt(), Number: g.opt(), Seal: g.opt(), Extra: g.extra(td3Named, 10)})
		}
		for range g.some(2) {
			hl.Marks = append(hl.Marks, Mark{Qualifier: "GM", Number: g.word(), NumberEnd: g.opt(), Extra: g.extra(manNamed, 6)})
		}
		if depth < 3 {
			for range g.some(2) {
				hl.Children = append(hl.Children, node(hl, depth+1))
			}
		}
		return hl
	}
	for range g.some(2) {
		sn.Hierarchy = append(sn.Hierarchy, node(nil, 0))
	}
	return sn
}

func (g *gen) orderDates() []OrderDate {
	var out []OrderDate
	for range g.some(2) {
		out = append(out, OrderDate{Qualifier: g.pick("10", "02"), Date: g.pick("", "20261126"), TimeQualifier: g.optCode(),
			Time: g.pick("", "0800"), TimeCode: g.pick("", "LT"), Extra: g.extra(g62Named, 7)})
	}
	return out
}

func (g *gen) notes() []Note {
	var out []Note
	for range g.some(2) {
		out = append(out, Note{Code: g.pick("", "WHI"), Text: g.word()})
	}
	return out
}

func (g *gen) shippingOrder() *ShippingOrder940 {
	o := &ShippingOrder940{Purpose: g.pick("N", "R", "F"), DepositorOrder: g.word(), PurchaseOrder: g.opt(),
		LinkSequence: g.opt(), MasterReference: g.opt(), Extra: g.extra(w05Named, 7), Parties: g.parties(),
		Refs: g.n9s(), Dates: g.orderDates(), Notes: g.notes(), Other: g.others("G61", "W09"), Lines: []Line940{}}
	if g.maybe() || (len(o.Parties) > 0 && len(o.Other) > 0) {
		// With no segment between them, Other would read back as the last
		// party's (the bytes are the same; the value is not).
		o.Carrier = &WarehouseCarrier{PaymentMethod: g.pick("PP", "CC"), TransportMethod: g.pick("M", "U"),
			PalletExchange: g.optCode(), UnitLoad: g.optCode(), Routing: g.opt(), SCAC: g.pick("", "ODFL"), Extra: g.extra(w66Named, 11)}
	}
	lx := 0
	withLX := g.n(2) == 0
	for range g.some(4) {
		l := Line940{Quantity: g.decimal(), Unit: g.pick("EA", "CA"), CaseUPC: g.opt(), Extra: g.extra(w01Named, 17),
			Descriptions: nil, Refs: g.n9s(), Notes: g.notes(), Dates: g.orderDates(), Other: g.others("W20", "AMT")}
		if l.CaseUPC == "" || g.maybe() {
			l.IDs = g.ids(3)
		}
		for range g.some(2) {
			l.Descriptions = append(l.Descriptions, g.word())
		}
		if withLX {
			if len(o.Lines) == 0 || g.n(3) > 0 {
				lx++
				l.LoopSegments = g.others("MAN", "SDQ")
			}
			l.LX = strconv.Itoa(lx)
		}
		o.Lines = append(o.Lines, l)
	}
	if g.maybe() {
		o.Totals = &OrderTotals{Quantity: g.decimal(), Weight: g.optDecimal(), WeightUnit: g.pick("", "LB"),
			Volume: g.optDecimal(), VolumeUnit: g.pick("", "CF"), Extra: g.extra(w76Named, 7)}
		o.After = g.others("ZZ1")
	}
	return o
}

func (g *gen) generic() *Generic {
	doc := &Generic{Set: g.pick("832", "997", "810"), Control: "0001", Segments: []Segment{}}
	doc.Segments = append(doc.Segments, g.others("BEG", "PO1", "CTT", "REF")...)
	return doc
}
