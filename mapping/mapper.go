package mapping

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// Source is where a document comes from: the parts of its movements'
// source keys and references.
type Source struct {
	Partner     string
	Interchange string // ISA13; for flat files, empty
	// InterchangeDate and InterchangeTime are ISA09 (YYMMDD) and ISA10
	// (HHMM): partners reuse ISA13 (it wraps, some restart it daily), so
	// the control numbers alone do not identify a document.
	InterchangeDate string
	InterchangeTime string
	Group           string // GS06
	Transaction     string // ST02
	FileHash        string // SHA-256 of a flat file
	FileName        string
	Received        time.Time
}

// key returns the document's key: partner + interchange (ISA13@ISA09ISA10)
// + group + transaction, or partner + file hash. Without an interchange
// date it is the legacy key.
func (s Source) key() string {
	if s.FileHash != "" || s.InterchangeDate == "" {
		return s.LegacyKey()
	}
	return s.Partner + "|" + s.Interchange + "@" + s.InterchangeDate + s.InterchangeTime + "|" + s.Group + "|" + s.Transaction
}

// LegacyKey returns the key an X12 document had before its interchange
// date and time were part of it: partner + ISA13 + GS06 + ST02 (for a flat
// file, its key, which did not change). Documents posted by earlier
// versions carry it in their source keys; see Result.LegacyKey.
func (s Source) LegacyKey() string {
	if s.FileHash != "" {
		return s.Partner + "|" + s.FileHash
	}
	return s.Partner + "|" + s.Interchange + "|" + s.Group + "|" + s.Transaction
}

// Comparison is a figure the partner sent that is kept for divergence
// checks, not posted (a 846 QTY*33, say).
type Comparison struct {
	SKU       string `json:"sku"`
	Location  string `json:"location"`
	Qualifier string `json:"qualifier"`
	Quantity  int64  `json:"quantity"`
}

// Result is what mapping one document gives.
type Result struct {
	// Key is the ledger document key; every movement's source key starts
	// with Key + "|".
	Key string
	// LegacyKey is the key earlier versions gave the same document
	// (Source.LegacyKey); equal to Key when the scheme did not change. A
	// movement posted by them has the source key LegacyKey + "|" + the
	// rest of its source key.
	LegacyKey string
	// DocType is the document's type.
	DocType partners.DocType
	// Movements are what to post (nil when the document was rejected).
	Movements []ledger.Movement
	// Compare are the figures kept for divergence checks.
	Compare []Comparison
	// Problems are the lines that could not be mapped.
	Problems []Problem
	// Skipped counts lines a table's on_miss: skip dropped.
	Skipped int
	// Lines counts the document's lines (items, rows).
	Lines int
	// Order is the order an order document (940, 850) names, or the shipment
	// a ship notice (856) names (Kind KindShipment); nil for other
	// documents. Settle it against the order as it stands (SettleOrder)
	// before posting.
	Order *Order

	free *reusable // where Release hands the slices back; nil: nowhere
}

// Document returns the ledger document to post.
func (r *Result) Document() ledger.Document {
	return ledger.Document{Key: r.Key, Movements: r.Movements}
}

// Mapper maps the documents of one partner.
type Mapper struct {
	p    *partners.Profile
	flat FlatLimits
	free reusable // slices of released results
}

// New returns the mapper of a partner's profile, with the default flat-file
// limits.
func New(p *partners.Profile) *Mapper { return &Mapper{p: p} }

// NewWithLimits returns the mapper of a partner's profile that maps flat
// files within limits.
func NewWithLimits(p *partners.Profile, limits FlatLimits) *Mapper {
	return &Mapper{p: p, flat: limits}
}

// Profile returns the mapper's profile.
func (m *Mapper) Profile() *partners.Profile { return m.p }

