-- Bytes: a blob per received file, in chunks. A file larger than a
-- chunk is written in one short transaction per chunk before its
-- message is recorded (a slow upload must not hold a transaction open:
-- that stops VACUUM everywhere); recorded marks the blobs a message
-- took, and Purge removes the others once a day old (uploads cut off).
CREATE TABLE inbox_blobs (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_at timestamptz NOT NULL DEFAULT now(),
	recorded   boolean NOT NULL DEFAULT false
);
CREATE INDEX inbox_blobs_unrecorded ON inbox_blobs (created_at) WHERE NOT recorded;
CREATE TABLE inbox_bodies (
	blob bigint NOT NULL REFERENCES inbox_blobs (id) ON DELETE CASCADE,
	n    integer NOT NULL,
	data bytea NOT NULL,
	PRIMARY KEY (blob, n)
);
ALTER TABLE inbox_bodies ALTER COLUMN data SET STORAGE EXTERNAL; -- hashed, rarely compressible: no TOAST compression

-- Records: the Message as JSON, with the columns searches and claims use.
CREATE TABLE inbox_messages (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	partner     text COLLATE "C" NOT NULL,
	state       text NOT NULL,
	received_at timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	purged      boolean NOT NULL DEFAULT false,
	blob        bigint REFERENCES inbox_blobs (id) ON DELETE SET NULL, -- NULL once purged
	controls    text[] NOT NULL DEFAULT '{}', -- inbox.SearchKeys
	doc_types   text[] NOT NULL DEFAULT '{}',
	record      jsonb NOT NULL
);
CREATE INDEX inbox_messages_received ON inbox_messages (received_at, id);
CREATE INDEX inbox_messages_state ON inbox_messages (state, received_at, id);
CREATE INDEX inbox_messages_partner ON inbox_messages (partner, state, received_at, id);
CREATE INDEX inbox_messages_controls ON inbox_messages USING gin (controls);
CREATE INDEX inbox_messages_doc_types ON inbox_messages USING gin (doc_types);
CREATE INDEX inbox_messages_retention ON inbox_messages (updated_at) WHERE NOT purged AND state IN ('done', 'duplicate');

-- The queue: a row per message waiting (claimed_by NULL) or claimed by a
-- node until lease_until; a claim whose lease ran out is taken over.
-- Rows are updated and deleted all day: room on each page for HOT
-- updates, and autovacuum early.
CREATE TABLE inbox_queue (
	id          bigint PRIMARY KEY REFERENCES inbox_messages (id),
	partner     text COLLATE "C" NOT NULL,
	claimed_by  text,
	lease_until timestamptz
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);
CREATE INDEX inbox_queue_turn ON inbox_queue (partner, id);

-- The first live message per partner and content, and per partner and
-- interchange: duplicates are found by these unique keys.
CREATE TABLE inbox_hashes (
	partner text COLLATE "C" NOT NULL,
	sha256  text NOT NULL,
	id      bigint NOT NULL REFERENCES inbox_messages (id),
	PRIMARY KEY (partner, sha256)
);
CREATE TABLE inbox_interchanges (
	partner text COLLATE "C" NOT NULL,
	key     text NOT NULL,
	id      bigint NOT NULL REFERENCES inbox_messages (id),
	PRIMARY KEY (partner, key)
);
