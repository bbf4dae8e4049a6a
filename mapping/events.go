package mapping

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dockside-edi/dockside/events"
	"github.com/dockside-edi/dockside/ledger"
)

// EventSourceKey returns the ledger source key of an event's movement:
// partner + "event" + source + id for the first; the second (a status
// move between damaged and quarantined is two) has "event2" instead of
// "event", so that no id can make one key look like another. (source,
// id) is the event's idempotency key.
func EventSourceKey(partner, source, id string, n int) string {
	kind := "|event|"
	if n > 1 {
		kind = "|event" + strconv.Itoa(n) + "|"
	}
	return partner + kind + source + "|" + id
}

// Events maps a body of inventory events (docs/events.md) through the
// partner's events profile: item ids through its cross-reference, location
// codes through its warehouse map, units through its conversions. bad are
// the problems the decoder found; they count as problems of the document,
// so that the profile's on_error decides whether the good events post
// (post_good) or nothing does (reject, the default). Every problem's
// place is the event's path ("events[3]") and its field the JSON path in
// the event ("data.item"). src.FileHash identifies the body.
func (m *Mapper) Events(evs []events.Event, bad events.Errors, src Source) (*Result, error) {
	pe := m.p.Events
	if pe == nil {
		return nil, fmt.Errorf("events: %w (partner %s has no events section)", ErrNoMapping, m.p.ID)
	}
	key := src.Partner + "|events|" + src.FileHash
	res := &Result{Key: key, LegacyKey: key, DocType: "events", free: &m.free}
	mp := &mapping{p: m.p, doc: pe.Document(), src: src, res: res}
	failed := map[int]bool{}
	for _, e := range bad {
		mp.res.Problems = append(mp.res.Problems, Problem{Place: e.Path, Reason: e.Msg})
		failed[e.Index] = true
	}
	res.Lines = len(evs) + len(failed)
	if res.Movements == nil && len(evs) > 0 {
		res.Movements = mp.res.free.movements.get(len(evs))
	}
	for i := range evs {
		mp.event(&evs[i])
	}
	return mp.finish()
}

// event maps one event to its movements.
func (mp *mapping) event(e *events.Event) {
	place := at(e.Path)
	d := &e.Data
	if want := mp.p.Events.Source; e.Source != want {
		mp.problem(place, "source", e.Source, "not partner %s's event source (%s)", mp.p.ID, want)
		return
	}
	sku, ok := d.SKU, true
	if d.Item != "" {
		if sku, ok = mp.lookup(mp.doc.Mapping.Items.Lookup, d.Item, place, "data.item", ""); !ok {
			return
		}
	}
	loc := d.Location
	if d.LocationCode != "" {
		if loc, ok = mp.lookup(mp.doc.Mapping.Warehouses, d.LocationCode, place, "data.location_code", ""); !ok {
			return
		}
	}
	n := len(mp.res.Problems)
	f, ok := mp.factor(d.Unit, sku, place)
	mp.renameFields(n, "data.unit")
	if !ok {
		return
	}
	qty := d.Quantity
	if f != 1 && (qty > math.MaxInt64/f || qty < math.MinInt64/f || qty*f > ledger.MaxQuantity || qty*f < -ledger.MaxQuantity) {
		mp.problem(place, "data.quantity", fmt.Sprint(qty), "out of range after converting %s to %s", d.Unit, mp.doc.Mapping.Units.Base)
		return
	}
	qty *= f
	eff := e.EffectiveTime()
	if eff.IsZero() {
		eff = mp.src.Received
	}
	base := ledger.Movement{SKU: sku, Location: loc, Quantity: qty, Effective: eff, Reason: reason(d),
		Reference: ledger.Reference{Partner: mp.src.Partner, DocumentType: "event/" + e.Type.Kind(), Interchange: mp.src.FileHash,
			Transaction: e.ID, Line: e.Index + 1, Order: d.Order}}
	for i, mv := range eventMovements(e, base) {
		mv.SourceKey = EventSourceKey(mp.src.Partner, e.Source, e.ID, i+1)
		*mp.newMovement() = mv
	}
}

// renameFields names field on the problems recorded since the first n
// (the shared helpers name the field as flat files do).
func (mp *mapping) renameFields(n int, field string) {
	for i := n; i < len(mp.res.Problems); i++ {
		mp.res.Problems[i].Field = field
	}
}

// reason is the movement's reason: the event's, with its reference.
func reason(d *events.Data) string {
	switch {
	case d.Reference == "":
		return d.Reason
	case d.Reason == "":
		return "ref " + d.Reference
	}
	return d.Reason + " (ref " + d.Reference + ")"
}

// eventMovements returns an event's movements, each base with its kind set.
func eventMovements(e *events.Event, base ledger.Movement) []ledger.Movement {
	mv := base
	d := &e.Data
	switch e.Type {
	case events.TypeReceipt:
		mv.Kind = ledger.KindReceipt
	case events.TypeTransferIn:
		mv.Kind, mv.TakeInTransit = ledger.KindReceipt, true
	case events.TypeShipment, events.TypeTransferOut:
		mv.Kind = ledger.KindShipment
	case events.TypeAdjustment:
		mv.Kind = ledger.KindAdjust
	case events.TypeInTransit:
		mv.Kind, mv.Expected = ledger.KindInTransit, d.Expected
	case events.TypeReservation:
		mv.Kind = ledger.KindAllocate
	case events.TypeRelease:
		mv.Kind = ledger.KindRelease
	case events.TypeCount:
		mv.Kind, mv.Bucket = ledger.KindSnapshot, countBucket(d.Bucket)
		if d.Bucket == events.BucketInTransit {
			mv.Expected = d.Expected
		}
	case events.TypeStatus:
		return statusMove(d.From, d.To, base)
	}
	return []ledger.Movement{mv}
}

func countBucket(b events.Bucket) ledger.Bucket {
	switch b {
	case events.BucketDamaged:
		return ledger.BucketDamaged
	case events.BucketQuarantined:
		return ledger.BucketQuarantined
	case events.BucketInTransit:
		return ledger.BucketInTransit
	}
	return ledger.BucketOnHand
}

// statusMove turns from → to into damage and quarantine movements: into
// a status is +quantity of its kind, out of it −quantity; available is
// no bucket of its own.
func statusMove(from, to events.Status, base ledger.Movement) []ledger.Movement {
	var out []ledger.Movement
	add := func(s events.Status, sign int64) {
		mv := base
		switch s {
		case events.StatusDamaged:
			mv.Kind = ledger.KindDamage
		case events.StatusQuarantined:
			mv.Kind = ledger.KindQuarantine
		default:
			return
		}
		mv.Quantity = sign * base.Quantity
		out = append(out, mv)
	}
	add(from, -1)
	add(to, 1)
	return out
}
