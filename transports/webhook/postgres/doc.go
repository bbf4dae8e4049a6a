// Package postgres keeps the webhook endpoints' list (disabled endpoints
// and failure clocks, webhook.SharedState) in PostgreSQL, so that the
// gateway nodes sharing one database share it: a change stream
// subscriber or a partner's webhook disabled on one node (a 410, a long
// failure) is disabled on all, an operator's Enable on any node holds
// everywhere, and the failure clock survives a change of leader.
//
// The list is small (the endpoints disabled or failing now): it is one
// JSON document in the one row of webhook_endpoints, read at each use and
// changed under a row lock (SELECT … FOR UPDATE), so that two nodes'
// changes never overwrite each other.
//
// CopyFrom copies a stopped bbolt gateway's list (its data folder's
// webhook-endpoints.json) into the database and verifies it (`dockside
// migrate --from`).
//
// The schema is Migrations; Open refuses a database not migrated to it
// (run `dockside migrate`).
package postgres
