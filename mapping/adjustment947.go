package mapping

import (
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// AdjustmentAdvice947 maps a 947 through the profile's reason table: a
// W19 line whose reason changes on_hand is an adjustment of on hand (±,
// with the reason code as the movement's reason); one whose reason changes
// damaged or quarantined moves the quantity between available and that
// bucket (on hand unchanged). The reason's direction says which way
// W19-02 goes, or that it is a count of the bucket (a snapshot as of the
// line's date: the ledger posts the difference). A line with a reason the table lacks, or a sign that
// contradicts the reason's direction, is a problem naming its segment;
// with the default on_error: reject nothing of the document is posted.
func (m *Mapper) AdjustmentAdvice947(doc *documents.AdjustmentAdvice947, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12947, src)
	if err != nil {
		return nil, err
	}
	loc, ok := mp.warehouseLocation(doc.Parties)
	if !ok {
		return mp.finish()
	}
	adj := doc.WarehouseAdjustment
	if adj == "" {
		adj = doc.DepositorAdjustment
	}
	mp.res.Lines = len(doc.Lines)
	for i := range doc.Lines {
		mp.line947(&doc.Lines[i], doc.Date, adj, loc)
	}
	return mp.finish()
}

func (mp *mapping) line947(l *documents.Line947, date, adj, loc string) {
	place := segAt(l.Pos, "W19")
	a, ok := mp.doc.Mapping.Reasons[l.Reason]
	if !ok {
		mp.problem(place, "W1901", l.Reason, "adjustment reason not in the profile's reason table")
		return
	}
	if a.Bucket == partners.BucketIgnore {
		return
	}
	sku, ok := mp.itemSKU(l.IDs, l.CaseUPC, place)
	if !ok {
		return
	}
	n, ok := mp.quantity(l.Quantity, l.Unit, sku, place)
	if !ok {
		return
	}
	date947 := date
	if d := l.Effective(); d != "" {
		date947 = d
	}
	if a.Direction == partners.DirectionCount {
		mp.count947(l, a.Bucket, sku, loc, n, mp.documentTime(date947), adj)
		return
	}
	delta := n
	switch a.Direction {
	case partners.DirectionIncrease, partners.DirectionDecrease:
		if n < 0 {
			mp.problem(place, "W1902", string(l.Quantity), "ambiguous: reason %s has direction %s in the profile's reason table, but the quantity is negative", l.Reason, a.Direction)
			return
		}
		if a.Direction == partners.DirectionDecrease {
			delta = -n
		}
	}
	if delta == 0 {
		return // nothing changes
	}
	var kind ledger.Kind
	reason := ""
	switch a.Bucket {
	case partners.BucketOnHand:
		kind, reason = ledger.KindAdjust, "947 reason "+l.Reason
	case partners.BucketDamaged:
		kind = ledger.KindDamage
	case partners.BucketQuarantined:
		kind = ledger.KindQuarantine
	default:
		mp.problem(place, "W1901", l.Reason, "the reason table sends it to %s, which an adjustment cannot change", a.Bucket)
		return
	}
	mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(strconv.Itoa(l.Pos)),
		SKU: sku, Location: loc, Kind: kind, Quantity: delta, Effective: mp.documentTime(date947),
		Reference: mp.reference("947", l.Pos, adj), Reason: reason})
}

// count947 maps a count: W19-02 is the quantity of bucket b counted at
// eff; the ledger posts the difference from its balance as of eff.
func (mp *mapping) count947(l *documents.Line947, b partners.Bucket, sku, loc string, n int64, eff time.Time, adj string) {
	place := segAt(l.Pos, "W19")
	if n < 0 {
		mp.problem(place, "W1902", string(l.Quantity), "reason %s is a count in the profile's reason table, and a count cannot be negative", l.Reason)
		return
	}
	lb, err := mp.ledgerBucket(b)
	if err != nil {
		mp.problem(place, "W1901", l.Reason, "%v", err)
		return
	}
	mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(strconv.Itoa(l.Pos)),
		SKU: sku, Location: loc, Kind: ledger.KindSnapshot, Bucket: lb, Quantity: n, Effective: eff,
		Reference: mp.reference("947", l.Pos, adj)})
}
