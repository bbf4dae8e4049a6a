package partners

import (
	"slices"
	"strconv"
	"strings"
)

// oneOf checks that v is one of the allowed values.
func oneOf[T ~string](v T, allowed ...T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return details(ErrEnum, "%s is not one of %s", strconv.Quote(string(v)), strings.Join(names, ", "))
}

// Role is what a partner is to us.
type Role string

// Roles.
const (
	Role3PL      Role = "3pl"      // third-party warehouse holding our stock
	RoleSupplier Role = "supplier" // sends us goods and stock figures
	RoleChannel  Role = "channel"  // marketplace or shop selling our stock
	RoleCustomer Role = "customer" // buys from us directly
)

func (r Role) check() error { return oneOf(r, Role3PL, RoleSupplier, RoleChannel, RoleCustomer) }

// AckKind is the functional acknowledgement we send for the X12 groups a
// partner sends us.
type AckKind string

// Acknowledgement kinds.
const (
	Ack997  AckKind = "997"  // always a 997
	Ack999  AckKind = "999"  // always a 999
	AckNone AckKind = "none" // never acknowledge
	AckAuto AckKind = "auto" // 999 for 005010 groups, 997 otherwise (the default)
)

func (a AckKind) check() error { return oneOf(a, Ack997, Ack999, AckNone, AckAuto) }

// DocType is the kind of an inbound document.
type DocType string

// Document types.
const (
	DocX12846 DocType = "x12/846" // inventory inquiry/advice
	DocX12850 DocType = "x12/850" // purchase order (a retail channel's order: allocates like a 940)
	DocX12856 DocType = "x12/856" // ship notice/manifest
	DocX12940 DocType = "x12/940" // warehouse shipping order
	DocX12943 DocType = "x12/943" // warehouse stock transfer shipment advice (inbound to the warehouse)
	DocX12944 DocType = "x12/944" // warehouse stock transfer receipt advice
	DocX12945 DocType = "x12/945" // warehouse shipping advice (a 3PL confirms what it shipped of our 940)
	DocX12947 DocType = "x12/947" // warehouse inventory adjustment advice
	DocCSV    DocType = "csv"     // delimited text file
	DocFixed  DocType = "fixed"   // fixed-width text file
	DocXLSX   DocType = "xlsx"    // Excel workbook
)

func (t DocType) check() error {
	return oneOf(t, DocX12846, DocX12850, DocX12856, DocX12940, DocX12943, DocX12944, DocX12945, DocX12947, DocCSV, DocFixed, DocXLSX)
}

// IsX12 reports whether t is an X12 transaction set.
func (t DocType) IsX12() bool { return strings.HasPrefix(string(t), "x12/") }

// IsFlat reports whether t is a flat file (CSV, fixed-width, Excel).
func (t DocType) IsFlat() bool { return t == DocCSV || t == DocFixed || t == DocXLSX }

// OnError says what happens to a document with some bad lines.
type OnError string

// Error policies.
const (
	OnErrorReject   OnError = "reject"    // post nothing from the document (the default)
	OnErrorPostGood OnError = "post_good" // post the good lines, report the bad ones
)

func (o OnError) check() error { return oneOf(o, OnErrorReject, OnErrorPostGood) }

// Content says whether a document holds absolute figures or changes.
type Content string

// Document contents.
const (
	ContentSnapshot    Content = "snapshot"    // the full stock at its locations: absolute counts
	ContentAdjustments Content = "adjustments" // changes to add to the current figures
)

func (c Content) check() error { return oneOf(c, ContentSnapshot, ContentAdjustments) }

// Bucket is the ledger bucket a partner's quantity goes to. The postable
// names are those of the ledger (ledger.ParseBucket reads them); compare
// and ignore are not posted.
type Bucket string

// Buckets.
const (
	BucketOnHand      Bucket = "on_hand"     // physically present
	BucketAllocated   Bucket = "allocated"   // reserved for orders
	BucketInTransit   Bucket = "in_transit"  // expected, not yet received
	BucketDamaged     Bucket = "damaged"     // present, not sellable: damaged
	BucketQuarantined Bucket = "quarantined" // present, not sellable: on hold
	BucketCompare     Bucket = "compare"     // not posted: kept to check divergence with our figures
	BucketIgnore      Bucket = "ignore"      // read and dropped
)

func (b Bucket) check() error {
	return oneOf(b, BucketOnHand, BucketAllocated, BucketInTransit, BucketDamaged, BucketQuarantined,
		BucketCompare, BucketIgnore)
}

// Posted reports whether quantities in b are posted to the ledger.
func (b Bucket) Posted() bool { return b != BucketCompare && b != BucketIgnore }

// LocationSource says where a document names the location of its
// quantities.
type LocationSource string

