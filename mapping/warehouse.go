package mapping

import (
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/partners"
)

// What the warehouse advices (943, 944, 947) share.

// identify keys a warehouse advice by what the partner numbers it (the
// set, the partner and numbers; empty numbers leave it keyed by its
// control numbers), not by its control numbers: 3PLs resend under new
// ones, and a document re-sent then is a duplicate (the ledger finds its
// movements under the same source keys), or a collision when its lines
// differ. The key by control numbers, which earlier versions gave it,
// becomes its legacy key.
func (mp *mapping) identify(set string, numbers ...string) {
	if !slices.ContainsFunc(numbers, func(n string) bool { return n != "" }) {
		return
	}
	key := set + "|" + mp.src.Partner + "|" + strings.Join(numbers, "|")
	mp.res.LegacyKey, mp.res.Key, mp.prefix = mp.res.Key, key, key+"|"
}

// warehouseLocation returns our location of a warehouse advice: the
// heading N1 loop the profile names (by default WH, ST for a 943), or the
// profile's fixed location.
func (mp *mapping) warehouseLocation(parties []documents.Party) (string, bool) {
	loc := mp.doc.Mapping.Location
	if loc.Source == partners.LocationFixed {
		return mp.location(loc.ID, at("profile"))
	}
	p := findParty(parties, loc.Qualifier, loc.IDQualifier)
	if p == nil {
		mp.problem(at("heading"), "N1", loc.Qualifier, "no header N1 loop with entity %s names the location", loc.Qualifier)
		return "", false
	}
	return mp.location(p.ID, segAt(p.Pos, "N1"))
}

// documentTime returns the time of a document: its own date when the
// profile's effective source is document (the default) and the date is
// there, else when we received it.
func (mp *mapping) documentTime(date string) time.Time {
	if mp.doc.Mapping.Effective.Source == partners.TimeDocument && date != "" {
		if t, ok := mp.x12Time(date, ""); ok {
			return t
		}
	}
	return mp.src.Received
}

// itemSKU resolves a warehouse line's item: its qualifier/id pairs, then
// its U.P.C. case code as a UP id.
func (mp *mapping) itemSKU(ids []documents.ProductID, caseUPC string, place where) (string, bool) {
	if caseUPC != "" {
		ids = append(append([]documents.ProductID(nil), ids...), documents.ProductID{Qualifier: "UP", ID: caseUPC})
	}
	return mp.sku(ids, place)
}

// lineQuantity reads a warehouse line's item (itemSKU) and its quantity
// q in base units, which cannot be negative: place is the line's
// segment, element the quantity's (W0401), what the quantity is (shipped,
// received) for the problem. false: a problem was noted.
func (mp *mapping) lineQuantity(ids []documents.ProductID, caseUPC string, q documents.Decimal, unit string, place where, element, what string) (string, int64, bool) {
	sku, ok := mp.itemSKU(ids, caseUPC, place)
	if !ok {
		return "", 0, false
	}
	n, ok := mp.quantity(q, unit, sku, place)
	if !ok {
		return "", 0, false
	}
	if n < 0 {
		mp.problem(place, element, string(q), "a quantity %s cannot be negative", what)
		return "", 0, false
	}
	return sku, n, true
}
