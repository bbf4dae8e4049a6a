-- Order records (orders.Record as JSON), keyed as on bbolt: k is
-- orders.KindKey(kind, partner, number), so bytea order is the bbolt
-- key order that List pages by.
CREATE TABLE orders_records (
	k       bytea PRIMARY KEY,
	kind    text NOT NULL,
	partner text COLLATE "C" NOT NULL,
	number  text COLLATE "C" NOT NULL,
	record  bytea NOT NULL
);
-- A partner's orders, in key order.
CREATE INDEX orders_records_partner ON orders_records (partner, k) WHERE kind = '';
-- The warehouse index: orders.Key(warehouse, order) → the record's key.
-- The primary key makes a warehouse order one record's, whichever node
-- writes it.
CREATE TABLE orders_by_warehouse (
	wk bytea PRIMARY KEY,
	k  bytea NOT NULL
);
CREATE INDEX orders_by_warehouse_k ON orders_by_warehouse (k);
-- Pending marks: the Change (Prev, Keys) as JSON, by record key.
CREATE TABLE orders_pending (
	k    bytea PRIMARY KEY,
	mark bytea NOT NULL
);
-- One row once the store was seeded.
CREATE TABLE orders_meta (
	name  text PRIMARY KEY,
	value text NOT NULL
);
