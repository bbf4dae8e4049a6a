package mapping

import (
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// WarehouseShipment is what a warehouse partner's 945 confirms: the
// order it shipped (the depositor order number of our 940, W06-02), the
// shipment (W06-04) and, per W12, the item and quantity shipped and the
// line's status. Its movements depend on the order as it stands (which
// allocation, which lines were confirmed before): the caller settles it
// against the order (the gateway through orders.Tx.Ship) and hands what
// is new to Result.SettleShipment, which makes the movements.
type WarehouseShipment struct {
	// Warehouse is the partner that sent the 945.
	Warehouse string
	// Order is W06-02, our 940's W05-02 (the order number the warehouse
	// knows the order by).
	Order string
	// Shipment is W06-04, the shipment id (a bill of lading, the
	// warehouse's order number): one 940 may get a 945 per shipment.
	Shipment string
	// Location is our ship-from location the 945 names (its N1*SF, or
	// the N1 loop the profile names), through the profile's warehouses
	// table or else the partner's fulfils.locations; empty when it names
	// none (the location its 940 was sent for is then used).
	// LocationPos is that N1's segment number.
	Location    string
	LocationPos int
	// Effective is when the stock left: W06-03 (the actual ship date)
	// with effective source document (the default), else when the 945
	// was received.
	Effective time.Time
	// Lines are the W12 lines, in order.
	Lines []ShippedLine

	ref ledger.Reference // the movements' reference, but the line and order
}

// ShippedLine is one W12 of a 945.
type ShippedLine struct {
	// Pos is the W12's segment number in the set (ST = 1).
	Pos int
	// Line is the 940 line the W12 confirms (its loop's N9*LI, our W01
	// number); 0 when it has none (the line is found by SKU).
	Line int
	// SKU is our SKU for the line's item (W12-07/08 pairs, W12-06 as a UP
	// id), through the profile's items table.
	SKU string
	// Quantity is W12-03, units shipped, in base units (0 when empty: an
	// item cancelled).
	Quantity int64
	// Status is W12-01 (CC, CP, BP, PR, IC...).
	Status string
}

// ShippedPosting is a 945 line settled against its order: what it posts.
type ShippedPosting struct {
	// Index is the line's index in WarehouseShipment.Lines.
	Index int
	// Line is the 940 line (W01 number) the W12 confirms.
	Line int
	// Release is what the line's closing status (CC, CP, IC...) frees of
	// the order's allocation besides what shipped; 0: nothing.
	Release int64
}

// ShippingAdvice945 maps a 945: it reads the order, the shipment, the
// ship-from location and each W12 line (item, quantity shipped, status)
// into the result's Shipment. It posts nothing by itself: the result has
// no movements until it is settled against the order (SettleShipment).
// A line whose item, unit or quantity cannot be read is a problem with
// its place; a 945 without W06-02 or W06-04 is refused.
func (m *Mapper) ShippingAdvice945(doc *documents.ShippingAdvice945, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12945, src)
	if err != nil {
		return nil, err
	}
	w06 := &doc.Shipment
	s := &WarehouseShipment{Warehouse: src.Partner, Order: w06.DepositorOrder, Shipment: w06.ShipmentID,
		Effective: mp.documentTime(w06.Date), ref: mp.reference("945", 0, "")}
	mp.res.Lines = len(doc.Lines)
	if s.Order == "" {
		mp.problem(segAt(2, "W06"), "W0602", "", "no depositor order number: the 945 names no 940 of ours")
	}
	if s.Shipment == "" {
		mp.problem(segAt(2, "W06"), "W0604", "", "no shipment id: a 945 is told from another of the same order by it")
	}
	if len(mp.res.Problems) > 0 {
		return mp.refuse()
	}
	if !mp.shipFrom(doc.Parties, s) {
		return mp.finish()
	}
	s.Lines = make([]ShippedLine, 0, len(doc.Lines))
	for i := range doc.Lines {
		if l, ok := mp.line945(&doc.Lines[i]); ok {
			s.Lines = append(s.Lines, l)
		}
	}
	mp.res.Shipment = s
	return mp.finish()
}

