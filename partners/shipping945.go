package partners

// The profile options of a 3PL's shipping advice (x12/945): the partner
// confirms what it shipped of the 940s we sent it (see Fulfils). Its
// items go through mapping.items (the partner's id to our SKU), its
// units through mapping.units; the ship-from location is the heading
// N1*SF by default (location.qualifier), its code our location through
// mapping.warehouses, else through the partner's fulfils.locations read
// backwards; a 945 naming none ships from the location its 940 was sent
// for.

// shippingAdvice checks the options of an x12/945 document.
func (c *checker) shippingAdvice(doc *Document, p, mp, why string) {
	m := &doc.Mapping
	c.notHere(mp, why, map[string]bool{
		"buckets": m.Buckets != nil, "bucket": m.Bucket != "", "mode": m.Mode != "", "expected_date": m.ExpectedDate != "",
		"csv": m.CSV != nil, "fixed": m.Fixed != nil, "xlsx": m.XLSX != nil, "columns": m.Columns != nil,
		"time_format": m.TimeFormat != "",
	})
	if c.p.Role != Role3PL {
		c.failf(keyPath(p, "type"), ErrConflict, "x12/945 comes from warehouse partners only (role: 3pl), not %s", c.p.Role)
	}
	if c.p.Fulfils == nil {
		c.failf(keyPath(p, "type"), ErrRequired, "x12/945 needs a fulfils section: a 945 confirms a 940 we sent the partner")
	}
	if m.Location.Source == "" {
		m.Location = Location{Source: LocationHeaderN1, Qualifier: "SF"}
	}
}

// ShipFrom returns our location for a warehouse code of the partner
// named in a 945 (N1*SF): through the fulfils section's locations, read
// backwards; false when the partner fulfils no location under that code.
func (f *Fulfils) ShipFrom(code string) (string, bool) {
	for _, loc := range f.LocationsSorted() {
		if f.Locations[loc] == code {
			return loc, true
		}
	}
	return "", false
}
