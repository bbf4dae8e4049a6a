-- The dashboard's session key, shared by every node on this database: the
-- first node that needs it inserts a random key (INSERT ... ON CONFLICT DO
-- NOTHING), every node then reads the one row.
CREATE TABLE web_session_key (
	id         smallint PRIMARY KEY CHECK (id = 1),
	key        bytea NOT NULL CHECK (length(key) >= 32),
	created_at timestamptz NOT NULL DEFAULT now()
);
