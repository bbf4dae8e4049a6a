package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// tryJSON is partners try's JSON: snake_case names, as stock --json,
// history --json and the API use.
type tryJSON struct {
	Partner   string            `json:"partner"`
	File      string            `json:"file"`
	OK        bool              `json:"ok"`
	Ledger    string            `json:"ledger,omitempty"` // what the movements were checked against
	Documents []tryDocumentJSON `json:"documents"`
	Problems  []string          `json:"problems,omitempty"`
}

type tryDocumentJSON struct {
	Type      string               `json:"type"`
	Control   string               `json:"control,omitempty"`
	Status    string               `json:"status"`
	Order     *tryOrderJSON        `json:"order,omitempty"`
	Shipment  *tryShipmentJSON     `json:"shipment,omitempty"`
	Movements []tryMovementJSON    `json:"movements"`
	Compare   []mapping.Comparison `json:"compare,omitempty"`
	Problems  []mapping.Problem    `json:"problems,omitempty"`
}

// tryOrderJSON is the order an order document names, and what the
// document does to it.
type tryOrderJSON struct {
	What string `json:"what"` // "cancel order SO-9001: releases what it holds"
	*gateway.TryOrder
}

// tryShipmentJSON is what a 945 confirms, and what it does to its order.
type tryShipmentJSON struct {
	What string `json:"what"` // "shipment BOL-1 of order PO-7001 (shopmart PO-7001) from dallas: 2 lines"
	*gateway.TryShipment
}

// describeShipment says what a 945 does to the order it confirms.
func describeShipment(s *gateway.TryShipment) string {
	what := fmt.Sprintf("shipment %s of order %s", s.Shipment, s.Order)
	lines := plural(len(s.Lines), "line")
	switch {
	case !s.Settled:
		return what + ": " + lines + " (--data, or the data folder of a stopped serve, settles them against the order)"
	case s.Number == "":
		return what + ": refused"
	}
	what += fmt.Sprintf(" (%s %s) from %s", s.Partner, s.Number, s.Location)
	if s.Duplicate {
		return what + ": every line confirmed before; nothing would be posted"
	}
	return what + ": " + lines
}

// describeOrder says what an order document does to its order.
func describeOrder(o *gateway.TryOrder) string {
	s := fmt.Sprintf("%s order %s", o.Action, o.Number)
	switch {
	case o.Duplicate:
		return s + ": repeats the order as it stands; nothing would be posted"
	case o.Action == mapping.OrderNew:
		return s + ": allocates its lines"
	case !o.Settled && o.Action == mapping.OrderCancel:
		return s + ": releases all it holds (--data, or a running serve, shows what)"
	case !o.Settled:
		return s + ": releases all it holds, then allocates its new lines (--data, or a running serve, shows what it holds)"
	case o.Action == mapping.OrderCancel:
		return s + ": releases what it holds"
	}
	return s + ": releases what it holds, then allocates its new lines"
}

// tryMovementJSON is a movement the file would post. A release of all an
// order holds has no quantity (all_of_order), or the quantity the live
// ledger says the order holds.
type tryMovementJSON struct {
	What       string        `json:"what"` // "release order SO-9001: 3 × WIDGET-RED at dallas"
	SourceKey  string        `json:"source_key"`
	SKU        string        `json:"sku"`
	Location   string        `json:"location"`
	Kind       ledger.Kind   `json:"kind"`
	Quantity   *int64        `json:"quantity,omitempty"`
	AllOfOrder bool          `json:"all_of_order,omitempty"`
	Bucket     ledger.Bucket `json:"bucket,omitempty"`
	Effective  time.Time     `json:"effective"`
	Expected   *time.Time    `json:"expected,omitempty"`
	Reason     string        `json:"reason,omitempty"`
	Reference  referenceJSON `json:"reference"`
	// Against the live ledger (--data, or a running serve):
	DuplicateOf uint64     `json:"duplicate_of,omitempty"` // already posted as this movement
	Stale       bool       `json:"stale,omitempty"`        // a newer count of its bucket is applied
	NewerCount  *time.Time `json:"newer_count,omitempty"`  // that count's time
}