// mapping holds the state of mapping one document.
type mapping struct {
	p       *partners.Profile
	doc     *partners.Document
	src     Source
	res     *Result
	prefix  string           // source key prefix
	keys    keyArena         // where source keys are written
	scratch []byte           // the prefix, then the key lineKey puts together
	ref     ledger.Reference // the reference of the document's movements, but the line
	parsed  struct {         // the bucket ledgerBucket parsed last
		name   partners.Bucket
		bucket ledger.Bucket
		ok     bool
	}
	codes []codeBucket // the bucket codes bucketFor looked up
	// lastLoc is the last location translated (items of an 846 name
	// the same few, one after the other).
	lastLoc struct {
		code, ours string
		ok         bool
	}
}

// codeBucket is a partner quantity code and its bucket (ok: mapped).
type codeBucket struct {
	code string
	b    partners.Bucket
	ok   bool
}

// maxCodes bounds the codes bucketFor remembers.
const maxCodes = 8

func (m *Mapper) start(t partners.DocType, src Source) (*mapping, error) {
	doc, ok := m.p.Document(t, src.FileName)
	if !ok {
		return nil, fmt.Errorf("%s: %w (partner %s)", t, ErrNoMapping, m.p.ID)
	}
	res := &Result{Key: src.key(), LegacyKey: src.LegacyKey(), DocType: t, free: &m.free}
	return &mapping{p: m.p, doc: doc, src: src, res: res, prefix: res.Key + "|"}, nil
}

// where is the place of a line or field: a text (a flat file's
// "file:line:column") or a segment of a set. Its text is built only when
// a problem is reported.
type where struct {
	text string
	pos  int    // segment number in the set
	seg  string // segment id
}

// at is a place given as text.
func at(text string) where { return where{text: text} }

// segAt is the place of a segment.
func segAt(pos int, id string) where { return where{pos: pos, seg: id} }

func (w where) String() string {
	if w.text != "" || w.seg == "" {
		return w.text
	}
	return segPlace(w.pos, w.seg)
}

// problem records a problem.
func (mp *mapping) problem(place where, field, value, format string, args ...any) {
	mp.res.Problems = append(mp.res.Problems, Problem{Place: place.String(), Field: field, Value: value, Reason: fmt.Sprintf(format, args...),
		Segment: place.pos, SegmentID: place.seg})
}

// finish applies the document's error policy.
func (mp *mapping) finish() (*Result, error) {
	if len(mp.res.Problems) > 0 && mp.doc.OnError != partners.OnErrorPostGood {
		mp.res.free.movements.put(mp.res.Movements)
		mp.res.Movements = nil
		return mp.res, &RejectedError{Problems: mp.res.Problems}
	}
	return mp.res, nil
}

// refuse rejects the document whatever its error policy says: a problem
// that makes every line wrong.
func (mp *mapping) refuse() (*Result, error) {
	mp.res.free.movements.put(mp.res.Movements)
	mp.res.Movements = nil
	return mp.res, &RejectedError{Problems: mp.res.Problems}
}

// reference returns the reference of a movement from line.
func (mp *mapping) reference(docType string, line int, order string) ledger.Reference {
	s := mp.src
	ic := s.Interchange
	if ic == "" {
		ic = s.FileHash
	}
	return ledger.Reference{Partner: s.Partner, DocumentType: docType, Interchange: ic, Group: s.Group,
		Transaction: s.Transaction, Line: line, Order: order}
}

// sourceKey builds a movement's idempotency key from its place.
func (mp *mapping) sourceKey(parts ...string) string {
	n := len(mp.prefix)
	for _, p := range parts {
		n += len(p) + 1
	}
	a := &mp.keys
	start := a.begin(n)
	a.b.WriteString(mp.prefix)
	for i, p := range parts {
		if i > 0 {
			a.b.WriteByte('|')
		}
		a.b.WriteString(p)
	}
	return a.end(start)
}

// lineKey is sourceKey with the segment number first (the hot path of a
// large 846): put together in a scratch buffer that holds the prefix
// already, then written to the arena at once.
func (mp *mapping) lineKey(pos int, parts ...string) string {
	if len(mp.scratch) < len(mp.prefix) {
		mp.scratch = append(mp.scratch[:0], mp.prefix...)
	}
	k := strconv.AppendInt(mp.scratch[:len(mp.prefix)], int64(pos), 10)
	for _, p := range parts {
		k = append(k, '|')
		k = append(k, p...)
	}
	mp.scratch = k
	a := &mp.keys
	start := a.begin(len(k))
	a.b.Write(k)
	return a.end(start)
}

