package partners

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// docRules are what a document type accepts.
type docRules struct {
	locations []LocationSource // allowed location sources, the first is the default ("" : required)
	times     []TimeSource     // allowed time sources, the first is the default
}

func rulesFor(t DocType) docRules {
	switch t {
	case DocX12846:
		return docRules{
			locations: []LocationSource{"", LocationHeaderN1, LocationLINN1, LocationSDQ, LocationFixed},
			times:     []TimeSource{TimeBIA, TimeDTM, TimeReceived},
		}
	case DocX12856:
		return docRules{
			locations: []LocationSource{LocationHeaderN1, LocationFixed},
			times:     []TimeSource{TimeDTM, TimeReceived},
		}
	case DocX12850:
		return docRules{
			locations: []LocationSource{"", LocationFixed, LocationHeaderN1},
			times:     []TimeSource{TimeReceived},
		}
	case DocX12940:
		return docRules{
			locations: []LocationSource{LocationHeaderN1, LocationFixed},
			times:     []TimeSource{TimeReceived, TimeDTM},
		}
	case DocX12943, DocX12944, DocX12947:
		return docRules{
			locations: []LocationSource{LocationHeaderN1, LocationFixed},
			times:     []TimeSource{TimeDocument, TimeReceived},
		}
	default: // flat files; the defaults depend on the columns
		return docRules{
			locations: []LocationSource{LocationColumn, LocationFixed},
			times:     []TimeSource{TimeColumn, TimeReceived},
		}
	}
}

func (c *checker) documents() {
	x12 := map[DocType]int{}
	flat := map[string]int{}
	needISA := ""
	for i := range c.p.Documents {
		doc := &c.p.Documents[i]
		p := indexPath("documents", i)
		if doc.Type == "" || doc.Type.check() != nil {
			continue // reported by the decoder
		}
		if doc.Type.IsX12() {
			if first, dup := x12[doc.Type]; dup {
				c.failf(keyPath(p, "type"), ErrConflict, "%s is already mapped by documents[%d]", doc.Type, first)
			} else {
				x12[doc.Type] = i
			}
			if needISA == "" {
				needISA = keyPath(p, "type")
			}
		} else {
			key := string(doc.Type) + "\x00" + doc.Match
			if first, dup := flat[key]; dup {
				c.failf(keyPath(p, "match"), ErrConflict, "documents[%d] already takes these %s files (give each a different match)", first, doc.Type)
			} else {
				flat[key] = i
			}
		}
		c.document(doc, p)
	}
	if needISA != "" && len(c.p.Identities.ISA) == 0 {
		c.failf(needISA, ErrRequired, "X12 documents need identities.isa (to recognize the sender)")
	}
	if len(c.p.Documents) > 0 && len(c.p.Transports.Inbound) == 0 {
		c.failf("documents", ErrRequired, "documents need an inbound transport (transports.inbound)")
	}
}