// releasesAll reports whether m releases whatever its order holds (the
// mapper's release of a cancel or change, whose quantity is the ledger's
// largest, not a figure).
func releasesAll(m ledger.Movement) bool {
	return m.Kind == ledger.KindRelease && m.Quantity >= ledger.MaxQuantity
}

// quantityText is a movement's quantity for people: "all" for a release
// of all the order holds.
func quantityText(m ledger.Movement) string {
	if releasesAll(m) {
		return "all"
	}
	return fmt.Sprint(m.Quantity)
}

// describeMovement says what a movement does, with its order number:
// "allocate order SO-9001: 3 × WIDGET-RED at dallas". holds, when known,
// is what the order holds of the SKU there in the live ledger.
func describeMovement(m ledger.Movement, holds *int64) string {
	at := m.SKU + " at " + m.Location
	order := m.Reference.Order
	var s string
	switch m.Kind {
	case ledger.KindAllocate:
		s = fmt.Sprintf("allocate order %s: %d × %s", order, m.Quantity, at)
	case ledger.KindRelease:
		switch {
		case releasesAll(m) && holds != nil:
			s = fmt.Sprintf("release order %s: %d × %s (all it holds)", order, *holds, at)
		case releasesAll(m):
			s = fmt.Sprintf("release order %s: all it holds of %s", order, at)
		default:
			s = fmt.Sprintf("release order %s: %d × %s", order, m.Quantity, at)
		}
	case ledger.KindSnapshot:
		s = fmt.Sprintf("count %s: %s = %d", at, m.Bucket, m.Quantity)
	case ledger.KindReceipt:
		s = fmt.Sprintf("receive %d × %s", m.Quantity, at)
		if m.TakeInTransit {
			s += ", off in transit (what is there)"
		}
	case ledger.KindShipment:
		s = fmt.Sprintf("ship %d × %s", m.Quantity, at)
		if order != "" {
			s += " for order " + order
		}
	case ledger.KindInTransit:
		s = fmt.Sprintf("in transit %+d × %s", m.Quantity, at)
		if !m.Expected.IsZero() {
			s += ", due " + m.Expected.Format(time.DateOnly)
		}
	case ledger.KindAdjust:
		s = fmt.Sprintf("adjust %s by %+d", at, m.Quantity)
	case ledger.KindDamage:
		s = fmt.Sprintf("damaged %+d × %s", m.Quantity, at)
	case ledger.KindQuarantine:
		s = fmt.Sprintf("quarantined %+d × %s", m.Quantity, at)
	default:
		s = fmt.Sprintf("%s %d × %s", m.Kind, m.Quantity, at)
	}
	if m.Reason != "" {
		s += fmt.Sprintf(" (reason %q)", m.Reason)
	}
	return s
}

// historySource reads a position's movements from the live ledger.
type historySource func(ctx context.Context, sku, loc string) ([]ledger.Movement, error)

// movementList collects movements.
type movementList struct{ ms []ledger.Movement }

func (c *movementList) movement(m ledger.Movement) error { c.ms = append(c.ms, m); return nil }
func (c *movementList) close() error                     { return nil }

// liveGateway is what partners try reads of the live gateway.
type liveGateway struct {
	name    string        // "the ledger in DIR", "the running serve at URL"; "" for none
	history historySource // nil: no ledger
	orders  func(partner, number string) (*mapping.OrderState, error)
	// shipments finds the order a warehouse knows by its number (945s);
	// nil through a running serve's API, which has no such query.
	shipments func(warehouse, order string) (*orders.Record, error)
	close     func()
}