// shipFrom finds the ship-from location the 945 names, if any.
func (mp *mapping) shipFrom(parties []documents.Party, s *WarehouseShipment) bool {
	loc := mp.doc.Mapping.Location
	if loc.Source == partners.LocationFixed {
		ours, ok := mp.location(loc.ID, at("profile"))
		s.Location = ours
		return ok
	}
	p := findParty(parties, loc.Qualifier, loc.IDQualifier)
	if p == nil {
		return true // the location the 940 was sent for
	}
	place := segAt(p.Pos, "N1")
	s.LocationPos = p.Pos
	if mp.doc.Mapping.Warehouses == "" && mp.p.Fulfils != nil {
		ours, ok := mp.p.Fulfils.ShipFrom(p.ID)
		if !ok {
			mp.problem(place, "N104", p.ID, "partner %s fulfils none of our locations under this code (fulfils.locations)", mp.p.ID)
			return false
		}
		s.Location = ours
		return true
	}
	ours, ok := mp.location(p.ID, place)
	s.Location = ours
	return ok
}

// line945 reads one W12.
func (mp *mapping) line945(l *documents.Line945) (ShippedLine, bool) {
	place := segAt(l.Pos, "W12")
	out := ShippedLine{Pos: l.Pos, Status: l.Status}
	if n := l.LineNumber(); n != "" {
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || v < 1 {
			mp.problem(place, "N9 LI", n, "not a line number of our 940 (1, 2, ...)")
			return out, false
		}
		out.Line = v
	}
	sku, ok := mp.itemSKU(l.IDs, l.CaseUPC, place)
	if !ok {
		return out, false
	}
	out.SKU = sku
	if l.Shipped == "" {
		return out, true
	}
	n, ok := mp.quantity(l.Shipped, l.Unit, sku, place)
	if !ok {
		return out, false
	}
	if n < 0 {
		mp.problem(place, "W1203", string(l.Shipped), "a quantity shipped cannot be negative")
		return out, false
	}
	out.Quantity = n
	return out, true
}

// ShipmentKey returns the source-key prefix of a 945 line's movements:
// partner, W06-02, W06-04 and our 940 line number, not the control
// numbers, so that the same shipment re-sent under new ones posts
// nothing again. The ledger holds a line's posting when it holds a
// source key starting with ShipmentKey + "|".
func (s *WarehouseShipment) ShipmentKey(line int) string {
	return "945|" + s.Warehouse + "|" + s.Order + "|" + s.Shipment + "|" + strconv.Itoa(line)
}

// SettleShipment makes the movements of a 945 settled against its order:
// order is the order's number in the ledger (its allocations are kept
// under it and its partner: see SetOrderPartner), location the ship-from location, lines what is new (a line
// confirmed before is not among them). Each line takes what it shipped
// off on hand at the location and off the order's allocation there
// (one shipment movement), and a closing status releases the rest of
// the allocation. Source keys are ShipmentKey(line) + "|ship" and
// "|release".
func (r *Result) SettleShipment(order, location string, lines []ShippedPosting) {
	s := r.Shipment
	n := len(lines)
	for _, p := range lines {
		if p.Release > 0 {
			n++
		}
	}
	ms := r.Movements[:0]
	if cap(ms) < n {
		ms = make([]ledger.Movement, 0, n) // 100,000 lines: no growing by copies
	}
	for _, p := range lines {
		l := &s.Lines[p.Index]
		ref := s.ref
		ref.Line, ref.Order = l.Pos, order
		key := s.ShipmentKey(p.Line)
		if l.Quantity > 0 {
			ms = append(ms, ledger.Movement{SourceKey: key + "|ship", SKU: l.SKU, Location: location, Kind: ledger.KindShipment,
				Quantity: l.Quantity, Effective: s.Effective, Reference: ref})
		}
		if p.Release > 0 {
			ms = append(ms, ledger.Movement{SourceKey: key + "|release", SKU: l.SKU, Location: location, Kind: ledger.KindRelease,
				Quantity: p.Release, Effective: s.Effective, Reference: ref, Reason: "945 W12-01 " + l.Status})
		}
	}
	r.Movements = ms
}

// SetOrderPartner names the partner whose order the result's movements
// take allocations from, when it is not the sender: a 945 (from the
// warehouse) ships a channel's order, whose allocations the ledger keeps
// under the channel and the order number (ledger.Movement.OrderPartner).
func (r *Result) SetOrderPartner(partner string) {
	for i := range r.Movements {
		r.Movements[i].OrderPartner = partner
	}
}
