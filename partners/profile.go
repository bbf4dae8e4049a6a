package partners

import (
	"path"
	"time"
)

// Profile is one trading partner, loaded from one YAML file.
type Profile struct {
	// ID names the partner everywhere (folders, logs, the ledger's
	// sources): lower-case letters, digits, '.', '_' and '-'; unique.
	ID string `yaml:"id" required:"true"`
	// Name is the partner's display name.
	Name string `yaml:"name" required:"true"`
	// Role is what the partner is to us.
	Role Role `yaml:"role" required:"true"`
	// TestMode accepts interchanges marked as test (ISA15 = T) from this
	// partner; when false they are rejected.
	TestMode bool `yaml:"test_mode"`
	// TimeZone (IANA name) is used for the partner's dates without a zone
	// and for schedules without CRON_TZ; empty means UTC.
	TimeZone string `yaml:"time_zone"`
	// Identities are the ids under which the partner reaches us.
	Identities Identities `yaml:"identities"`
	// Transports are how files come in and go out.
	Transports Transports `yaml:"transports"`
	// Acks says which acknowledgements we send and expect.
	Acks Acks `yaml:"acks"`
	// Tables are the partner's cross-reference tables, by name.
	Tables map[string]*Table `yaml:"tables"`
	// Documents are the inbound documents we accept and how each maps
	// onto the ledger.
	Documents []Document `yaml:"documents"`
	// Advice is the scheduled 846 we send the partner; nil for none.
	Advice *Advice `yaml:"advice"`
	// Divergence says when a difference between the partner's figures
	// and ours is reported to an operator.
	Divergence Divergence `yaml:"divergence"`
	// Fulfils, on a warehouse partner (role 3pl), names the locations it
	// ships our orders from: orders allocating stock there are sent to it
	// as 940s. nil: the partner is sent no orders.
	Fulfils *Fulfils `yaml:"fulfils"`
	// Events is how the partner posts inventory events (docs/events.md);
	// nil for none.
	Events *Events `yaml:"events"`

	// File is the profile's file, as given to Load.
	File string `yaml:"-"`

	loc *time.Location
}

// Location returns the partner's time zone (UTC when none is set).
func (p *Profile) Location() *time.Location {
	if p.loc == nil {
		return time.UTC
	}
	return p.loc
}

// Table returns the named table, or nil.
func (p *Profile) Table(name string) *Table { return p.Tables[name] }

// Document returns the mapping for an inbound document: for X12 the
// document of that type; for flat files the first document of that type
// whose match pattern accepts the file's base name (a document without a
// pattern accepts every name).
func (p *Profile) Document(t DocType, fileName string) (*Document, bool) {
	base := path.Base(fileName)
	for i := range p.Documents {
		d := &p.Documents[i]
		if d.Type != t {
			continue
		}
		if t.IsX12() || d.Match == "" {
			return d, true
		}
		if ok, _ := path.Match(d.Match, base); ok {
			return d, true
		}
	}
	return nil, false
}

// Identities are the ids a partner uses. ISA sender ids, AS2 ids and SFTP
// users must be unique across all profiles.
type Identities struct {
	// ISA lists the partner's interchange ids (ISA05/06 inbound,
	// ISA07/08 outbound). The first one addresses what we send.
	ISA []ISAID `yaml:"isa"`
	// GS lists the partner's application codes (GS02 inbound, GS03
	// outbound); the first one addresses what we send. Empty: the ISA id.
	GS []string `yaml:"gs"`
	// AS2 is the partner's AS2 id (AS2-From inbound, AS2-To outbound):
	// 1 to 128 printable characters, compared exactly.
	AS2 string `yaml:"as2"`
	// SFTP is the partner's account on our SFTP server; nil for none.
	SFTP *SFTPAccount `yaml:"sftp"`
}

// ISAID is an interchange id with its qualifier (ISA05/06, ISA07/08).
type ISAID struct {
	// Qualifier is the 2-character id qualifier: ZZ mutually defined,
	// 01 DUNS, 12 phone, 08 UCC/EDI... Upper-case.
	Qualifier string `yaml:"qualifier" required:"true"`
	// ID is the interchange id, 1 to 15 characters, without the padding.
	ID string `yaml:"id" required:"true"`
}

// String returns "qualifier/id".
func (i ISAID) String() string { return i.Qualifier + "/" + i.ID }

// SFTPAccount is a partner's login on our SFTP server.
type SFTPAccount struct {
	// User is the login name: letters, digits, '.', '_', '-'; at most 32.
	User string `yaml:"user" required:"true"`
	// AuthorizedKeys are public keys in authorized_keys format
	// ("ssh-ed25519 AAAA... comment"), one per entry, optionally led by
	// options, which the SFTP server enforces at login: from="..."
	// (addresses, CIDR blocks, wildcards on addresses, ! to refuse; host
	// names are refused, as client names are never resolved) and
	// expiry-time="YYYYMMDD[HHMM[SS]][Z]" (in the profile's time_zone
	// unless it ends in Z). restrict, no-pty, no-port-forwarding,
	// no-agent-forwarding, no-X11-forwarding, no-user-rc and
	// command="internal-sftp" are accepted, being already true of an
	// SFTP-only server; any other option is refused when the profile is
	// loaded (partners check, reload), with its position.
	AuthorizedKeys []string `yaml:"authorized_keys"`
	// PasswordHash is a bcrypt ($2a$, $2b$, $2y$) or argon2id
	// ($argon2id$v=19$m=...,t=...,p=...$salt$hash) hash; never a clear
	// password. Empty: key login only. A bcrypt cost over 14, or argon2id
	// over m=1048576 (KiB), t=64 or p=64, is refused (as the SFTP server
	// refuses it at login; see internal/passhash).
	PasswordHash string `yaml:"password_hash"`
}

// Acks says which functional acknowledgements we send and expect.
type Acks struct {
	// Send is what we send for the partner's X12 groups (default auto).
	Send AckKind `yaml:"send"`
	// ExpectWithin is how long the partner has to acknowledge what we
	// send them before it counts as overdue; 0: we expect no ack.
	ExpectWithin time.Duration `yaml:"expect_within"`
}

func (a *Acks) setDefaults() {
	if a.Send == "" {
		a.Send = AckAuto
	}
}
