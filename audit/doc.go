// Package audit keeps the log of what operators did: replays, retries,
// reservations and releases, profile reloads, advice sent now. Each entry
// says who (the token's name), when, from where, what on which object, and
// how it ended; entries are never changed or removed.
//
// Store is the interface; Bolt keeps the log in a bbolt file. Another
// backend must pass the contract tests (audittest.Run); audit/postgres
// keeps the log in PostgreSQL.
package audit
