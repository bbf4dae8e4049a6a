-- The change stream's durable cursors: one row per subscriber, the change
-- sequence of the last posting its sink confirmed. seq holds the uint64
-- bit for bit (values past 2^63 read as negative here).
CREATE TABLE stream_cursors (
	name       text COLLATE "C" PRIMARY KEY,
	seq        bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
