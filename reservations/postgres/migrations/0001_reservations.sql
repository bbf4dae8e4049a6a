-- The reservation API's records, one per Idempotency-Key: the primary
-- key makes a key's first reservation the only one.
CREATE TABLE reservations (
	key       text COLLATE "C" PRIMARY KEY,
	sku       text NOT NULL,
	location  text NOT NULL,
	quantity  bigint NOT NULL,
	order_no  text NOT NULL,
	available bigint NOT NULL,
	seq       bigint NOT NULL,
	created   timestamptz NOT NULL,
	replayed  boolean NOT NULL,
	released  timestamptz,
	channel   text NOT NULL,
	ship_to   boolean NOT NULL
);
