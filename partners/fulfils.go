package partners

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Fulfils says which of our locations a warehouse partner (a 3PL) ships
// from, and how we send it orders: an order that allocates stock at one
// of these locations (a channel's 940 today) goes to the partner as a 940
// through the outbox, and the partner's 945 answers it. A location is
// fulfilled by one partner at most.
type Fulfils struct {
	// Locations maps each of our locations the partner fulfils to the
	// partner's code for that warehouse, sent in the 940's N1*WH (N1-04,
	// qualifier 92, assigned by buyer). Required, at least one.
	Locations map[string]string `yaml:"locations" required:"true"`
	// Version is the X12 release of the 940s we send (default 4010).
	Version X12Version `yaml:"version"`
	// Items says which item id the partner gets in each W01 of our 940s.
	Items OrderItems `yaml:"items" required:"true"`
	// ShipWithin is how long the partner has, after our 940 is sent, to
	// confirm the order's shipment (945) before the order counts as
	// overdue; 0 (the default): never overdue. The 997 for the 940 is
	// expected within acks.expect_within.
	ShipWithin time.Duration `yaml:"ship_within"`
}

// OrderItems says how our SKU becomes a warehouse's item id in the W01
// lines of the 940s we send it.
type OrderItems struct {
	// Qualifier is the W01-04 product id qualifier we send (VN, UP,
	// SK...).
	Qualifier string `yaml:"qualifier" required:"true"`
	// Lookup names a table keyed by our SKU giving the warehouse's item
	// id (the profile's cross-reference); empty: our SKU is sent as is.
	// An item the table misses follows the table's on_miss: error (the
	// default) and skip hold the 940 back, with the reason on the order;
	// pass sends our SKU.
	Lookup string `yaml:"lookup"`
}

func (f *Fulfils) setDefaults() {
	if f.Version == "" {
		f.Version = X12V4010
	}
}

// LocationsSorted returns the locations the partner fulfils, sorted.
func (f *Fulfils) LocationsSorted() []string {
	return slices.Sorted(maps.Keys(f.Locations))
}

// Fulfiller returns the partner that fulfils one of our locations, or
// nil when none does.
func (d *Directory) Fulfiller(location string) *Profile {
	return d.byFulfilled[location]
}

// fulfils checks the fulfils section of one profile.
func (c *checker) fulfils() {
	f := c.p.Fulfils
	if f == nil {
		return
	}
	if c.p.Role != Role3PL {
		c.failKey("fulfils", ErrConflict, "applies to warehouse partners only (role: 3pl), not %s", c.p.Role)
	}
	if len(f.Locations) == 0 {
		c.failf("fulfils.locations", ErrRequired, "needs at least one of our locations and the partner's code for it")
	}
	for _, loc := range f.LocationsSorted() {
		path := keyPath("fulfils.locations", loc)
		if code := f.Locations[loc]; !printable(code, 80) {
			c.failf(path, ErrInvalid, "%q: want the partner's warehouse code, 1 to 80 printable characters", code)
		}
	}
	if len(c.p.Transports.Outbound) == 0 {
		c.failf("fulfils", ErrRequired, "needs an outbound transport (transports.outbound) to send the 940s")
	}
	if len(c.p.Identities.ISA) == 0 {
		c.failf("fulfils", ErrRequired, "needs identities.isa (the receiver of the 940s)")
	}
	if q := f.Items.Qualifier; q != "" && !code(q, 2, 2) {
		c.failf("fulfils.items.qualifier", ErrInvalid, "%q: want a 2-character product id qualifier (VN, UP, SK...)", q)
	}
	c.tableRef("fulfils.items.lookup", f.Items.Lookup)
}

// crossCheckFulfils reports a location fulfilled by two partners, at the
// later profile's key, naming the earlier one's place.
func crossCheckFulfils(profiles []loaded) []*ProfileError {
	var errs []*ProfileError
	first := map[string]claim{}
	for _, l := range profiles {
		f := l.p.Fulfils
		if f == nil {
			continue
		}
		for _, loc := range f.LocationsSorted() {
			path := keyPath("fulfils.locations", loc)
			if c, dup := first[loc]; dup {
				errs = append(errs, newProfileError(l.p.File, l.d.keyWhere(path), path,
					details(ErrFulfilledTwice, "location %q is already fulfilled by partner %q (%s)", loc, c.l.p.ID, c.keyWhere())))
				continue
			}
			first[loc] = claim{l, path}
		}
	}
	return errs
}

// keyWhere is the place of the claim's key, as "file:line:column".
func (c claim) keyWhere() string {
	n := c.l.d.keyWhere(c.path)
	if n == nil {
		return c.l.p.File
	}
	return fmt.Sprintf("%s:%d:%d", c.l.p.File, n.Line, n.Column)
}
