package partners

import (
	"fmt"
	"slices"
	"strings"
)

// Directory holds loaded, valid profiles and finds them by identity. It is
// immutable and safe for concurrent use; to reload, Load a new one and
// swap it in.
type Directory struct {
	profiles []*Profile            // sorted by id
	byID     map[string]*Profile   // profile id
	byISA    map[string]*Profile   // isaKey(qualifier, id)
	byISAID  map[string][]*Profile // upper-cased ISA id without qualifier
	byAS2    map[string]*Profile   // AS2 id, exact
	byUser   map[string]*Profile   // SFTP user, exact
	byToken  map[string]*Profile   // events token SHA-256, hex

	byFulfilled map[string]*Profile // our location → the warehouse partner fulfilling it
}

func newDirectory(profiles []*Profile) *Directory {
	d := &Directory{
		profiles: slices.Clone(profiles),
		byID:     map[string]*Profile{},
		byISA:    map[string]*Profile{},
		byISAID:  map[string][]*Profile{},
		byAS2:    map[string]*Profile{},
		byUser:   map[string]*Profile{},
		byToken:  map[string]*Profile{},

		byFulfilled: map[string]*Profile{},
	}
	slices.SortFunc(d.profiles, func(a, b *Profile) int { return strings.Compare(a.ID, b.ID) })
	for _, p := range d.profiles {
		d.byID[p.ID] = p
		for _, isa := range p.Identities.ISA {
			d.byISA[isaKey(isa.Qualifier, isa.ID)] = p
			id := strings.ToUpper(strings.TrimSpace(isa.ID))
			if !slices.Contains(d.byISAID[id], p) {
				d.byISAID[id] = append(d.byISAID[id], p)
			}
		}
		if p.Identities.AS2 != "" {
			d.byAS2[p.Identities.AS2] = p
		}
		if p.Identities.SFTP != nil {
			d.byUser[p.Identities.SFTP.User] = p
		}
		if p.Events != nil && p.Events.TokenSHA256 != "" {
			d.byToken[p.Events.TokenSHA256] = p
		}
		if p.Fulfils != nil {
			for loc := range p.Fulfils.Locations {
				d.byFulfilled[loc] = p
			}
		}
	}
	return d
}

// Profiles returns the profiles sorted by id. The slice is a copy; the
// profiles are shared and must not be modified.
func (d *Directory) Profiles() []*Profile { return slices.Clone(d.profiles) }

// Len returns the number of profiles.
func (d *Directory) Len() int { return len(d.profiles) }

// ByID finds a partner by profile id.
func (d *Directory) ByID(id string) (*Profile, error) {
	if p, ok := d.byID[id]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("partner id %q: %w", id, ErrUnknownPartner)
}

// ByISA finds a partner by ISA sender (ISA05 qualifier, ISA06 id). Both
// are trimmed of padding and compared without regard to case. With an
// empty qualifier the id alone is looked up, which works only while a
// single partner uses that id (else the error wraps ErrAmbiguousPartner).
func (d *Directory) ByISA(qualifier, id string) (*Profile, error) {
	if strings.TrimSpace(qualifier) == "" {
		matches := d.byISAID[strings.ToUpper(strings.TrimSpace(id))]
		switch len(matches) {
		case 1:
			return matches[0], nil
		case 0:
			return nil, fmt.Errorf("ISA id %q: %w", id, ErrUnknownPartner)
		default:
			ids := make([]string, len(matches))
			for i, p := range matches {
				ids[i] = p.ID
			}
			return nil, fmt.Errorf("ISA id %q without qualifier is used by %s: %w", id, strings.Join(ids, ", "), ErrAmbiguousPartner)
		}
	}
	if p, ok := d.byISA[isaKey(qualifier, id)]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("ISA sender %s/%s: %w", strings.TrimSpace(qualifier), strings.TrimSpace(id), ErrUnknownPartner)
}

// ByAS2 finds a partner by AS2 id (AS2-From of an inbound message): the
// id is trimmed, then compared exactly (case matters).
func (d *Directory) ByAS2(id string) (*Profile, error) {
	if p, ok := d.byAS2[strings.TrimSpace(id)]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("AS2 id %q: %w", id, ErrUnknownPartner)
}

// BySFTPUser finds a partner by its login on our SFTP server (exact).
func (d *Directory) BySFTPUser(user string) (*Profile, error) {
	if p, ok := d.byUser[user]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("SFTP user %q: %w", user, ErrUnknownPartner)
}

// ByEventToken finds the partner whose events token has this hex SHA-256
// (events.token_sha256).
func (d *Directory) ByEventToken(sha256Hex string) (*Profile, error) {
	if p, ok := d.byToken[sha256Hex]; ok && p.Events != nil {
		return p, nil
	}
	return nil, fmt.Errorf("events token: %w", ErrUnknownPartner)
}
