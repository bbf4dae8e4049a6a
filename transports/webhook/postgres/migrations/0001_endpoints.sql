-- The webhook endpoints' shared list (webhook.Endpoints): disabled
-- endpoints and failure clocks, as one JSON document in its one row,
-- which writers lock (SELECT ... FOR UPDATE) to change it.
CREATE TABLE webhook_endpoints (
	id         smallint PRIMARY KEY CHECK (id = 1),
	document   text NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_endpoints (id, document) VALUES (1, '');