// liveState finds what partners try checks against: the running serve's
// ledger and order book (through its API) when one holds the data folder,
// else with --data, --config or DOCKSIDE_DATA the data folder's; nothing
// otherwise.
func liveState(e *env, gf gatewayFlags) (*liveGateway, error) {
	cfg, err := gf.load(e)
	if err != nil {
		return nil, err
	}
	c, err := runningServer(e, cfg.Data, cfg.HTTP.Listen)
	if err == nil {
		return &liveGateway{name: "the running serve at " + c.base, close: func() {},
			history: func(ctx context.Context, sku, loc string) ([]ledger.Movement, error) {
				var l movementList
				err := remoteHistory(ctx, c, sku, loc, 0, &l)
				return l.ms, err
			},
			orders: func(partner, number string) (*mapping.OrderState, error) {
				return remoteOrder(context.Background(), c, partner, number)
			}}, nil
	}
	if !errors.Is(err, errNoServer) {
		return nil, err
	}
	explicit := *gf.data != "" || *gf.config != "" || e.Getenv("DOCKSIDE_DATA") != "" || e.Getenv("DOCKSIDE_CONFIG") != ""
	if !explicit {
		return &liveGateway{close: func() {}}, nil
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, ledgerFile)); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no ledger at %s to check against", filepath.Join(cfg.Data, ledgerFile))
	}
	l, err := openLedgerReadOnly(cfg.Data, e.Stderr)
	if err != nil {
		return nil, err
	}
	lg := &liveGateway{name: "the ledger in " + cfg.Data, close: func() { l.Close() },
		history: func(ctx context.Context, sku, loc string) ([]ledger.Movement, error) {
			var out movementList
			err := listHistory(ctx, l, sku, loc, 0, &out)
			return out.ms, err
		}}
	if _, err := os.Stat(filepath.Join(cfg.Data, "orders.db")); err == nil {
		opts, closeBook, err := gateway.OpenTryOptions(cfg.Data)
		if err != nil {
			l.Close()
			return nil, err
		}
		lg.orders, lg.shipments, lg.close = opts.Orders, opts.Shipments, func() { closeBook(); l.Close() }
	}
	return lg, nil
}

// tryView builds the JSON view of a dry run, checked against the live
// ledger when src is not nil.
func tryView(ctx context.Context, res *gateway.TryResult, ledgerName string, src historySource) (*tryJSON, error) {
	out := &tryJSON{Partner: res.Partner, File: res.File, OK: res.OK(), Ledger: ledgerName, Problems: res.Problems,
		Documents: []tryDocumentJSON{}}
	type pos struct{ sku, loc string }
	hist := map[pos][]ledger.Movement{}
	for _, d := range res.Documents {
		dj := tryDocumentJSON{Type: d.Type, Control: d.Control, Status: d.Status, Compare: d.Compare, Problems: d.Problems,
			Movements: []tryMovementJSON{}}
		if d.Order != nil {
			dj.Order = &tryOrderJSON{What: describeOrder(d.Order), TryOrder: d.Order}
		}
		if d.Shipment != nil {
			dj.Shipment = &tryShipmentJSON{What: describeShipment(d.Shipment), TryShipment: d.Shipment}
		}
		for _, m := range d.Movements {
			mj := tryMovementJSON{SourceKey: m.SourceKey, SKU: m.SKU, Location: m.Location, Kind: m.Kind, Bucket: m.Bucket,
				Effective: m.Effective, Reason: m.Reason, Reference: referenceJSON(m.Reference), AllOfOrder: releasesAll(m)}
			if !m.Expected.IsZero() {
				e := m.Expected
				mj.Expected = &e
			}
			if !mj.AllOfOrder {
				q := m.Quantity
				mj.Quantity = &q
			}
			var holds *int64
			if mj.AllOfOrder && d.Order != nil && d.Order.Settled {
				var n int64 // what the order book says it allocates there
				for _, l := range d.Order.Holds {
					if l.SKU == m.SKU && l.Location == m.Location {
						n += l.Quantity
					}
				}
				holds, mj.Quantity = &n, &n
			}
			if src != nil {
				p := pos{m.SKU, m.Location}
				h, ok := hist[p]
				if !ok {
					var err error
					if h, err = src(ctx, m.SKU, m.Location); err != nil {
						return nil, fmt.Errorf("reading the history of %s at %s: %w", m.SKU, m.Location, err)
					}
					hist[p] = h
				}
				checkLive(&mj, m, h)
				if m.Kind == ledger.KindReceipt && m.TakeInTransit && mj.DuplicateOf == 0 && !inTransit(h) {
					// As processing does (gateway/receipts944.go): a receipt
					// against a transfer nobody announced is refused.
					dj.Status, out.OK = "rejected", false
					dj.Problems = append(dj.Problems, mapping.Problem{Place: fmt.Sprintf("segment %d (W07)", m.Reference.Line),
						Reason: fmt.Sprintf("nothing is in transit for %s at %s: no 943 or 856 announced the transfer this receipt is against (W17-04/05 %s); processing would refuse the 944",
							m.SKU, m.Location, m.Reference.Order)})
				}
				if mj.AllOfOrder {
					var n int64
					for _, x := range h {
						if x.Reference.Order == m.Reference.Order {
							n += x.Delta.Allocated
						}
					}
					n = max(n, 0)
					holds, mj.Quantity = &n, &n
				}
			}
			mj.What = describeMovement(m, holds)
			dj.Movements = append(dj.Movements, mj)
		}
		out.Documents = append(out.Documents, dj)
	}
	return out, nil
}

