-- The ledger (package ledger's semantics; ledger/postgres/doc.go).
-- Times are UnixNano (bigint), exact to the nanosecond as in the bbolt
-- file; text keys use the "C" collation, so they sort by bytes as there.

-- The change sequence and the last movement ID: one row. A posting
-- transaction locks it (SELECT … FOR UPDATE) to number its postings and
-- holds it until it commits, so postings commit in sequence order: a
-- reader never sees sequence number n+1 before n.
CREATE TABLE ledger_head (
	one     boolean PRIMARY KEY DEFAULT true CHECK (one),
	seq     bigint NOT NULL DEFAULT 0,
	last_id bigint NOT NULL DEFAULT 0
);
INSERT INTO ledger_head DEFAULT VALUES;

-- One row per posting (a document's change): its movements are the IDs
-- first_id .. first_id + count - 1.
CREATE TABLE ledger_postings (
	seq      bigint PRIMARY KEY,
	document text NOT NULL,
	recorded bigint NOT NULL,
	first_id bigint NOT NULL,
	count    bigint NOT NULL
);

-- A balance per (SKU, location), with what the rules of Post keep besides
-- the figures (snapshot times, in-transit schedule: codec.go). Movements
-- name their position by id. Every posting updates the rows it touches:
-- room for HOT updates.
CREATE SEQUENCE ledger_position_ids;
CREATE TABLE ledger_positions (
	id          bigint PRIMARY KEY DEFAULT nextval('ledger_position_ids'),
	sku         text COLLATE "C" NOT NULL,
	location    text COLLATE "C" NOT NULL,
	on_hand     bigint NOT NULL,
	allocated   bigint NOT NULL,
	in_transit  bigint NOT NULL,
	damaged     bigint NOT NULL,
	quarantined bigint NOT NULL,
	seq         bigint NOT NULL,
	extra       bytea NOT NULL,
	CONSTRAINT ledger_positions_key UNIQUE (sku, location)
) WITH (fillfactor = 70);
ALTER SEQUENCE ledger_position_ids OWNED BY ledger_positions.id;
CREATE INDEX ledger_positions_location ON ledger_positions (location, sku);

-- Every recorded movement. The unique source key is the idempotency key.
-- The reference fields and the reason are one value (codec.go); the
-- recording time is the posting's.
CREATE TABLE ledger_movements (
	id            bigint PRIMARY KEY,
	seq           bigint NOT NULL,
	source_key    text COLLATE "C" NOT NULL,
	pos           bigint NOT NULL,
	kind          smallint NOT NULL,
	bucket        smallint NOT NULL,
	flags         smallint NOT NULL, -- 1 take_in_transit, 2 stale, 4 absorbed
	quantity      bigint NOT NULL,
	effective     bigint NOT NULL,
	expected      bigint, -- NULL: none
	ref           bytea NOT NULL,
	d_on_hand     bigint NOT NULL,
	d_allocated   bigint NOT NULL,
	d_in_transit  bigint NOT NULL,
	d_damaged     bigint NOT NULL,
	d_quarantined bigint NOT NULL,
	CONSTRAINT ledger_movements_source UNIQUE (source_key)
);
-- A position's timeline: as-of sums and history pages.
CREATE INDEX ledger_movements_timeline ON ledger_movements (pos, effective, id);

-- Allocations per order at a position; order '' holds what allocated
-- snapshots adjusted. Rows that come to zero are deleted.
CREATE TABLE ledger_allocations (
	pos      bigint NOT NULL,
	order_no text COLLATE "C" NOT NULL,
	quantity bigint NOT NULL,
	PRIMARY KEY (pos, order_no)
) WITH (fillfactor = 70);