// sku resolves a partner's item ids to our SKU: the first id with a
// qualifier from the profile's order, through its lookup table. ok is
// false when the line is skipped or in error (the problem is recorded).
func (mp *mapping) sku(ids []documents.ProductID, place where) (string, bool) {
	items := mp.doc.Mapping.Items
	var q, id string
	for _, want := range items.Order {
		if v := documents.FindID(ids, want); v != "" {
			q, id = want, v
			break
		}
	}
	if id == "" {
		mp.problem(place, "item id", describeIDs(ids), "none of the qualifiers %s", strings.Join(items.Order, ", "))
		return "", false
	}
	return mp.lookup(items.Lookup, id, place, "item", q)
}

// lookup translates v through the named table (none: v itself).
// A problem names field, and qual after it when set (built only then).
func (mp *mapping) lookup(table, v string, place where, field, qual string) (string, bool) {
	if table == "" {
		return v, true
	}
	t := mp.p.Table(table)
	if t == nil {
		mp.problem(place, strings.TrimSpace(field+" "+qual), v, "table %q is not defined", table)
		return "", false
	}
	if out, ok := t.Find(v); ok {
		return out, true
	}
	switch t.OnMiss {
	case partners.MissPass:
		return v, true
	case partners.MissSkip:
		mp.res.Skipped++
		return "", false
	}
	if qual != "" {
		field += " " + qual
	}
	mp.problem(place, field, v, "not found in table %q", table)
	return "", false
}

// location translates a partner location code to ours.
func (mp *mapping) location(code string, place where) (string, bool) {
	if code == "" {
		mp.problem(place, "location", "", "no location")
		return "", false
	}
	if l := &mp.lastLoc; l.ok && l.code == code {
		return l.ours, true
	}
	ours, ok := mp.lookup(mp.doc.Mapping.Warehouses, code, place, "location", "")
	if ok {
		mp.lastLoc.code, mp.lastLoc.ours, mp.lastLoc.ok = code, ours, true
	}
	return ours, ok
}

// quantity converts a partner quantity in unit to our base unit.
func (mp *mapping) quantity(q documents.Decimal, unit, sku string, place where) (int64, bool) {
	n, err := q.Int64()
	if err != nil {
		mp.problem(place, "quantity", string(q), "not a whole number")
		return 0, false
	}
	f, ok := mp.factor(unit, sku, place)
	if !ok {
		return 0, false
	}
	if f != 1 && (n > math.MaxInt64/f || n < math.MinInt64/f) {
		mp.problem(place, "quantity", string(q), "overflows after converting %s to %s", unit, mp.doc.Mapping.Units.Base)
		return 0, false
	}
	return n * f, true
}

// factor returns how many base units one unit is.
func (mp *mapping) factor(unit, sku string, place where) (int64, bool) {
	u := &mp.doc.Mapping.Units
	if unit == "" || unit == u.Base || strings.EqualFold(unit, u.Base) {
		return 1, true
	}
	conv, ok := u.Convert[unit]
	if !ok {
		mp.problem(place, "unit", unit, "no conversion to %s", u.Base)
		return 0, false
	}
	if conv.Table == "" {
		return int64(conv.Factor), true
	}
	t := mp.p.Table(conv.Table)
	if t == nil {
		mp.problem(place, "unit", unit, "table %q is not defined", conv.Table)
		return 0, false
	}
	v, found := t.Find(sku)
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if !found || err != nil || n < 1 {
		mp.problem(place, "unit", unit, "no pack size for %s in table %q", sku, conv.Table)
		return 0, false
	}
	return n, true
}

// bucketFor returns where a partner quantity code goes.
func (mp *mapping) bucketFor(code string, place where) (partners.Bucket, bool) {
	b, ok := mp.bucketOf(code)
	if !ok {
		mp.problem(place, "quantity qualifier", code, "not mapped to a bucket in the profile")
		return "", false
	}
	return b, true
}