// inTransit reports whether a position's history leaves stock in transit.
func inTransit(hist []ledger.Movement) bool {
	var n int64
	for _, x := range hist {
		n += x.Delta.InTransit
	}
	return n > 0
}

// checkLive marks a movement that the live ledger already has (same
// source key: a duplicate, posted once) or that it would record as stale
// (a count older than the newest count applied to its bucket).
func checkLive(mj *tryMovementJSON, m ledger.Movement, hist []ledger.Movement) {
	var newest time.Time
	for _, x := range hist {
		if x.SourceKey == m.SourceKey && mj.DuplicateOf == 0 {
			mj.DuplicateOf = x.ID
		}
		if x.Kind == ledger.KindSnapshot && x.Bucket == m.Bucket && !x.Stale && x.Effective.After(newest) {
			newest = x.Effective
		}
	}
	if m.Kind == ledger.KindSnapshot && mj.DuplicateOf == 0 && m.Effective.Before(newest) {
		newest = newest.In(m.Effective.Location()) // in the partner's zone, as the count's own time
		mj.Stale = true
		mj.NewerCount = &newest
	}
}

// printTryView prints a dry run for people.
func printTryView(w io.Writer, v *tryJSON) {
	for _, p := range v.Problems {
		fmt.Fprintf(w, "error: %s\n", p)
	}
	var dups, stale int
	for _, d := range v.Documents {
		fmt.Fprintf(w, "%s %s: %s, %s\n", d.Type, d.Control, d.Status, plural(len(d.Movements), "movement"))
		if d.Order != nil {
			fmt.Fprintf(w, "  %s\n", d.Order.What)
		}
		if d.Shipment != nil {
			fmt.Fprintf(w, "  %s\n", d.Shipment.What)
		}
		for _, p := range d.Problems {
			fmt.Fprintf(w, "  error: %v\n", p)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, m := range d.Movements {
			note := ""
			switch {
			case m.DuplicateOf != 0:
				dups++
				note = fmt.Sprintf("duplicate: already posted (movement %d); not counted again", m.DuplicateOf)
			case m.Stale:
				stale++
				note = fmt.Sprintf("stale: a newer %s count (%s) is applied; recorded, not applied", m.Bucket, m.NewerCount.Format(time.RFC3339))
			}
			if note != "" {
				note = "\t" + note
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s%s\n", m.What, m.Effective.Format(time.RFC3339), m.SourceKey, note)
		}
		tw.Flush()
	}
	if v.Ledger != "" {
		fmt.Fprintf(w, "against %s: %s, %s\n", v.Ledger, plural(dups, "duplicate"), plural(stale, "stale count"))
	}
}
