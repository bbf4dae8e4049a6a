// Package orders keeps each order's life: one record per order (partner
// + order number) that follows it from received through allocated, sent
// to the warehouse that fulfils it (a 940 through the outbox) and
// acknowledged (997), to shipped (one entry per 945 shipment) and closed,
// or cancelled; with its overdue states (no 997 within the warehouse's
// ack window, no 945 within its ship window).
//
// A [Record] carries the order as it stands (mapping.OrderState, which
// mapping.Result.SettleOrder reads and produces) and its life. The record
// plans the 940s its state asks of the warehouses ([Record.Plan]) and
// notes what was sent ([Record.NoteSent]); the caller (the gateway)
// builds, enqueues and acknowledges them. [Book.Ship] applies a warehouse's
// shipment confirmation (a 945) line by line, all or nothing, once per
// (warehouse, order, shipment, line). Changes run one at a time
// ([Book.Apply]), except shipment confirmations of different orders,
// which run at once ([Book.Share]: each locks its one order). Each step
// of an order's life ([Event]) names the inbox message it came from or
// the outbound 940 it concerns.
//
// The same store keeps the ship notices' shipments (856: partner +
// BSN02, mapping.KindShipment) in a key space of their own, as state
// only. A record is written before the ledger posting that makes it
// true, marked pending ([Store.Begin]); the mark goes once the posting is
// made or refused ([Store.End]), and a mark a crash left is settled at
// the [Book]'s next read of the record ([Book.SettleMarked] settles them
// all), against the ledger.
//
// Storage is the [Store] interface; [OpenBolt] is its bbolt
// implementation (orders.db in the data folder), orders/postgres its
// PostgreSQL one. Package orderstest is the contract suite every
// implementation passes.
//
// The package imports mapping (the order state) and the typed X12
// documents (the ship-to party carried to the warehouse); nothing of the
// gateway, the outbox or the transports.
package orders
