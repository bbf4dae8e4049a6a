package mapping

import (
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/partners"
)

// Inventory846 maps an 846 to movements: for every item, every quantity
// at every location it names.
func (m *Mapper) Inventory846(doc *documents.Inventory846, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12846, src)
	if err != nil {
		return nil, err
	}
	eff, ok := mp.effective846(doc)
	if !ok {
		return mp.finish()
	}
	header := ""
	loc := mp.doc.Mapping.Location
	switch loc.Source {
	case partners.LocationHeaderN1:
		p := findParty(doc.Parties, loc.Qualifier, loc.IDQualifier)
		if p == nil {
			mp.problem(at("heading"), "N1", loc.Qualifier, "no header N1 loop with entity %s names the location", loc.Qualifier)
			return mp.finish()
		}
		if header, ok = mp.location(p.ID, segAt(p.Pos, "N1")); !ok {
			return mp.finish()
		}
	case partners.LocationFixed:
		if header, ok = mp.location(loc.ID, at("profile")); !ok {
			return mp.finish()
		}
	}
	posted, compared := mp.figures(doc)
	mp.res.Movements = mp.res.free.movements.get(posted)
	mp.ref = mp.reference("846", 0, "")
	mp.res.Compare = mp.res.free.compare.get(compared)
	for i := range doc.Items {
		mp.item846(&doc.Items[i], header, eff)
	}
	mp.res.Lines = len(doc.Items)
	return mp.finish()
}

// figures counts (at most) the quantities of an 846 that will be posted
// and compared, to size the results once.
func (mp *mapping) figures(doc *documents.Inventory846) (posted, compared int) {
	count := func(qs []documents.Quantity846) {
		for _, q := range qs {
			switch b, _ := mp.bucketOf(q.Qualifier); {
			case b == partners.BucketCompare:
				compared++
			case b.Posted():
				posted++
			}
		}
	}
	for i := range doc.Items {
		it := &doc.Items[i]
		count(it.Quantities)
		for _, l := range it.Locations {
			count(l.Quantities)
		}
		for _, sdq := range it.SDQ {
			posted += len(sdq.Quantities)
		}
	}
	return posted, compared
}

// effective846 returns the time of the 846's figures.
func (mp *mapping) effective846(doc *documents.Inventory846) (time.Time, bool) {
	e := mp.doc.Mapping.Effective
	switch e.Source {
	case partners.TimeReceived:
		return mp.src.Received, true
	case partners.TimeDTM:
		d := documents.FindDate(doc.Dates, e.Qualifier)
		if d == nil {
			mp.problem(at("heading"), "DTM", e.Qualifier, "no DTM with qualifier %s gives the time of the figures", e.Qualifier)
			return time.Time{}, false
		}
		t, ok := mp.x12Time(d.Date, d.Time)
		if !ok {
			mp.problem(at("heading"), "DTM02", d.Date, "not a date")
		}
		return t, ok
	default: // bia
		t, ok := mp.x12Time(doc.Date, doc.Time)
		if !ok {
			mp.problem(at("heading"), "BIA04", doc.Date, "not a date")
		}
		return t, ok
	}
}

// item846 maps one LIN loop.
func (mp *mapping) item846(it *documents.Item846, header string, eff time.Time) {
	place := segAt(it.Pos, "LIN")
	sku, ok := mp.sku(it.IDs, place)
	if !ok {
		return
	}
	line := it.Pos
	switch mp.doc.Mapping.Location.Source {
	case partners.LocationLINN1:
		loc := mp.doc.Mapping.Location
		found := false
		for li := range it.Locations {
			l := &it.Locations[li]
			if l.Entity != loc.Qualifier || (loc.IDQualifier != "" && l.IDQualifier != loc.IDQualifier) {
				continue
			}
			found = true
			code, ok := mp.location(l.ID, segAt(l.Pos, "N1"))
			if !ok {
				continue
			}
			for qi := range l.Quantities {
				mp.qty846(&l.Quantities[qi], sku, code, line, eff)
			}
		}
		if !found {
			mp.problem(place, "N1", loc.Qualifier, "the item has no N1*%s loop naming its location", loc.Qualifier)
		}
	case partners.LocationSDQ:
		if len(it.SDQ) == 0 {
			mp.problem(place, "SDQ", "", "the item has no SDQ naming its locations")
		}
		mp.sdq846(it, sku, line, eff)
	default:
		for qi := range it.Quantities {
			mp.qty846(&it.Quantities[qi], sku, header, line, eff)
		}
	}
}

// qty846 maps one QTY loop of an item at a location.
func (mp *mapping) qty846(q *documents.Quantity846, sku, loc string, line int, eff time.Time) {
	place := segAt(q.Pos, "QTY")
	b, ok := mp.bucketFor(q.Qualifier, place)
	if !ok || b == partners.BucketIgnore {
		return
	}
	n, ok := mp.quantity(q.Quantity, q.Unit, sku, place)
	if !ok {
		return
	}
	if b == partners.BucketCompare {
		mp.res.Compare = append(mp.res.Compare, Comparison{SKU: sku, Location: loc, Qualifier: q.Qualifier, Quantity: n})
		return
	}
	c, ok := mp.changeFor(b, n, place)
	if !ok {
		return
	}
	mp.movement846(c, n, mp.lineKey(line, q.Qualifier, loc), sku, loc, eff, q.Pos)
}

// movement846 appends a movement of an 846, written in place.
func (mp *mapping) movement846(c change, qty int64, key, sku, loc string, eff time.Time, refLine int) {
	mv := mp.newMovement()
	mv.SourceKey, mv.SKU, mv.Location = key, sku, loc
	mv.Kind, mv.Bucket, mv.Quantity, mv.Reason = c.kind, c.bucket, qty, c.reason
	mv.Effective = eff
	mv.Reference = mp.ref
	mv.Reference.Line = refLine
}

// sdq846 maps an item's SDQ location/quantity pairs into the profile's
// default bucket.
func (mp *mapping) sdq846(it *documents.Item846, sku string, line int, eff time.Time) {
	b := mp.doc.Mapping.Bucket
	if b == "" {
		b = partners.BucketOnHand
	}
	place := at(segPlace(it.Pos, "LIN") + " SDQ")
	for si := range it.SDQ {
		sdq := &it.SDQ[si]
		for _, lq := range sdq.Quantities {
			code, ok := mp.location(lq.Location, place)
			if !ok {
				continue
			}
			n, ok := mp.quantity(lq.Quantity, sdq.Unit, sku, place)
			if !ok {
				continue
			}
			c, ok := mp.changeFor(b, n, place)
			if !ok {
				continue
			}
			mp.movement846(c, n, mp.lineKey(line, "SDQ", strconv.Itoa(si), code), sku, code, eff, it.Pos)
		}
	}
}

// findParty returns the first party with the entity code (and id
// qualifier, when one is asked for).
func findParty(parties []documents.Party, entity, idQualifier string) *documents.Party {
	for i := range parties {
		p := &parties[i]
		if p.Entity == entity && (idQualifier == "" || p.IDQualifier == idQualifier) {
			return p
		}
	}
	return nil
}
