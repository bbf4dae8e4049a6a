-- The newest effective time (UnixNano) of the movements at a position,
-- NULL when not known. A snapshot at T is posted as count − balance as of
-- T, and the balance as of T is today's minus the movements effective
-- after T: where latest <= T there are none, and the posting transaction
-- does not look for them (a 200,000-item 846 summed one index range per
-- position, 0.3–0.9 s). Every posting keeps it; a position without one
-- has its movements summed as before.
ALTER TABLE ledger_positions ADD COLUMN latest bigint;
UPDATE ledger_positions p SET latest = m.latest
	FROM (SELECT pos, max(effective) AS latest FROM ledger_movements GROUP BY pos) m
	WHERE p.id = m.pos;
