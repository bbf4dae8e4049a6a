// Package inbox is the durable store of everything Dockside receives.
//
// A received file is stored before anything else happens to it: its bytes
// land under the data folder, named by their SHA-256 (temporary file, fsync,
// rename), and its record in bbolt. A small file (up to 64 KiB) is kept in
// bbolt instead, under its SHA-256, in the commit of its record: durable
// by that commit, which concurrent receives share, without a file and two
// fsyncs of its own. Files stored before (or adopted) stay files and read
// as before. Workers then claim messages, and each claim ends in done,
// failed or duplicate; a worker may finish one and claim the next in one
// commit (FinishAndClaim). Nothing is ever lost: a failed
// message keeps its bytes and its errors with their places, and can be
// replayed after the partner's profile is fixed. After a crash, Open puts
// every message that was being processed back in the queue; the steps above
// the inbox are idempotent, so processing it again is safe. Open counts each
// such interruption in the message's Interrupted (Replay resets it), so that
// the gateway can fail a message that never gets to finish instead of
// taking it up at every start.
//
// A transport that writes large files itself (the SFTP server) may hash
// them while they arrive, through an Incoming, and hand them over with
// Adopt: the file becomes the blob by a hard link (same guarantees:
// named by its SHA-256, fsync, link, folder fsync, then the record), so
// the hand-over costs milliseconds instead of reading the file again.
//
// Duplicates: the same bytes from the same partner, or the same interchange
// (see MarkInterchange), are recorded as duplicates of the first message
// and not processed again. A resend of a message that failed is not a
// duplicate: it is processed.
//
// Searches do not read the whole inbox: every record write also keeps
// index keys (state, partner, partner and state, control number, document
// type, every message), each ordered by (received time, id), and counters
// per partner and state and per hour (see index.go). Search reads one
// index range backwards from a keyset cursor (a message id), so a page
// costs the same at any depth; free text, which no index serves, is
// bounded by Filter.MaxScan. Reader is the read interface and Storage
// everything the gateway does with an inbox; the contract suite in
// inbox/inboxtest holds for every backend (bbolt here, PostgreSQL in
// inbox/postgres).
//
// Every attempt that ends is kept in the message's History, with its
// errors and who started it (ReplayBy), so a replay does not hide the
// failure before it.
//
// Claims are fair: the next claim goes to the partner after the one served
// last, so one partner's flood cannot starve the others.
package inbox
