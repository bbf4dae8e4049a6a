-- The cluster-wide reload generation: one row, incremented each time a
-- node reloads its partner profiles at an operator's request. A node
-- that missed another node's reload notification sees a generation
-- newer than its own when it listens again and reloads. The row is made
-- here, under the migrations' lock: nodes starting together never race
-- to create it.
CREATE TABLE cluster_reload_generation (
	one        boolean PRIMARY KEY DEFAULT true CHECK (one),
	generation bigint NOT NULL
);
INSERT INTO cluster_reload_generation (one, generation) VALUES (true, 0);
