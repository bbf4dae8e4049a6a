package gateway

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/web"
)

// Reservations with a ship-to are orders: each reservation is a line of
// the order it names (partner: its channel, or "api"), and the order
// goes to the warehouse partner fulfilling its location as a 940 like a
// channel's. Each step is idempotent by reservation key: a retried
// request, or one after a crash, changes the order once.

// apiPartner is the partner of reservation orders without a channel.
const apiPartner = "api"

func reservationPartner(channel string) string {
	if channel == "" {
		return apiPartner
	}
	return channel
}

// reservationOrderConflict reports an order number the reservation's
// partner already uses for an order of another kind (a channel's 940):
// the reservation must not change it.
func (g *Gateway) reservationOrderConflict(ctx context.Context, res web.Reservation) error {
	r, err := g.orders.get(ctx, mapping.KindOrder, reservationPartner(res.Channel), res.Order)
	if err != nil || r == nil || r.Reservations != nil || strings.HasPrefix(r.By.Document, "api|") {
		return err
	}
	return fmt.Errorf("%w: order %s of %s was sent by the channel (%s); reserve under another order number",
		web.ErrKeyReused, res.Order, r.Partner, r.By)
}

// reserveOrder adds a reservation with a ship-to to its order (added
// before: nothing changes) and routes the order.
func (g *Gateway) reserveOrder(ctx context.Context, res web.Reservation) error {
	line := mapping.OrderLine{SKU: res.SKU, Location: res.Location, Quantity: res.Quantity}
	return g.changeReservationOrder(ctx, res.Channel, res.Order, "api|reservation|"+res.Key, shipToParty(res.ShipTo),
		func(lines map[string]mapping.OrderLine) bool {
			if _, ok := lines[res.Key]; ok {
				return false
			}
			lines[res.Key] = line
			return true
		})
}

// releaseOrder removes a released reservation from its order (removed
// before, or never there: nothing changes) and routes the order: a change,
// or a cancel when it was the last line.
func (g *Gateway) releaseOrder(ctx context.Context, channel, order, key string) error {
	return g.changeReservationOrder(ctx, channel, order, "api|release|"+key, nil, func(lines map[string]mapping.OrderLine) bool {
		if _, ok := lines[key]; !ok {
			return false
		}
		delete(lines, key)
		return true
	})
}

func (g *Gateway) changeReservationOrder(ctx context.Context, channel, order, doc string, shipTo *documents.Party,
	change func(map[string]mapping.OrderLine) bool) error {
	partner := reservationPartner(channel)
	_, err := g.orders.book.Update(ctx, partner, order, func(rec *orders.Record, found bool) (bool, error) {
		if found && rec.Reservations == nil && !strings.HasPrefix(rec.By.Document, "api|") {
			return false, nil // a channel's order: reservationOrderConflict refused it
		}
		lines := maps.Clone(rec.Reservations)
		if lines == nil {
			lines = map[string]mapping.OrderLine{}
		}
		if !change(lines) {
			return false, nil
		}
		var all []mapping.OrderLine
		for _, k := range slices.Sorted(maps.Keys(lines)) {
			all = append(all, lines[k])
		}
		next := &mapping.OrderState{Partner: partner, Number: order, Open: len(all) > 0, Lines: mapping.MergeOrderLines(all),
			By: mapping.Origin{Document: doc}}
		if !next.Open {
			next.Lines = rec.Lines // what it allocated, as a channel's cancelled order keeps
		}
		rec.Reservations = lines
		rec.Settle(next, "", shipTo, g.now())
		return true, g.routeOrder(ctx, rec)
	})
	return err
}

// shipToParty turns a reservation's ship-to into the 940's N1*ST loop.
func shipToParty(st *web.ShipTo) *documents.Party {
	if st == nil {
		return nil
	}
	p := &documents.Party{Entity: "ST", Name: st.Name}
	for _, l := range st.Street {
		p.Street = append(p.Street, documents.TextLine{Text: l})
	}
	if st.City != "" || st.State != "" || st.PostalCode != "" || st.Country != "" {
		p.Place = &documents.Place{City: st.City, State: st.State, Postal: st.PostalCode, Country: st.Country}
	}
	return p
}