// bucketOf looks a quantity code up in the profile's buckets, remembering
// the codes of the document (a few, each on every item).
func (mp *mapping) bucketOf(code string) (partners.Bucket, bool) {
	for i := range mp.codes {
		if c := &mp.codes[i]; c.code == code {
			return c.b, c.ok
		}
	}
	b, ok := mp.doc.Mapping.Buckets[code]
	if len(mp.codes) < maxCodes {
		mp.codes = append(mp.codes, codeBucket{code: code, b: b, ok: ok})
	}
	return b, ok
}

// movement builds the movement for a figure in bucket b: a snapshot of b
// for snapshot documents, the change kind of b for adjustment documents.
func (mp *mapping) movement(b partners.Bucket, qty int64, place where) (ledger.Movement, bool) {
	c, ok := mp.changeFor(b, qty, place)
	if !ok {
		return ledger.Movement{}, false
	}
	return ledger.Movement{Kind: c.kind, Bucket: c.bucket, Quantity: qty, Reason: c.reason}, true
}

// change is what a figure in a bucket does: the fields of its movement
// that depend on the bucket and on the document's content.
type change struct {
	kind   ledger.Kind
	bucket ledger.Bucket
	reason string
}

// changeFor returns the change of a figure in bucket b (see movement).
func (mp *mapping) changeFor(b partners.Bucket, qty int64, place where) (change, bool) {
	lb, err := mp.ledgerBucket(b)
	if err != nil {
		mp.problem(place, "bucket", string(b), "%v", err)
		return change{}, false
	}
	if mp.doc.Content != partners.ContentAdjustments {
		if qty < 0 {
			mp.problem(place, "quantity", strconv.FormatInt(qty, 10), "a count cannot be negative")
			return change{}, false
		}
		return change{kind: ledger.KindSnapshot, bucket: lb}, true
	}
	switch lb {
	case ledger.BucketOnHand:
		return change{kind: ledger.KindAdjust, reason: "partner adjustment"}, true
	case ledger.BucketDamaged:
		return change{kind: ledger.KindDamage}, true
	case ledger.BucketQuarantined:
		return change{kind: ledger.KindQuarantine}, true
	case ledger.BucketInTransit:
		return change{kind: ledger.KindInTransit}, true
	}
	mp.problem(place, "bucket", string(b), "adjustments of %s need an order; post them with a 940", b)
	return change{}, false
}

// ledgerBucket parses b, remembering the last bucket parsed (a document
// posts to one or two buckets, over and over).
func (mp *mapping) ledgerBucket(b partners.Bucket) (ledger.Bucket, error) {
	if mp.parsed.ok && mp.parsed.name == b {
		return mp.parsed.bucket, nil
	}
	lb, err := ledger.ParseBucket(string(b))
	if err == nil {
		mp.parsed.name, mp.parsed.bucket, mp.parsed.ok = b, lb, true
	}
	return lb, err
}

// newMovement appends a zero movement to the result's and returns it, to
// be filled in place rather than copied in. The spare capacity of a
// reused slice still holds a released document's movements: the one
// handed out is zeroed here.
func (mp *mapping) newMovement() *ledger.Movement {
	ms := mp.res.Movements
	n := len(ms)
	if n < cap(ms) {
		ms = ms[:n+1]
		ms[n] = ledger.Movement{}
	} else {
		ms = append(ms, ledger.Movement{})
	}
	mp.res.Movements = ms
	return &ms[n]
}

// x12Time reads a CCYYMMDD date and an optional HHMM[SS] time in the
// partner's time zone.
func (mp *mapping) x12Time(date, hhmm string) (time.Time, bool) {
	layout := "20060102"
	v := date
	switch {
	case len(hhmm) >= 6:
		layout, v = layout+"150405", date+hhmm[:6]
	case len(hhmm) == 4:
		layout, v = layout+"1504", date+hhmm
	}
	t, err := time.ParseInLocation(layout, v, mp.p.Location())
	return t, err == nil
}

func describeIDs(ids []documents.ProductID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.Qualifier + " " + id.ID
	}
	return strings.Join(parts, ", ")
}

func segPlace(pos int, id string) string {
	return "segment " + strconv.Itoa(pos) + " (" + id + ")"
}