func (c *checker) document(doc *Document, p string) {
	m := &doc.Mapping
	mp := keyPath(p, "mapping")
	why := fmt.Sprintf("to %s documents", doc.Type)
	switch {
	case doc.Type == DocX12846:
		c.notHere(p, why, map[string]bool{"match": doc.Match != ""})
		c.needContent(doc, p)
		c.notHere(mp, why, map[string]bool{
			"mode": m.Mode != "", "expected_date": m.ExpectedDate != "", "bucket": m.Bucket != "",
			"csv": m.CSV != nil, "fixed": m.Fixed != nil, "xlsx": m.XLSX != nil, "columns": m.Columns != nil,
			"time_format": m.TimeFormat != "",
		})
		if len(m.Buckets) == 0 {
			c.failf(keyPath(mp, "buckets"), ErrRequired, "is required: which QTY01 qualifiers go to which bucket (e.g. \"17\": on_hand)")
		}
		for qual := range m.Buckets {
			if !code(qual, 2, 2) {
				c.failKey(keyPath(keyPath(mp, "buckets"), qual), ErrInvalid, "%q is not a QTY01 qualifier (2 letters or digits)", qual)
			}
		}
		if m.Location.Source == "" {
			c.failf(keyPath(mp, "location"), ErrRequired, "is required: where the 846 names its locations (header_n1, lin_n1, sdq or fixed)")
		}
	case doc.Type == DocX12856:
		c.notHere(p, why, map[string]bool{"match": doc.Match != "", "content": doc.Content != ""})
		c.notHere(mp, why, map[string]bool{
			"buckets": m.Buckets != nil, "bucket": m.Bucket != "",
			"csv": m.CSV != nil, "fixed": m.Fixed != nil, "xlsx": m.XLSX != nil, "columns": m.Columns != nil,
			"time_format": m.TimeFormat != "",
		})
		switch m.Mode {
		case "":
			c.failf(keyPath(mp, "mode"), ErrRequired, "is required: asn or shipment_confirmation")
		case ModeASN:
			if m.ExpectedDate == "" {
				m.ExpectedDate = "017"
			}
			if m.Location.Source == "" {
				m.Location = Location{Source: LocationHeaderN1, Qualifier: "ST"}
			}
		case ModeShipmentConfirmation:
			c.notHere(mp, "to shipment_confirmation (only to asn)", map[string]bool{"expected_date": m.ExpectedDate != ""})
			if m.Location.Source == "" {
				m.Location = Location{Source: LocationHeaderN1, Qualifier: "SF"}
			}
		}
		if m.ExpectedDate != "" && !code(m.ExpectedDate, 3, 3) {
			c.failf(keyPath(mp, "expected_date"), ErrInvalid, "%q is not a DTM01 qualifier (3 digits, e.g. 017)", m.ExpectedDate)
		}
		if m.Effective.Source == "" {
			m.Effective = Effective{Source: TimeDTM, Qualifier: "011"}
		}
	case doc.Type == DocX12940:
		c.notHere(p, why, map[string]bool{"match": doc.Match != "", "content": doc.Content != ""})
		c.notHere(mp, why, map[string]bool{
			"buckets": m.Buckets != nil, "bucket": m.Bucket != "", "mode": m.Mode != "", "expected_date": m.ExpectedDate != "",
			"csv": m.CSV != nil, "fixed": m.Fixed != nil, "xlsx": m.XLSX != nil, "columns": m.Columns != nil,
			"time_format": m.TimeFormat != "",
		})
		if m.Location.Source == "" {
			m.Location = Location{Source: LocationHeaderN1, Qualifier: "WH"}
		}
	case doc.Type == DocX12850:
		c.notHere(p, why, map[string]bool{"match": doc.Match != "", "content": doc.Content != ""})
		c.notHere(mp, why, map[string]bool{
			"buckets": m.Buckets != nil, "bucket": m.Bucket != "", "mode": m.Mode != "", "expected_date": m.ExpectedDate != "",
			"csv": m.CSV != nil, "fixed": m.Fixed != nil, "xlsx": m.XLSX != nil, "columns": m.Columns != nil,
			"time_format": m.TimeFormat != "",
		})
		if m.Location.Source == "" {
			// No default: an 850 names the retailer's stores (N1*ST, SDQ),
			// not where we ship from.
			c.failf(keyPath(mp, "location"), ErrRequired, "is required: where the 850's lines are allocated: {source: fixed, id: CODE} "+
				"(one location for every order), or {source: header_n1, qualifier: SF} when the channel names our warehouse")
		}
	case doc.Type == DocX12943 || doc.Type == DocX12944 || doc.Type == DocX12947:
		c.notHere(p, why, map[string]bool{"match": doc.Match != "", "content": doc.Content != ""})
		c.warehouse(doc, mp, why)
	case doc.Type.IsFlat():
		c.flat(doc, p)
	}
	if doc.Type != DocX12943 && doc.Type != DocX12944 && doc.Type != DocX12947 {
		c.notWarehouse(doc, mp, why)
	}
	rules := rulesFor(doc.Type)
	if m.Location.Source == "" {
		m.Location.Source = rules.locations[0]
	}
	if m.Effective.Source == "" {
		m.Effective.Source = rules.times[0]
	}
	c.location(&m.Location, keyPath(mp, "location"), rules, why)
	c.effective(&m.Effective, keyPath(mp, "effective"), rules, why)
	c.items(doc, mp)
	c.units(&m.Units, keyPath(mp, "units"))
	c.tableRef(keyPath(mp, "warehouses"), m.Warehouses)
}

func (c *checker) needContent(doc *Document, p string) {
	if doc.Content == "" {
		c.failf(keyPath(p, "content"), ErrRequired, "is required: snapshot (absolute counts) or adjustments (changes)")
	}
}

