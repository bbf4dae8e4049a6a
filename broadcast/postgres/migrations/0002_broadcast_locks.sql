-- One row per partner whose advice was ever built on a cluster: the
-- node building the partner's advice holds it FOR UPDATE in a
-- transaction (on its own connection) from before the ledger is read
-- until the advice is queued and the older one superseded, so one
-- partner's advice is built by one node at a time. Its own table, not
-- broadcast_partners: Record and SetOutbox update that row meanwhile.
CREATE TABLE broadcast_locks (
	partner text COLLATE "C" PRIMARY KEY
);
