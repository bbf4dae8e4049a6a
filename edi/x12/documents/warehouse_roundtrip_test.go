package documents

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestRoundTripWarehouse is TestRoundTripGenerated for the warehouse
// advices: for random documents, decode(encode(doc)) equals doc and
// encoding again gives the same bytes, in 004010 and 005010.
func TestRoundTripWarehouse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	gens := []struct {
		name string
		gen  func(*gen) Document
	}{
		{"943", func(g *gen) Document { return g.transfer943() }},
		{"944", func(g *gen) Document { return g.receipt944() }},
		{"945", func(g *gen) Document { return g.advice945() }},
		{"947", func(g *gen) Document { return g.adjustment947() }},
	}
	n := 120
	if testing.Short() {
		n = 20
	}
	for _, tg := range gens {
		t.Run(tg.name, func(t *testing.T) {
			for i := range n {
				doc := tg.gen(&gen{r: r})
				for _, version := range []string{"004010", "005010"} {
					checkRoundTrip(t, i, doc, version)
				}
			}
		})
	}
}

// heading returns a warehouse heading. Its Other segments come only when
// something closes the last N1 loop before them (else they read back as
// the party's); carrier says a W27 will.
func (g *gen) heading(carrier bool) WarehouseHeading {
	h := WarehouseHeading{Parties: g.parties(), Refs: g.n9s(), Dates: g.orderDates(), Notes: g.notes()}
	if len(h.Parties) == 0 || carrier || len(h.Refs)+len(h.Dates)+len(h.Notes) > 0 {
		h.Other = g.others("G61", "W08")
	}
	return h
}

func (g *gen) lineDetail() LineDetail {
	var l LineDetail
	for range g.some(2) {
		l.Descriptions = append(l.Descriptions, g.word())
	}
	l.Refs, l.Dates, l.Other = g.n9s(), g.orderDates(), g.others("W20", "QTY")
	return l
}

func (g *gen) shipment() WarehouseShipment {
	return WarehouseShipment{ReportingCode: g.pick("F", "N", "X"), DepositorOrder: g.opt(), Date: g.pick("", "20261125"),
		ShipmentID: g.opt(), AgentShipmentID: g.opt(), PurchaseOrder: g.opt(), Extra: g.extra(w06Named, 12)}
}

// item returns a case UPC and ids of which at least one is set.
func (g *gen) item() (string, []ProductID) {
	upc := g.opt()
	var ids []ProductID
	if upc == "" || g.maybe() {
		ids = g.ids(3)
	}
	return upc, ids
}

func (g *gen) shipmentTotals() *ShipmentTotals {
	if !g.maybe() {
		return nil
	}
	return &ShipmentTotals{Units: g.decimal(), Weight: g.optDecimal(), WeightUnit: g.pick("", "LB"), Volume: g.optDecimal(),
		VolumeUnit: g.pick("", "CF"), Lading: g.optDecimal(), LadingUnit: g.pick("", "PLT")}
}

func (g *gen) transfer943() *TransferShipment943 {
	carrier := g.maybe()
	d := &TransferShipment943{Shipment: g.shipment(), WarehouseHeading: g.heading(carrier), Lines: []Line943{}}
	if carrier {
		d.Carrier = &CarrierDetail{TransportMethod: g.pick("M", "LT"), SCAC: g.pick("", "ABFS"), Routing: g.opt(),
			PaymentMethod: g.pick("", "PP"), Extra: g.extra(w27Named, 10)}
	}
	for range g.some(4) {
		upc, ids := g.item()
		d.Lines = append(d.Lines, Line943{Quantity: g.decimal(), Unit: g.pick("EA", "CA"), CaseUPC: upc, IDs: ids,
			Extra: g.extra(w04Named, 15), LineDetail: g.lineDetail()})
	}
	if d.Totals = g.shipmentTotals(); d.Totals != nil {
		d.After = g.others("ZZ1")
	}
	return d
}

func (g *gen) receipt944() *ReceiptAdvice944 {
	d := &ReceiptAdvice944{ReportingCode: g.pick("F", "X"), ReceivedDate: "20261124", ReceiptNumber: g.word(),
		DepositorOrder: g.opt(), ShipmentID: g.opt(), Extra: g.extra(w17Named, 9), WarehouseHeading: g.heading(false), Lines: []Line944{}}
	withLX, lx := g.n(2) == 0, 0
	for range g.some(4) {
		upc, ids := g.item()
		l := Line944{Quantity: g.decimal(), Unit: g.pick("EA", "CA"), CaseUPC: upc, IDs: ids, Lot: g.opt(),
			Extra: g.extra(w07Named, 11), LineDetail: g.lineDetail()}
		l.Dates = nil // the W07 loop has no G62 in the standard
		for range g.some(2) {
			l.Exceptions = append(l.Exceptions, ReceiptException{Quantity: g.decimal(), Unit: "EA", Condition: g.pick("01", "07"),
				Lot: g.opt(), Extra: g.extra(w13Named, 6), Refs: g.n9s(), Other: g.others("ZZ2")})
		}
		if withLX {
			if len(d.Lines) == 0 || g.n(3) > 0 {
				lx++
				l.LoopSegments = g.others("MAN", "PAL")
			}
			l.LX = strconv.Itoa(lx)
		}
		d.Lines = append(d.Lines, l)
	}
	if g.maybe() {
		d.Totals = &ReceiptTotals{Quantity: g.decimal(), Extra: g.extra(w14Named, 5)}
		d.After = g.others("ZZ1")
	}
	return d
}

func (g *gen) advice945() *ShippingAdvice945 {
	carrier := g.maybe()
	d := &ShippingAdvice945{Shipment: g.shipment(), WarehouseHeading: g.heading(carrier), Lines: []Line945{}}
	if carrier {
		d.Carrier = &CarrierDetail{TransportMethod: "M", SCAC: g.pick("", "UPSN")}
	}
	withLX, lx := g.n(4) > 0, 0
	for range g.some(4) {
		upc, ids := g.item()
		l := Line945{Status: g.pick("CC", "CP", "BP", "IC"), Ordered: g.optDecimal(), Shipped: g.optDecimal(),
			Difference: g.optDecimal(), Unit: g.pick("", "EA"), CaseUPC: upc, IDs: ids, Lot: g.opt(),
			Extra: g.extra(w12Named, 22), LineDetail: g.lineDetail()}
		if withLX {
			if len(d.Lines) == 0 || g.n(3) > 0 {
				lx++
				l.LoopSegments = g.others("MAN", "PAL")
			}
			l.LX = strconv.Itoa(lx)
		}
		d.Lines = append(d.Lines, l)
	}
	if d.Totals = g.shipmentTotals(); d.Totals != nil {
		d.After = g.others("ZZ1")
	}
	return d
}

func (g *gen) adjustment947() *AdjustmentAdvice947 {
	d := &AdjustmentAdvice947{Date: "20261126", WarehouseAdjustment: g.opt(), DepositorAdjustment: g.opt(),
		Purpose: g.pick("", "00"), TransactionType: g.optCode(), Action: g.pick("", "2"), WarehouseHeading: g.heading(false),
		Lines: []Line947{}}
	for range g.some(4) {
		upc, ids := g.item()
		d.Lines = append(d.Lines, Line947{Reason: g.pick("AA", "05", "56", "01"), Quantity: g.decimal(), Unit: g.pick("EA", "CA"),
			CaseUPC: upc, IDs: ids, Lot: g.opt(), TransactionType: g.optCode(), Extra: g.extra(w19Named, 18), LineDetail: g.lineDetail()})
	}
	return d
}