// Location sources.
const (
	LocationHeaderN1 LocationSource = "header_n1" // X12: N1 loop of the heading (856: of the shipment level)
	LocationLINN1    LocationSource = "lin_n1"    // 846: N1 loop inside each LIN loop
	LocationSDQ      LocationSource = "sdq"       // 846: SDQ location/quantity pairs
	LocationColumn   LocationSource = "column"    // flat files: the location column
	LocationFixed    LocationSource = "fixed"     // one location for the whole document (Location.ID)
)

func (s LocationSource) check() error {
	return oneOf(s, LocationHeaderN1, LocationLINN1, LocationSDQ, LocationColumn, LocationFixed)
}

// TimeSource says where a document's effective time comes from.
type TimeSource string

// Time sources.
const (
	TimeBIA      TimeSource = "bia"      // 846: BIA04 date and BIA05 time
	TimeDTM      TimeSource = "dtm"      // X12: the DTM segment with Effective.Qualifier
	TimeColumn   TimeSource = "column"   // flat files: the time column, read with Mapping.TimeFormat
	TimeReceived TimeSource = "received" // when we received the file
	TimeDocument TimeSource = "document" // 943/944/945/947: the document's own date (W06-03 shipped, W17-02 received, a W19 line's G62 else W15-01)
)

func (s TimeSource) check() error {
	return oneOf(s, TimeBIA, TimeDTM, TimeColumn, TimeReceived, TimeDocument)
}

// ShipNoticeMode says what an 856 means for the ledger.
type ShipNoticeMode string

// 856 modes.
const (
	// ModeASN: goods on their way to us: in transit at the ship-to
	// location (N1*ST), expected on the DTM*017 (or ExpectedDate) date.
	ModeASN ShipNoticeMode = "asn"
	// ModeShipmentConfirmation: the partner shipped an order (PRF01 is the
	// order number): the stock leaves the ship-from location.
	ModeShipmentConfirmation ShipNoticeMode = "shipment_confirmation"
)

func (m ShipNoticeMode) check() error { return oneOf(m, ModeASN, ModeShipmentConfirmation) }

// OnMiss says what happens when a table lookup finds nothing.
type OnMiss string

// Miss policies.
const (
	MissError OnMiss = "error" // the line is in error (the default)
	MissSkip  OnMiss = "skip"  // the line is dropped silently
	MissPass  OnMiss = "pass"  // the value is used as is
)

func (m OnMiss) check() error { return oneOf(m, MissError, MissSkip, MissPass) }

// Digest is an AS2 signature digest.
type Digest string

// Digests.
const (
	DigestSHA1   Digest = "sha1"
	DigestSHA256 Digest = "sha256" // the default
	DigestSHA384 Digest = "sha384"
	DigestSHA512 Digest = "sha512"
	DigestNone   Digest = "none" // unsigned
)

func (g Digest) check() error {
	return oneOf(g, DigestSHA1, DigestSHA256, DigestSHA384, DigestSHA512, DigestNone)
}

// Cipher is an AS2 content-encryption algorithm.
type Cipher string

// Ciphers.
const (
	CipherAES128CBC Cipher = "aes128-cbc"
	CipherAES192CBC Cipher = "aes192-cbc"
	CipherAES256CBC Cipher = "aes256-cbc" // the default
	Cipher3DES      Cipher = "3des"
	CipherNone      Cipher = "none" // not encrypted
)

func (c Cipher) check() error {
	return oneOf(c, CipherAES128CBC, CipherAES192CBC, CipherAES256CBC, Cipher3DES, CipherNone)
}

// MDNMode says how an AS2 receipt (MDN) travels.
type MDNMode string

// MDN modes.
const (
	MDNSync  MDNMode = "sync"  // in the HTTP response (the default)
	MDNAsync MDNMode = "async" // in a later HTTP request
	MDNNone  MDNMode = "none"  // no receipt
)

func (m MDNMode) check() error { return oneOf(m, MDNSync, MDNAsync, MDNNone) }

// X12Version is the X12 release of documents we send.
type X12Version string

// X12 versions.
const (
	X12V4010 X12Version = "4010" // ISA12 00401, GS08 004010 (the default)
	X12V5010 X12Version = "5010" // ISA12 00501, GS08 005010
)

func (v X12Version) check() error { return oneOf(v, X12V4010, X12V5010) }

// AdviceMode says whether an advice lists every item or only changes.
type AdviceMode string

// Advice modes.
const (
	AdviceFull  AdviceMode = "full"  // every item, every time (the default)
	AdviceDelta AdviceMode = "delta" // only items whose advised quantity changed since the last advice
)

func (m AdviceMode) check() error { return oneOf(m, AdviceFull, AdviceDelta) }

// AdviceFormat is how an advice is written.
type AdviceFormat string

// Advice formats.
const (
	AdviceX12  AdviceFormat = "x12"  // an X12 846 (the default)
	AdviceJSON AdviceFormat = "json" // the 846's JSON twin (docs/webhooks.md)
)

func (f AdviceFormat) check() error { return oneOf(f, AdviceX12, AdviceJSON) }
