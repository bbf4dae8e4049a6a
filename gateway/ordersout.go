package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// Orders out: an order whose lines allocate stock at a location a
// warehouse partner fulfils (its profile's fulfils section) is sent to
// that partner as a 940 through the outbox, and a change or cancel of
// the order follows as a 940 change (W05-01 R) or cancel (F).

// Outbox message metadata naming the order a 940 carries.
const (
	metaOrderPartner = "order_partner"
	metaOrderNumber  = "order_number"
)

// routeOrder queues the 940s the order's record asks of the warehouses
// that fulfil its locations, and notes them on the record. A 940 that
// cannot be built (an item the warehouse's table misses) is held on the
// record, with the reason, and tried again when the profiles are
// reloaded (routeHeld). Each 940 is keyed in the outbox by warehouse,
// location and order document: routed again (a crash before the record
// was written), the outbox returns the 940 queued before.
func (g *Gateway) routeOrder(ctx context.Context, rec *orders.Record) error {
	dir := g.Partners()
	route := func(loc string) (orders.Route, bool) {
		p := dir.Fulfiller(loc)
		if p == nil {
			return orders.Route{}, false
		}
		return orders.Route{Warehouse: p.ID, Code: p.Fulfils.Locations[loc]}, true
	}
	taken := func(warehouse, order string) bool {
		r, err := g.orders.store.ByWarehouse(ctx, warehouse, order)
		return err == nil && (r.Partner != rec.Partner || r.Number != rec.Number)
	}
	now := g.now().UTC()
	for _, o := range rec.Plan(route, taken) {
		p, err := dir.ByID(o.Warehouse)
		if err != nil {
			return err
		}
		send, err := g.send940(p, rec, &o)
		if errors.Is(err, mapping.ErrNoItem) {
			rec.NoteHeld(&o, err.Error(), now)
			g.log.Warn("940 to the warehouse held: fix the partner's item table and reload the profiles: it is sent then",
				"partner", rec.Partner, "order", rec.Number, "warehouse", o.Warehouse, "location", o.Location, "error", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("sending order %s of %s to %s: %w", rec.Number, rec.Partner, o.Warehouse, err)
		}
		var shipDue time.Time
		if p.Fulfils.ShipWithin > 0 {
			shipDue = now.Add(p.Fulfils.ShipWithin)
		}
		rec.NoteSent(&o, send, shipDue, now)
		g.log.Info("940 queued to the warehouse", "partner", rec.Partner, "order", rec.Number, "warehouse", o.Warehouse,
			"location", o.Location, "purpose", o.Purpose, "outbox", send.Outbox, "interchange", send.Interchange)
	}
	return nil
}

// send940 builds the 940 o for warehouse partner p (its item ids through
// its table, its identities, control numbers from the outbox) and queues
// it on the partner's first outbound transport, expecting its 997 within
// acks.expect_within. It fills in o's item ids and returns what was
// queued. A 940 queued before under o.Key is not queued again: its send
// is returned (its control numbers read back from the outbox).
func (g *Gateway) send940(p *partners.Profile, rec *orders.Record, o *orders.Outgoing) (orders.Send, error) {
	outs := p.Transports.Outbound
	if len(outs) == 0 {
		return orders.Send{}, fmt.Errorf("partner %s has no outbound transport", p.ID)
	}
	wo := &mapping.WarehouseOrder{Purpose: o.Purpose, Order: o.Order, PurchaseOrder: rec.PurchaseOrder, Location: o.Location,
		ShipTo: rec.ShipTo, Requested: rec.Received}
	for _, l := range o.Lines {
		wo.Lines = append(wo.Lines, mapping.WarehouseLine{SKU: l.SKU, Quantity: l.Quantity})
	}
	doc, items, err := mapping.New(p).WarehouseOrder940(wo)
	if err != nil {
		return orders.Send{}, err
	}
	for i := range o.Lines {
		o.Lines[i].Item = items[i]
	}
	control, err := g.Outbox.ReserveControls(p.ID, outbox.ControlInterchange, 2)
	if err != nil {
		return orders.Send{}, err
	}
	now := g.now().UTC()
	body, err := g.encode940(p, doc, control, now)
	if err != nil {
		return orders.Send{}, fmt.Errorf("encoding the 940: %w", err)
	}
	s := orders.Send{Interchange: fmt.Sprintf("%09d", control), Group: strconv.FormatInt(control+1, 10), Queued: now}
	if p.Acks.ExpectWithin > 0 {
		s.AckDue = now.Add(p.Acks.ExpectWithin)
	}
	m := &outbox.Message{Key: o.Key, Partner: p.ID, Transport: outs[0].Kind(), Kind: "940",
		Name: fmt.Sprintf("940-%s.x12", s.Interchange), Interchange: s.Interchange, Groups: []string{s.Group}, AckDeadline: s.AckDue,
		Meta: map[string]string{metaOrderPartner: rec.Partner, metaOrderNumber: rec.Number, "warehouse_order": o.Order, "purpose": o.Purpose}}
	if s.Outbox, err = g.Outbox.Enqueue(m, body); err != nil {
		return orders.Send{}, err
	}
	if s.Outbox != m.ID {
		// Queued before (a crash before the record was written): the
		// record names the 940 that goes out, not the numbers just spent.
		prev, err := g.Outbox.Get(s.Outbox)
		if err != nil {
			return orders.Send{}, err
		}
		s.Interchange, s.Queued, s.AckDue = prev.Interchange, prev.Created, prev.AckDeadline
		if len(prev.Groups) > 0 {
			s.Group = prev.Groups[0]
		}
	}
	return s, nil
}

// encode940 writes a 940 as one interchange to warehouse partner p: our
// identity as sender, the partner's first ISA and GS ids as receiver,
// ISA13 control and GS06 control+1, the profile's X12 version.
func (g *Gateway) encode940(p *partners.Profile, doc *documents.ShippingOrder940, control int64, now time.Time) ([]byte, error) {
	isaVersion, gsVersion := "00401", "004010"
	if p.Fulfils.Version == partners.X12V5010 {
		isaVersion, gsVersion = "00501", "005010"
	}
	id := g.Config.Identity
	recv := partners.ISAID{Qualifier: "ZZ", ID: p.ID}
	if len(p.Identities.ISA) > 0 {
		recv = p.Identities.ISA[0]
	}
	gsRecv := recv.ID
	if len(p.Identities.GS) > 0 {
		gsRecv = p.Identities.GS[0]
	}
	var buf bytes.Buffer
	w, err := x12.NewWriter(&buf, x12.DefaultDelimiters)
	if err != nil {
		return nil, err
	}
	err = w.BeginInterchange(x12.InterchangeHeader{SenderQualifier: id.ISAQualifier, SenderID: id.ISAID,
		ReceiverQualifier: recv.Qualifier, ReceiverID: recv.ID, Version: isaVersion, Control: control, Time: now})
	if err != nil {
		return nil, err
	}
	if err := w.BeginGroup(x12.GroupHeader{FunctionalID: "OW", AppSender: id.GSID, AppReceiver: gsRecv,
		Control: control + 1, Version: gsVersion, Time: now}); err != nil {
		return nil, err
	}
	if err := doc.Encode(w, "0001", gsVersion); err != nil {
		return nil, err
	}
	if err := w.EndGroup(); err != nil {
		return nil, err
	}
	if err := w.EndInterchange(); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// orderAck notes a warehouse's acknowledgement of a 940 (outbox message
// id, matched by the outbox) on the order the 940 carries.
func (w *work) orderAck(id uint64, state outbox.AckState) error {
	m, err := w.g.Outbox.Get(id)
	if err != nil || m.Kind != "940" || m.Meta[metaOrderNumber] == "" {
		return err
	}
	_, err = w.g.orders.book.Acknowledge(context.Background(), m.Meta[metaOrderPartner], m.Meta[metaOrderNumber], id, string(state), w.g.now())
	return err
}

// Orders returns the order records (read them; the gateway writes them).
func (g *Gateway) Orders() orders.Store { return g.orders.store }

// routeHeld settles, at start, the order records a crash left pending
// (see orderBook: those posted are kept and routed, the others put
// back), and tries again, at start and after each reload of the
// profiles, the 940s held back (an item the warehouse's table missed);
// it runs until ctx ends.
func (g *Gateway) routeHeld(ctx context.Context) error {
	if n, err := g.orders.book.SettleMarked(ctx); err != nil {
		g.log.Error("settling order records left pending by a crash (settled at their next read)", "err", err)
	} else if n > 0 {
		g.log.Info("order records left pending by a crash settled against the ledger", "orders", n)
	}
	for {
		reloaded := g.partnersReloaded()
		if n, err := g.RouteHeld(ctx); err != nil {
			g.log.Error("sending held 940s", "err", err)
		} else if n > 0 {
			g.log.Info("held 940s tried again", "orders", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-reloaded:
		}
	}
}

// RouteHeld plans again the orders with a 940 held back, with the
// profiles in use, queuing what can be sent now. It returns how many
// orders it tried.
func (g *Gateway) RouteHeld(ctx context.Context) (int, error) {
	held := func(r *orders.Record) bool {
		return r.Open && slices.ContainsFunc(r.Dispatches, func(d orders.Dispatch) bool { return d.Held != "" })
	}
	n := 0
	var after []byte
	for {
		page, err := g.orders.store.List(ctx, orders.Filter{After: after, Limit: 100, Match: held})
		if err != nil {
			return n, err
		}
		for _, r := range page {
			_, err := g.orders.book.Update(ctx, r.Partner, r.Number, func(rec *orders.Record, found bool) (bool, error) {
				if !found || !held(rec) {
					return false, nil
				}
				n++
				return true, g.routeOrder(ctx, rec)
			})
			if err != nil {
				return n, err
			}
		}
		if len(page) < 100 {
			return n, nil
		}
		after = orders.Key(page[len(page)-1].Partner, page[len(page)-1].Number)
	}
}
