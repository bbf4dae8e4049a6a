-- The outcome of each received Message-ID, per partner: the record
-- (as2.ReceivedRecord without its MDN) as JSON, the MDN's bytes as they
-- are. The primary key makes a Message-ID one record; a processed one is
-- never replaced (PutReceived's upsert skips it), whichever node writes.
CREATE TABLE as2_received (
	partner    text COLLATE "C" NOT NULL,
	message_id text NOT NULL,
	processed  boolean NOT NULL,
	at         timestamptz NOT NULL,
	record     jsonb NOT NULL,
	mdn        bytea,
	PRIMARY KEY (partner, message_id)
);
ALTER TABLE as2_received ALTER COLUMN mdn SET STORAGE EXTERNAL; -- signed, rarely compressible
CREATE INDEX as2_received_at ON as2_received (at);

-- Our messages awaiting an asynchronous MDN, by our Message-ID.
CREATE TABLE as2_pending (
	message_id text PRIMARY KEY,
	sent_at    timestamptz NOT NULL,
	record     jsonb NOT NULL
);
CREATE INDEX as2_pending_sent ON as2_pending (sent_at);

-- The reason of a negative asynchronous MDN, until the outbox message's
-- next attempt takes it.
CREATE TABLE as2_negative (
	outbox_id bigint PRIMARY KEY,
	reason    text NOT NULL
);
