package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// Warehouse shipping advices (945): a 3PL confirms what it shipped of a
// 940 we sent it. Each 945 is settled against the order the 940 carried
// (orders.Tx.Ship: found by the warehouse and W06-02; each line applied
// once per warehouse + order + shipment + line, all or nothing), and
// its movements (mapping.Result.SettleShipment) posted with the same
// protocol as the order documents (see orderBook): the order's next
// record is written marked pending, the movements posted, the mark
// removed; a crash in between is settled at the order's next read,
// against the ledger. A 945 re-sent under new control numbers applies
// nothing (its lines were applied) and its source keys (partner, order,
// shipment, line) were posted: a duplicate. An unknown order or line,
// more shipped than allocated, an unknown status: the set is refused
// (997 AK5 R, AK3 at its W06 or W12), nothing of it is posted, and the
// message fails naming the place; replayed once the order or the
// profile is fixed, it goes through.

// postShipments settles and posts the 945s of a message, one at a time,
// while no order document is settled (the book is shared: Share): each
// 945 holds the one order it confirms, so other workers' 945s of other
// orders settle and post meanwhile, sharing commits.
func (w *work) postShipments(ctx context.Context, docs []*mapping.Result) error {
	for _, res := range docs {
		err := w.g.orders.book.Share(ctx, func(tx *orders.Tx) error { return w.postShipment(ctx, tx, res) })
		if err != nil {
			return err
		}
	}
	return nil
}

// postShipment settles one 945 against its order and posts it.
func (w *work) postShipment(ctx context.Context, tx *orders.Tx, res *mapping.Result) error {
	s := res.Shipment
	lines := make([]orders.ShipLine, len(s.Lines))
	for i, l := range s.Lines {
		lines[i] = orders.ShipLine{Line: l.Line, SKU: l.SKU, Quantity: l.Quantity, Status: l.Status}
	}
	sh, err := tx.Ship(s.Warehouse, s.Order, s.Shipment, lines...)
	var se *orders.ShipError
	switch {
	case errors.As(err, &se):
		w.shipmentRefused(res, se)
		return nil
	case err != nil:
		return err
	}
	if s.Location != "" && s.Location != sh.Location {
		w.shipmentFailed(res, x12.SegmentError{SegmentID: "N1", Position: s.LocationPos, Code: x12.SegHasElementError,
			Msg: fmt.Sprintf("the 945 ships order %s from %s; its 940 was sent for %s", s.Order, s.Location, sh.Location)}, 4)
		return nil
	}
	if sh.Next == nil {
		w.res.Documents = append(w.res.Documents, res.Key)
		w.res.Duplicates += max(len(s.Lines), 1)
		w.orderDup = true
		w.g.log.Info("945 confirms lines applied before: nothing posted", "partner", s.Warehouse, "order", s.Order,
			"shipment", s.Shipment, "message", w.msg.ID)
		return nil
	}
	sh.Next.Cite(len(sh.Prev.Events), w.msg.ID) // the steps the 945 added came from this message
	postings := make([]mapping.ShippedPosting, len(sh.Lines))
	for i, l := range sh.Lines {
		postings[i] = mapping.ShippedPosting{Index: l.Index, Line: l.Line, Release: l.Release}
	}
	res.SettleShipment(sh.Prev.Number, sh.Location, postings)
	// The channel's order: its allocations are the channel's, not the warehouse's.
	res.SetOrderPartner(sh.Prev.Partner)
	var keys []string // the posting was made when the ledger holds its first movement's line
	if len(res.Movements) > 0 {
		k := res.Movements[0].SourceKey
		keys = append(keys, k[:strings.LastIndexByte(k, '|')])
	}
	if err := tx.Begin([]orders.Change{{Next: sh.Next, Prev: sh.Prev, Keys: keys}}); err != nil {
		return err
	}
	if err := w.postAll(ctx, []*mapping.Result{res}); err != nil {
		return err // interrupted: the mark stays, settled at the next read
	}
	if h := w.g.orders.afterPost; h != nil {
		if err := h(); err != nil {
			return err
		}
	}
	// The mark ends while the 997 is queued (the order stays locked until
	// it has): w.x12 waits for it before the message is finished.
	n := sh.Next
	w.endings = append(w.endings, tx.EndBackground([]orders.Outcome{{Kind: n.Kind, Partner: n.Partner, Number: n.Number, Posted: !w.notPosted[res]}}))
	return nil
}

// shipmentRefused records a 945 its order refuses, at its W06 (the whole
// confirmation) or the W12 of the line.
func (w *work) shipmentRefused(res *mapping.Result, se *orders.ShipError) {
	seg, element := shipRefusal(res.Shipment, se)
	w.shipmentFailed(res, seg, element)
}

// shipRefusal places a 945 its order refuses: its W06-02 (the whole
// confirmation), or the W12 of the line and the element at fault.
func shipRefusal(s *mapping.WarehouseShipment, se *orders.ShipError) (x12.SegmentError, int) {
	seg := x12.SegmentError{SegmentID: "W06", Position: 2, Code: x12.SegHasElementError, Msg: se.Error()}
	element, value := 2, s.Order
	if se.Line >= 0 && se.Line < len(s.Lines) {
		l := &s.Lines[se.Line]
		seg.SegmentID, seg.Position = "W12", l.Pos
		switch {
		case errors.Is(se, orders.ErrStatus):
			element, value = 1, l.Status
		case errors.Is(se, orders.ErrUnknownLine):
			element, value = 7, l.SKU // the item
		default: // over shipped, a conflict with the line as applied before
			element, value = 3, fmt.Sprint(l.Quantity)
		}
	}
	seg.Elements = []x12.ElementError{{Position: element, Code: x12.ElemInvalidCode, Value: value, Msg: se.Error()}}
	return seg, element
}

// shipmentFailed fails the message at the 945's segment and element and
// refuses the set (AK5 R with the AK3): nothing of it is posted.
func (w *work) shipmentFailed(res *mapping.Result, seg x12.SegmentError, element int) {
	w.res.Documents = append(w.res.Documents, res.Key)
	place := w.shipmentPlace(res) + fmt.Sprintf(", segment %d (%s), element %d", seg.Position, seg.SegmentID, element)
	w.fail(place, "", "%s", seg.Msg)
	w.refuse(res, errors.New(seg.Msg))
	if v := w.verdicts; v != nil {
		if ref, ok := v.jobs[res]; ok {
			v.refused[ref] = append(v.refused[ref], seg)
		}
	}
}

// shipmentPlace names a 945's set in the message, as setPlace does.
func (w *work) shipmentPlace(res *mapping.Result) string {
	st := res.Key[strings.LastIndexByte(res.Key, '|')+1:]
	if v := w.verdicts; v != nil {
		if ref, ok := v.jobs[res]; ok {
			return fmt.Sprintf("%s: set 945 %s (interchange %s, group %s)", w.msg.Name, st, ref.group.Interchange.Control, ref.group.Control)
		}
	}
	return fmt.Sprintf("%s: set 945 %s", w.msg.Name, st)
}
