package main

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// dataEntry is one file or folder that the data folder of a bbolt
// gateway can hold, and what `migrate --from` does with it. The table in
// docs/storage.md is built from dataFolder (dataFolderTable), and a test
// fails when a data folder holds a file, or a bbolt file a top-level
// bucket, that no entry accounts for: a store added later cannot be left
// out of the copy unnoticed.
type dataEntry struct {
	// path is relative to the data folder, '/'-separated; '*' matches
	// one name (path.Match). A trailing '/' makes it a folder: the entry
	// covers everything under it.
	path string
	// holds says what it holds.
	holds string
	// buckets are a bbolt file's top-level buckets.
	buckets []string
	// store names the storeCopies entry that copies it, "" when it is
	// not copied; by names the code that does.
	store, by string
	// why says why it is not copied (what to do instead).
	why string
	// named: files here are data left behind, which migrate names.
	named bool
}

// dataFolder lists what a bbolt gateway keeps in its data folder
// (gateway/storage.go, the gateway's Open and Serve, every Open of a
// store), copied by `migrate --from` or deliberately not.
func dataFolder() []dataEntry {
	return []dataEntry{
		{path: "ledger.db", holds: "the ledger: postings, movements, source keys, positions, change sequence",
			buckets: []string{"meta", "movements", "positions", "postings", "sources"}, store: "ledger", by: "ledger/postgres.CopyFrom"},
		{path: "audit.db", holds: "the audit log", buckets: []string{"entries"}, store: "audit", by: "audit/postgres.CopyFrom"},
		{path: "inbox/inbox.db", holds: "the inbox: messages, queue, claims, history, duplicates, keys, small bodies, search index",
			buckets: []string{"blobrefs", "bodies", "counts", "hashes", "index", "indexed", "interchanges", "keys", "messages", "meta", "processing", "queue"},
			store:   "inbox", by: "inbox/postgres.CopyFrom"},
		{path: "inbox/blobs/", holds: "the bytes of received files, by SHA-256 (`incoming` while one arrives)", store: "inbox", by: "inbox/postgres.CopyFrom, with each message"},
		{path: "outbox/outbox.db", holds: "the outbox: messages, bodies, schedule, acknowledgements, control numbers and their indexes",
			buckets: []string{"ackdue", "bodies", "byack", "bygroup", "byicn", "bykey", "byname", "bystate", "controls", "due", "messages", "stateof"},
			store:   "outbox", by: "outbox/postgres.CopyFrom"},
		{path: "broadcast.db", holds: "broadcasts, figures told, channels' beliefs, partners' state",
			buckets: []string{"believes", "broadcasts", "open", "partners", "told", "unknown"}, store: "broadcast", by: "broadcast/postgres.CopyFrom"},
		{path: "orders.db", holds: "the order book: records, warehouse index, pending marks",
			buckets: []string{"bywarehouse", "meta", "orders", "pending"}, store: "orders", by: "orders/postgres.CopyFrom"},
		{path: "divergence.db", holds: "partners' reported figures, first-seen times",
			buckets: []string{"reported", "since"}, store: "divergence", by: "divergence/postgres.CopyFrom"},
		{path: "as2/as2.db", holds: "AS2 Message-ID outcomes and MDNs, pending MDNs, negative reasons",
			buckets: []string{"negative", "pending", "received"}, store: "as2", by: "transports/as2/postgres.CopyFrom"},
		{path: "reservations.db", holds: "the reservation API's records", buckets: []string{"reservations"}, store: "reservations", by: "reservations/postgres.CopyFrom"},
		{path: "sftp/*/out/", holds: "files waiting for partners to pick up over SFTP", store: "sftp_out", by: "transports/sftp/postgres.CopyFrom"},
		{path: "change-cursors.db", holds: "the change stream's cursors (NATS publisher, webhook subscribers)",
			buckets: []string{"cursors"}, store: "stream", by: "events/stream/postgres.CopyFrom"},
		{path: "webhook-cursors.db", holds: "webhook subscribers' cursors of a version before change-cursors.db (serve moves them at start)",
			buckets: []string{"cursors"}, store: "stream", by: "events/stream/postgres.CopyFrom, under the names serve would move them to"},
		{path: "webhook-endpoints.json", holds: "webhook endpoints disabled after a 410 or a long failure, failure clocks",
			store: "webhook", by: "transports/webhook/postgres.CopyFrom"},

		{path: "webhook-cursors.db.migrated", holds: "the older cursor file once serve moved its cursors", buckets: []string{"cursors"},
			why: "its cursors were moved into change-cursors.db; it is not read again"},
		{path: "keys/", holds: "SFTP host keys (`ssh_host_*_key`)",
			why: "the node's own; every node needs the same ones: copy `keys/` to each by hand (deploy.md)"},
		{path: "as2/as2-key.pem", holds: "the AS2 private key", why: "the node's own: copy it to every node by hand (deploy.md)"},
		{path: "as2/as2-cert.pem", holds: "the AS2 certificate", why: "the node's own: copy it to every node by hand (deploy.md)"},
		{path: "as2/spool/", holds: "AS2 bodies over 1 MiB while they arrive", why: "in flight only; empty once serve stopped"},
		{path: "sftp/*/in/", holds: "uploads the inbox has not stored (kept for the sweep) and partial uploads (`.part`)",
			why:   "the node's own; start the bbolt gateway once more before copying (its sweep offers them to the inbox at start), or move them to a new node's `sftp/<partner>/in/`; migrate names them",
			named: true},
		{path: "session-key", holds: "the dashboard's session key",
			why: "PostgreSQL replaces it with `web_session_key`, made by the first node (operators log in again); or set `http.session_key_file`"},
		{path: "operator-token", holds: "the operator token minted for a configuration without tokens",
			why: "made anew at each start of serve without `http.tokens`; nothing to keep"},
		{path: "demo-partners/", holds: "the demo partner profiles, written when `partners:` is not set",
			why: "configuration, not state; each node writes its own, or give every node the same `partners:`"},
		{path: "drop/*/archive/", holds: "files the demo watched folder handed to the inbox",
			why: "kept by the watched folder for the operator; the inbox holds each (copied with it)"},
		{path: "drop/*/failed/", holds: "files of the demo watched folder the gateway could not process",
			why: "kept by the watched folder for the operator; the inbox holds each (copied with it)"},
		{path: "drop/", holds: "the demo partner northwind's watched folder (`../drop/northwind` from `demo-partners/`): files waiting, and in `processing/`",
			why:   "watched folders are each node's own (deploy.md); a file not yet picked up waits for the node watching it; migrate names them",
			named: true},
		{path: "serve.pid", holds: "serve's process id while it runs", why: "removed when serve stops; left only by a crash"},
		{path: "http-address", holds: "serve's HTTP address while it runs", why: "removed when serve stops; left only by a crash"},
		{path: "cluster-node.lock", holds: "the lock of the node running from the folder (PostgreSQL storage only)", why: "the node's own"},
		{path: "cluster-node", holds: "the name of the node that ran last from the folder (PostgreSQL storage only)", why: "the node's own"},
	}
}

