// Package partners loads and validates trading-partner profiles.
//
// A profile is one YAML file per partner in a config folder (*.yaml or
// *.yml). It says who the partner is (id, role, ISA/GS/AS2/SFTP
// identities), how files travel (inbound and outbound transports),
// which acknowledgements we send and expect, how each inbound document
// maps onto the ledger (QTY qualifiers to buckets, locations, item ids,
// units, cross-reference tables) and how the scheduled 846 inventory
// advice is computed and sent.
//
// [Load] reads a folder and validates every file at once: it reports every
// problem with its place (file:line:column) and the field path, as a
// [*LoadError] holding [*ProfileError] values that wrap the sentinels of
// errors.go. A loaded [Directory] is immutable and safe for concurrent use;
// it finds a partner by ISA sender, AS2 id, SFTP user or profile id.
//
// The parsed structs are plain data: mapping, the ledger policy, broadcast
// and the transports read them. This package imports only the standard
// library, go.yaml.in/yaml/v3 and golang.org/x/crypto (to check SSH keys
// and password hashes); it knows nothing of X12 parsing or the ledger.
//
// Relative file paths in a profile (tables, certificates, keys) are
// resolved against the profile's own folder; the loaded profile holds the
// resolved paths.
package partners
