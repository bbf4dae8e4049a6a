-- The live message per partner and idempotency key (inbox.Arrival.Key,
-- an HTTP Idempotency-Key): the same key again returns that message, or
-- fails (inbox.ErrKeyReused) with other bytes. A failed message lets go
-- of its key (Finish deletes the row), as of its content.
CREATE TABLE inbox_keys (
	partner text COLLATE "C" NOT NULL,
	key     text NOT NULL,
	id      bigint NOT NULL REFERENCES inbox_messages (id),
	PRIMARY KEY (partner, key)
);
