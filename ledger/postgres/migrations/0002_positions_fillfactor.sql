-- A large posting updates most positions at once (a 200,000-item 846
-- snapshots every SKU): at fillfactor 70 only 58% of those updates found
-- room on their page (HOT); the rest wrote a new tuple elsewhere and an
-- entry in each of the three indexes. At 50 every page keeps room for a
-- new version of each of its rows. Applies to pages written from now on.
ALTER TABLE ledger_positions SET (fillfactor = 50);
