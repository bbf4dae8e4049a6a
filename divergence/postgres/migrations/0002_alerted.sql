-- When a divergence was told of (the Monitor's WARN and webhook): set
-- once per incident by whichever node leads, so that a node taking the
-- alerts over does not tell of it again. The row, and the mark, go when
-- the divergence ends.
ALTER TABLE divergence_since ADD COLUMN alerted_at timestamptz;
