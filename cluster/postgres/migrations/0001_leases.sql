-- Leader leases: one row per lease, the holder's term and its fencing
-- epoch. Times are the database's (now()), never a node's clock.
CREATE TABLE cluster_leases (
	name        text PRIMARY KEY,
	holder      text NOT NULL,
	epoch       bigint NOT NULL,
	acquired_at timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL
);
