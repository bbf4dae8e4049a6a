-- Broadcasts: broadcast.Broadcast as JSON, with the columns lists and
-- beliefs use. open: its fate may still change; pending: its figures
-- may still reach the channel (queued, sent, failed).
CREATE SEQUENCE broadcast_ids;
CREATE TABLE broadcast_broadcasts (
	id      bigint PRIMARY KEY,
	partner text COLLATE "C" NOT NULL,
	open    boolean NOT NULL,
	pending boolean NOT NULL,
	record  jsonb NOT NULL
);
CREATE INDEX broadcast_broadcasts_partner ON broadcast_broadcasts (partner, id);
CREATE INDEX broadcast_broadcasts_open ON broadcast_broadcasts (partner, id) WHERE open;

-- The figures each broadcast told: one row per SKU, written with COPY.
CREATE TABLE broadcast_told (
	id  bigint NOT NULL REFERENCES broadcast_broadcasts (id),
	sku text COLLATE "C" NOT NULL,
	qty bigint NOT NULL,
	PRIMARY KEY (id, sku)
);

-- What each channel holds (the figure of the last delivered advice per
-- SKU), and the SKUs whose held figure came from a rejected advice.
CREATE TABLE broadcast_believes (
	partner text COLLATE "C" NOT NULL,
	sku     text COLLATE "C" NOT NULL,
	qty     bigint NOT NULL,
	PRIMARY KEY (partner, sku)
);
CREATE TABLE broadcast_unknown (
	partner text COLLATE "C" NOT NULL,
	sku     text COLLATE "C" NOT NULL,
	qty     bigint NOT NULL,
	PRIMARY KEY (partner, sku)
);

-- broadcast.PartnerState. Its row is also the lock that puts one
-- partner's belief changes in one order across nodes.
CREATE TABLE broadcast_partners (
	partner   text COLLATE "C" PRIMARY KEY,
	examined  bigint NOT NULL DEFAULT 0,
	last      bigint NOT NULL DEFAULT 0,
	last_sent bigint NOT NULL DEFAULT 0,
	split     text NOT NULL DEFAULT ''
);
