-- Outbound messages: outbox.Message as JSON (record), with the columns
-- that claims, retries, acknowledgements, health and lists use. A
-- message being sent (state 'sending') is claimed by a node until
-- lease_until (the database's clock); a claim whose lease ran out is
-- taken over. Rows are updated on every attempt: room on each page for
-- HOT updates, and autovacuum early.
CREATE TABLE outbox_messages (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key          text UNIQUE, -- idempotency key; NULL: none
	partner      text COLLATE "C" NOT NULL,
	kind         text NOT NULL,
	state        text NOT NULL,
	next_attempt timestamptz,
	ack_state    text NOT NULL DEFAULT '',
	ack_deadline timestamptz,
	claimed_by   text,
	lease_until  timestamptz,
	record       jsonb NOT NULL
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);
-- Due: the next attempts in time order; claims whose lease ran out.
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt, id) WHERE next_attempt IS NOT NULL;
CREATE INDEX outbox_messages_lease ON outbox_messages (lease_until) WHERE state = 'sending';
-- Acknowledgements awaited, by deadline (MarkOverdue, NextAckDeadline,
-- the health page's overdue count).
CREATE INDEX outbox_messages_ack_due ON outbox_messages (ack_deadline, id) WHERE ack_state = 'pending';
CREATE INDEX outbox_messages_ack_state ON outbox_messages (ack_state, id);
-- Backlog (health): counts of the messages not delivered, from the
-- index alone; lists by state and by partner, newest first.
CREATE INDEX outbox_messages_state ON outbox_messages (state, id);
CREATE INDEX outbox_messages_partner ON outbox_messages (partner, id);

-- Bytes, written once with the message.
CREATE TABLE outbox_bodies (
	id   bigint PRIMARY KEY REFERENCES outbox_messages (id),
	body bytea NOT NULL
);

-- Control numbers of what a message carries (ref 'g': GS06, 'i': ISA13)
-- and its file name ('n', for pickups), per partner: the last message
-- enqueued with one holds it.
CREATE TABLE outbox_refs (
	partner text COLLATE "C" NOT NULL,
	ref     char(1) NOT NULL,
	value   text NOT NULL,
	id      bigint NOT NULL REFERENCES outbox_messages (id),
	PRIMARY KEY (partner, ref, value)
);

-- The last control number handed out per partner and kind (isa, gs,
-- st): reserved by one UPDATE of the row, which every node queues
-- behind.
CREATE TABLE outbox_controls (
	partner text COLLATE "C" NOT NULL,
	kind    text NOT NULL,
	last    bigint NOT NULL,
	PRIMARY KEY (partner, kind)
);