func (c *checker) location(l *Location, p string, rules docRules, why string) {
	if l.Source == "" {
		return // reported as required
	}
	if !slices.Contains(rules.locations, l.Source) {
		c.failf(keyPath(p, "source"), ErrConflict, "%s does not apply %s (want %s)", l.Source, why, sourceList(rules.locations))
		return
	}
	switch l.Source {
	case LocationHeaderN1, LocationLINN1:
		if l.Qualifier == "" {
			c.failf(keyPath(p, "qualifier"), ErrRequired, "is required: the N1-01 entity code to read (WH, ST, SF...)")
		} else if !code(l.Qualifier, 2, 3) {
			c.failf(keyPath(p, "qualifier"), ErrInvalid, "%q is not an N1-01 entity code (2 or 3 letters or digits)", l.Qualifier)
		}
		c.notHere(p, "to "+string(l.Source)+" (only to fixed)", map[string]bool{"id": l.ID != ""})
	case LocationSDQ:
		c.notHere(p, "to sdq (SDQ has no entity code)", map[string]bool{"qualifier": l.Qualifier != "", "id": l.ID != ""})
	case LocationFixed:
		if l.ID == "" {
			c.failf(keyPath(p, "id"), ErrRequired, "is required with source fixed: the partner's code of the location")
		}
		c.notHere(p, "to a fixed location", map[string]bool{"qualifier": l.Qualifier != "", "id_qualifier": l.IDQualifier != ""})
	case LocationColumn:
		c.notHere(p, "to a location column", map[string]bool{"qualifier": l.Qualifier != "", "id_qualifier": l.IDQualifier != "", "id": l.ID != ""})
	}
	if l.IDQualifier != "" && !code(l.IDQualifier, 1, 2) {
		c.failf(keyPath(p, "id_qualifier"), ErrInvalid, "%q is not an id code qualifier (1 or 2 letters or digits)", l.IDQualifier)
	}
}

func sourceList[T ~string](list []T) string {
	var names []string
	for _, s := range list {
		if s != "" {
			names = append(names, string(s))
		}
	}
	return strings.Join(names, ", ")
}

func (c *checker) effective(e *Effective, p string, rules docRules, why string) {
	if !slices.Contains(rules.times, e.Source) {
		c.failf(keyPath(p, "source"), ErrConflict, "%s does not apply %s (want %s)", e.Source, why, sourceList(rules.times))
		return
	}
	if e.Source == TimeDTM {
		if e.Qualifier == "" {
			c.failf(keyPath(p, "qualifier"), ErrRequired, "is required with source dtm: the DTM01 qualifier (e.g. 405)")
		} else if !code(e.Qualifier, 3, 3) {
			c.failf(keyPath(p, "qualifier"), ErrInvalid, "%q is not a DTM01 qualifier (3 letters or digits)", e.Qualifier)
		}
	} else {
		c.notHere(p, "to source "+string(e.Source)+" (only to dtm)", map[string]bool{"qualifier": e.Qualifier != ""})
	}
}

func (c *checker) items(doc *Document, mp string) {
	it := &doc.Mapping.Items
	ip := keyPath(mp, "items")
	if doc.Type.IsX12() {
		if len(it.Order) == 0 {
			c.failf(keyPath(ip, "order"), ErrRequired, "is required: the product id qualifiers to try, in order (SK, VN, UP...)")
		}
		seen := map[string]int{}
		for i, q := range it.Order {
			qp := indexPath(keyPath(ip, "order"), i)
			if !code(q, 2, 2) {
				c.failf(qp, ErrInvalid, "%q is not a product id qualifier (2 letters or digits)", q)
			} else if first, dup := seen[q]; dup {
				c.failf(qp, ErrInvalid, "%s is listed twice (first at [%d])", q, first)
			} else {
				seen[q] = i
			}
		}
	} else {
		c.notHere(ip, "to flat files (the sku column holds the id)", map[string]bool{"order": it.Order != nil})
	}
	c.tableRef(keyPath(ip, "lookup"), it.Lookup)
}

