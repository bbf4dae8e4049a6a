-- The audit log: one row per operator action, never changed or removed.
CREATE TABLE audit_entries (
	id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at     timestamptz NOT NULL,
	who    text NOT NULL,
	remote text NOT NULL DEFAULT '',
	action text NOT NULL,
	target text NOT NULL DEFAULT '',
	detail text NOT NULL DEFAULT '',
	error  text NOT NULL DEFAULT ''
);
-- List filters by one exact field and pages by id, newest first.
CREATE INDEX audit_entries_action ON audit_entries (action, id);
CREATE INDEX audit_entries_who ON audit_entries (who, id);
CREATE INDEX audit_entries_target ON audit_entries (target, id);
