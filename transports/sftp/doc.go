// Package sftp is Dockside's SFTP transport: a server partners log in to,
// and a sender that pushes files to partners who host their own server.
//
// # Server
//
// Each partner account (see [Accounts], re-queried at every login so that
// profile reloads apply) logs in with a public key, or with a password
// checked against a bcrypt or argon2id hash. Failed logins are counted per
// source address and user, and each further attempt waits a growing delay
// (capped at a few seconds). Host keys (ed25519, and RSA for older clients)
// are generated on first start and kept in Config.HostKeyDir.
//
// A key's authorized_keys options are enforced at every login, as sshd
// does (see internal/authkeys for the exact rules): from= (addresses,
// CIDR blocks, wildcards on the address, ! to refuse; host names are
// never resolved, so host name patterns are refused when the profile is
// loaded) and expiry-time= (read in the partner profile's time_zone, UTC
// when it has none, unless it ends in Z). A key refused by its options
// is logged at WARN with the user, the address, the key's fingerprint
// and the reason, and counts as a failed login; when the same key is on
// several lines, any line whose options allow the login lets it in.
// restrict, no-pty, no-port-forwarding, no-agent-forwarding,
// no-X11-forwarding, no-user-rc and command="internal-sftp" are accepted
// because an SFTP-only server already gives none of what they take away;
// every other option is refused when the profile is loaded, so a key
// never logs in with an option that is silently ignored.
//
// A partner sees a jail of two folders and nothing else:
//
//	/in    uploads (the partner writes here)
//	/out   files for the partner to pick up (acknowledgements, advice)
//
// on disk Root/<partner>/in and Root/<partner>/out (out/ unless
// Config.Out keeps its files elsewhere, see below). Paths are resolved in
// that virtual tree first (so "..", absolute paths and other partners'
// names lead nowhere), then opened through an [os.Root] on the partner's
// folder, and symbolic links are never followed nor created.
//
// An upload under a final name is written to Root/<partner>/.incoming (not
// visible to the partner) and counts only when the client closes it: it is
// then handed to the inbox, and the client's close succeeds only once the
// inbox has stored it durably. It therefore never appears in in/: a
// partner sees in/ empty after a successful upload. When the inbox has
// the [Adopter] ability (*inbox.Store has), the upload is written through
// an inbox.Incoming, which hashes it while it arrives and starts its
// write-back, and the inbox adopts the file itself at close (a hard link
// on the same file system) instead of reading it again: the close waits
// only for the bytes not hashed yet and a short fsync. Uploads under a
// temporary name (".part", ".filepart", a name starting with a dot, or
// holding ".ocTransferId") are written in place in in/ (so clients can
// resume them) and count only when renamed to a final name; the rename
// succeeds only once the inbox has stored the file. When the inbox fails,
// the client's close or rename fails, and the file is kept: a closed
// upload is moved to in/<name>, where a sweep (at start and every minute)
// offers it to the inbox again and removes it once stored.
//
// Files in out/ are kept by an [OutFolder] (Config.Out): every listing,
// stat, download and removal of out/ goes through it, always for the
// logged-in partner only (renaming in or out of out/ is refused, as
// before). By default it is [DiskOut], the jails on disk: [Server.Sender]
// writes Root/<partner>/out/<name> (temporary file, fsync, rename);
// names starting with a dot are ours (being written) and are neither
// listed nor readable, and only regular files are listed. With
// transports/sftp/postgres the files live in the database that several
// nodes share, so a partner picks up through any node what any node
// sent. A download read to its end and closed calls [Pickups.PickedUp]
// on the server that served it; the file stays in out/ until the partner
// deletes it, which is allowed. The contract every OutFolder keeps is
// the suite of transports/sftp/sftptest.
//
// Every login, failed login and transfer is logged with the partner, the
// file, its size and SHA-256, and the key's fingerprint; never a password
// or key material.
//
// # Push
//
// [NewPushSender] returns an outbox sender for partners who host their own
// server: key authentication, the server's host key pinned by a
// known_hosts line, upload under name+".part" then rename. Failed
// attempts are retried by the outbox.
package sftp