func (c *checker) units(u *Units, p string) {
	if !code(u.Base, 2, 2) {
		c.failf(keyPath(p, "base"), ErrInvalid, "%q is not a unit of measure code (2 letters or digits, e.g. EA)", u.Base)
	}
	cp := keyPath(p, "convert")
	for unit, conv := range u.Convert {
		up := keyPath(cp, unit)
		switch {
		case !code(unit, 2, 2):
			c.failKey(up, ErrInvalid, "%q is not a unit of measure code (2 letters or digits, e.g. CA)", unit)
		case unit == u.Base:
			c.failKey(up, ErrConflict, "%s is the base unit", unit)
		}
		c.tableRef(up, conv.Table)
	}
}

// flat checks a csv, fixed or xlsx document.
func (c *checker) flat(doc *Document, p string) {
	m := &doc.Mapping
	mp := keyPath(p, "mapping")
	why := fmt.Sprintf("to %s documents", doc.Type)
	if doc.Match != "" {
		if _, err := path.Match(doc.Match, ""); err != nil {
			c.failf(keyPath(p, "match"), ErrInvalid, "%q is not a file-name pattern: %v", doc.Match, err)
		}
	}
	c.needContent(doc, p)
	c.notHere(mp, why, map[string]bool{"mode": m.Mode != "", "expected_date": m.ExpectedDate != ""})
	cols := c.flatLayout(doc, mp)
	if m.Bucket == "" && !cols["bucket"] {
		m.Bucket = BucketOnHand
	}
	switch {
	case cols["bucket"] && len(m.Buckets) == 0:
		c.failf(keyPath(mp, "buckets"), ErrRequired, "is required with a bucket column: which of its codes go to which bucket")
	case !cols["bucket"] && m.Buckets != nil:
		c.failf(keyPath(mp, "buckets"), ErrConflict, "needs a bucket column (or use bucket: for one bucket)")
	}
	if cols["bucket"] && c.has(keyPath(mp, "bucket")) {
		c.failf(keyPath(mp, "bucket"), ErrConflict, "does not apply with a bucket column (the buckets: codes decide)")
	}
	switch {
	case m.Location.Source == "" && cols["location"]:
		m.Location.Source = LocationColumn
	case m.Location.Source == "":
		c.failf(keyPath(mp, "location"), ErrRequired, "is required without a location column: {source: fixed, id: CODE}")
	case m.Location.Source == LocationColumn && !cols["location"]:
		c.failf(keyPath(keyPath(mp, "location"), "source"), ErrConflict, "column needs a location column")
	case m.Location.Source == LocationFixed && cols["location"]:
		c.failf(keyPath(keyPath(mp, "location"), "source"), ErrConflict, "fixed would ignore the location column")
	}
	switch {
	case m.Effective.Source == "" && cols["time"]:
		m.Effective.Source = TimeColumn
	case m.Effective.Source == "":
		m.Effective.Source = TimeReceived
	case m.Effective.Source == TimeColumn && !cols["time"]:
		c.failf(keyPath(keyPath(mp, "effective"), "source"), ErrConflict, "column needs a time column")
	}
	switch {
	case cols["time"] && m.TimeFormat == "":
		m.TimeFormat = time.RFC3339
	case !cols["time"] && m.TimeFormat != "":
		c.failf(keyPath(mp, "time_format"), ErrConflict, "needs a time column")
	case m.TimeFormat != "" && !validLayout(m.TimeFormat):
		c.failf(keyPath(mp, "time_format"), ErrInvalid, "%q is not a Go time layout (e.g. 2006-01-02 15:04)", m.TimeFormat)
	}
}