// entryFor returns the entry that accounts for the file at rel
// ('/'-separated, relative to the data folder).
func entryFor(entries []dataEntry, rel string) (dataEntry, bool) {
	parts := strings.Split(rel, "/")
	for _, e := range entries {
		p, folder := strings.CutSuffix(e.path, "/")
		n := strings.Count(p, "/") + 1
		if folder && len(parts) <= n || !folder && len(parts) != n {
			continue
		}
		if ok, _ := path.Match(p, strings.Join(parts[:n], "/")); ok {
			return e, true
		}
	}
	return dataEntry{}, false
}

// leftBehind returns the files of data that hold data migrate does not
// copy (entries marked named), '/'-separated, relative to data.
func leftBehind(data string) ([]string, error) {
	entries := dataFolder()
	var out []string
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(data, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if e, ok := entryFor(entries, rel); ok && e.named {
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}

// dataFolderTable is the table of docs/storage.md, from dataFolder.
func dataFolderTable() string {
	var b strings.Builder
	b.WriteString("| In the data folder | Holds | bbolt buckets | `migrate --from` |\n|---|---|---|---|\n")
	for _, e := range dataFolder() {
		buckets := "—"
		if len(e.buckets) > 0 {
			buckets = "`" + strings.Join(e.buckets, "`, `") + "`"
		}
		what := "not copied: " + e.why
		if e.store != "" {
			what = fmt.Sprintf("copied (`%s`): %s", e.store, e.by)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", e.path, e.holds, buckets, what)
	}
	return b.String()
}
