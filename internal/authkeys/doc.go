// Package authkeys reads OpenSSH authorized_keys lines and enforces their
// key options, for Dockside's SFTP-only server. The partner profile
// loader (partners) and the server (transports/sftp) both use it, so a
// line the server uses is exactly a line `dockside partners check`
// accepts.
//
// The format is that of sshd(8), AUTHORIZED_KEYS FILE FORMAT: optional
// comma-separated options, the key type, the base64 key, a comment.
// Option names are case-insensitive; values are double-quoted, with \"
// for a quote. One line holds one key.
//
// # Enforced options
//
// from="pattern-list": the client's address must match the list. Entries
// are comma-separated: an address (127.0.0.1, ::1), a CIDR block
// (192.0.2.0/24, 2001:db8::/32; host bits must be zero, as in OpenSSH),
// or a wildcard pattern on the address's text form, where * matches any
// run of characters and ? one character (192.0.2.*, 2001:db8:*). An entry
// led by ! refuses the addresses it matches, whatever the other entries
// say. The key is usable when some entry matches and no negated one does.
// Dockside never resolves the client's name (like sshd's default UseDNS
// no, where host patterns are matched against the address text): host
// name patterns (*.example.com, gw.example.com) could never match, and a
// negated one would silently refuse nothing, so they are refused when
// the line is read. IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are
// matched as IPv4, IPv6 zones are ignored, and IPv6 text is in RFC 5952
// form (lower case, shortest). A line holds at most one from= (write one
// list).
//
// expiry-time="YYYYMMDD[HHMM[SS]][Z]": the key is refused after that
// instant (YYYYMMDD is midnight at the start of that day). With a Z (or
// UTC) suffix the time is UTC; without, it is read in the time zone given
// to [Parse]: Dockside passes the partner profile's time_zone (UTC when
// the profile has none), never the server's local zone. Given twice, the
// earlier time applies, as in OpenSSH.
//
// Both are checked at authentication by [Key.Permit]; the server logs a
// refusal (user, address, key fingerprint, reason; no key material).
//
// # Options accepted because they are already true
//
// An SFTP-only server gives no terminal, forwards no port, agent or X11
// connection and runs no ~/.ssh/rc, so restrict, no-pty,
// no-port-forwarding, no-agent-forwarding, no-X11-forwarding and
// no-user-rc are accepted and change nothing. command="internal-sftp"
// (exactly, without flags) is accepted for the same reason: every
// session is SFTP.
//
// # Refused options
//
// Every other option is refused when the line is read, with its name and
// position ([*OptionError]): options that grant what the server never
// gives (pty, port-forwarding, agent-forwarding, X11-forwarding,
// user-rc), options it does not enforce (command= other than
// internal-sftp, environment=, permitopen=, permitlisten=, tunnel=,
// no-touch-required, verify-required), certificate options
// (cert-authority, principals=: certificate logins are not supported),
// and unknown options. A malformed from= or expiry-time=, an option given
// without its value or a flag given with one are refused the same way.
package authkeys