// flatLayout checks the layout block that fits the document type and
// returns which optional fields (location, bucket, time, unit) it has.
func (c *checker) flatLayout(doc *Document, mp string) map[string]bool {
	m := &doc.Mapping
	why := fmt.Sprintf("to %s documents", doc.Type)
	switch doc.Type {
	case DocCSV:
		c.notHere(mp, why, map[string]bool{"fixed": m.Fixed != nil, "xlsx": m.XLSX != nil})
		if m.CSV == nil {
			m.CSV = &CSVLayout{}
			m.CSV.setDefaults()
		}
		if delimiterRune(m.CSV.Delimiter) == 0 {
			c.failf(keyPath(keyPath(mp, "csv"), "delimiter"), ErrInvalid, "%q: want one character other than quote, CR or LF (or tab)", m.CSV.Delimiter)
		}
		return c.columns(m.Columns, keyPath(mp, "columns"), m.CSV.Header, "with csv header: false")
	case DocXLSX:
		c.notHere(mp, why, map[string]bool{"fixed": m.Fixed != nil, "csv": m.CSV != nil})
		if m.XLSX == nil {
			m.XLSX = &XLSXLayout{}
			m.XLSX.setDefaults()
		}
		if m.XLSX.HeaderRow < 0 {
			c.failf(keyPath(keyPath(mp, "xlsx"), "header_row"), ErrInvalid, "%d must not be negative (0: no header row)", m.XLSX.HeaderRow)
		}
		return c.columns(m.Columns, keyPath(mp, "columns"), m.XLSX.HeaderRow > 0, "with xlsx header_row: 0")
	default: // fixed
		c.notHere(mp, why, map[string]bool{"csv": m.CSV != nil, "xlsx": m.XLSX != nil, "columns": m.Columns != nil})
		if m.Fixed == nil {
			c.failf(keyPath(mp, "fixed"), ErrRequired, "is required for fixed documents: the fields' start and length")
			return map[string]bool{}
		}
		return c.spans(m.Fixed, keyPath(mp, "fixed"))
	}
}

// columns checks csv/xlsx columns: names need a header, numbers start at 1,
// no column serves two fields.
func (c *checker) columns(cols *Columns, p string, header bool, noHeader string) map[string]bool {
	if cols == nil {
		c.failf(p, ErrRequired, "is required: which columns hold sku and quantity (and location, bucket, time, unit)")
		return map[string]bool{}
	}
	has := map[string]bool{}
	used := map[string]string{}
	for _, f := range []struct {
		name string
		col  Column
	}{
		{"sku", cols.SKU}, {"location", cols.Location}, {"quantity", cols.Quantity},
		{"bucket", cols.Bucket}, {"time", cols.Time}, {"unit", cols.Unit},
	} {
		if f.col == "" {
			continue
		}
		has[f.name] = true
		fp := keyPath(p, f.name)
		n, isNumber := f.col.Number()
		switch {
		case !isNumber && strings.TrimLeft(string(f.col), "-0123456789") == "":
			c.failf(fp, ErrInvalid, "%s: column numbers start at 1", f.col)
			continue
		case !isNumber && !header:
			c.failf(fp, ErrInvalid, "%q: %s, columns are numbers (1 is the first)", f.col, noHeader)
			continue
		}
		key := strings.ToLower(strings.TrimSpace(string(f.col)))
		if isNumber {
			key = fmt.Sprintf("#%d", n)
		}
		if other, dup := used[key]; dup {
			c.failf(fp, ErrConflict, "column %s is also the %s column", f.col, other)
		}
		used[key] = f.name
	}
	return has
}

// spans checks fixed-width fields: positive, and not overlapping.
func (c *checker) spans(f *FixedLayout, p string) map[string]bool {
	if f.SkipLines < 0 {
		c.failf(keyPath(p, "skip_lines"), ErrInvalid, "%d must not be negative", f.SkipLines)
	}
	type named struct {
		name string
		span *Span
	}
	var set []named
	has := map[string]bool{}
	fp := keyPath(p, "fields")
	for _, s := range []named{
		{"sku", f.Fields.SKU}, {"location", f.Fields.Location}, {"quantity", f.Fields.Quantity},
		{"bucket", f.Fields.Bucket}, {"time", f.Fields.Time}, {"unit", f.Fields.Unit},
	} {
		if s.span == nil {
			continue
		}
		has[s.name] = true
		sp := keyPath(fp, s.name)
		switch {
		case s.span.Start < 1:
			c.failf(keyPath(sp, "start"), ErrInvalid, "%d: columns start at 1", s.span.Start)
		case s.span.Length < 1 || s.span.Length > 10000:
			c.failf(keyPath(sp, "length"), ErrInvalid, "%d: want 1 to 10000 characters", s.span.Length)
		default:
			for _, o := range set {
				if s.span.Start < o.span.Start+o.span.Length && o.span.Start < s.span.Start+s.span.Length {
					c.failf(sp, ErrConflict, "overlaps %s (columns %d-%d)", o.name, o.span.Start, o.span.Start+o.span.Length-1)
				}
			}
			set = append(set, s)
		}
	}
	for _, req := range []string{"sku", "quantity"} {
		if !has[req] {
			c.failf(keyPath(fp, req), ErrRequired, "is required")
		}
	}
	return has
}
