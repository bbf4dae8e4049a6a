// Package partners loads and validates trading-partner profiles.
//
// A profile is one YAML file per partner in a config folder (*.yaml or
// *.yml). It says who the partner is (id, role, ISA/GS/AS2/SFTP
// identities), how files travel (inbound and outbound transports), which
// acknowledgements we send and expect, how each inbound document maps onto
// the ledger (QTY qualifiers to buckets, locations, item ids, units,
// cross-reference tables) and how the scheduled 846 inventory advice is
// computed and sent. testdata/valid holds three commented examples: a 3PL,
// a marketplace channel and a supplier without EDI.
//
// The top-level keys of a profile:
//
//	id, name, role, test_mode, time_zone
//	identities:  isa [{qualifier, id}], gs [...], as2, sftp {user, authorized_keys, password_hash}
//	transports:  inbound / outbound: lists of {sftp | sftp_push | as2 | folder}
//	acks:        send (997 | 999 | none | auto), expect_within
//	tables:      name: {file | rows | map, keys, value, on_miss, delimiter}
//	documents:   [{type, match, content, on_error, mapping}]
//	advice:      {schedule, mode, version, debounce, items, policy}
//	fulfils:     {locations {our location: their warehouse code}, version, items, ship_within}
//
// The Go types mirror the YAML one to one (the yaml tag of each field is
// its key); their doc comments are the reference for each option and its
// default.
//
// # Loading and problems
//
// [Load] reads a folder and validates every file at once, and all of them
// together (ids and identities must be unique). It reports every problem
// with its place and field path as a [*LoadError] holding
// [*ProfileError] values, each wrapping a sentinel of errors.go:
//
//	partners/acme.yaml:14:17: documents[0].mapping.items.lookup: table "sku_xref" is not defined
//
// A problem about a value is placed at the value; a problem about a whole
// section (a mapping, a list, or an empty key) at its key; a missing field
// at the key of the section that lacks it. Problems in a table's CSV file
// are placed in that file. go-yaml gives no column for syntax errors, so
// those are placed at column 1 of their line.
//
// YAML conveniences: anchors, aliases and merge keys (<<: *base) work;
// keys starting with "x-" are ignored at every level, to hold anchors and
// notes; scalars are read as written (qualifier: 01 is "01"); booleans
// accept yes/no and on/off; durations are Go durations optionally led by
// days ("2d", "1d12h").
//
// Relative file paths in a profile (tables, certificates, keys, watched
// folders) are resolved against the profile's own folder; the loaded
// profile holds the resolved paths.
//
// # Lookups
//
// A loaded [Directory] is immutable and safe for concurrent use. It finds
// a partner by ISA sender (qualifier and id, or the id alone while
// unambiguous), AS2 id, SFTP user or profile id.
//
// The parsed structs are plain data: mapping, the ledger policy, broadcast
// and the transports read them. This package imports only the standard
// library, go.yaml.in/yaml/v3, golang.org/x/crypto (to check SSH keys
// and password hashes) and internal/authkeys (the authorized_keys parser
// the SFTP server uses too, so that an identities.sftp.authorized_keys
// line this package accepts is one the server enforces entirely); it
// knows nothing of X12 parsing or the ledger, whose bucket names and
// policy settings it mirrors.
package partners
