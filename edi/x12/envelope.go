package x12

import (
	"fmt"
	"strings"
)

// Interchange is one ISA/IEA envelope. Its header fields are trimmed of the
// ISA's space padding.
type Interchange struct {
	AuthQualifier     string // ISA01
	AuthInfo          string // ISA02
	SecurityQualifier string // ISA03
	SecurityInfo      string // ISA04
	SenderQualifier   string // ISA05
	SenderID          string // ISA06
	ReceiverQualifier string // ISA07
	ReceiverID        string // ISA08
	Date              string // ISA09, YYMMDD
	Time              string // ISA10, HHMM
	Standards         string // ISA11 as written (standards id or repetition separator)
	Version           string // ISA12, e.g. 00401
	Control           string // ISA13
	AckRequested      string // ISA14: 1 asks for a TA1
	Usage             string // ISA15: P production, T test, I information
	Delimiters        Delimiters
	Pos               Position

	// Errors are the interchange-level problems, with TA1 note codes.
	Errors []EnvelopeError
	// Warnings are the leniencies the reader applied to this interchange.
	Warnings []Warning
	// Groups counts the GS segments actually read.
	Groups int
	// Trailer is the IEA when it was read; nil when missing.
	Trailer *Trailer
}

// IsTest reports whether ISA15 marks the interchange as test data.
func (i *Interchange) IsTest() bool { return i.Usage == "T" }

// Accepted reports whether the interchange envelope has no errors.
func (i *Interchange) Accepted() bool { return len(i.Errors) == 0 }

// Group is one GS/GE functional group.
type Group struct {
	FunctionalID string // GS01, e.g. IB, SH, OW, FA
	AppSender    string // GS02
	AppReceiver  string // GS03
	Date         string // GS04
	Time         string // GS05
	Control      string // GS06
	Agency       string // GS07
	Version      string // GS08, e.g. 004010 or 005010X231
	Pos          Position
	Interchange  *Interchange

	// Errors are group-level problems, with AK905 codes where the standard
	// has one.
	Errors []EnvelopeError
	// Sets counts the ST segments actually read.
	Sets int
	// Trailer is the GE when it was read; nil when missing.
	Trailer *Trailer
}

// Release returns the version's release without an implementation suffix:
// "005010X231" gives "005010".
func (g *Group) Release() string {
	if len(g.Version) >= 6 {
		return g.Version[:6]
	}
	return g.Version
}

// Trailer is a GE or IEA as read: its count and control number.
type Trailer struct {
	Count   string
	Control string
	Pos     Position
}

// Transaction is one ST/SE transaction set with its segments, ST and SE
// included (SE is absent when the trailer is missing).
type Transaction struct {
	SetID    string // ST01, e.g. 846
	Control  string // ST02
	ImplRef  string // ST03 (005010 and later)
	Segments []Segment
	Group    *Group
	Pos      Position

	// Errors are envelope problems of the set (AK5/IK5 codes: trailer
	// missing, control number mismatch, wrong segment count).
	Errors []EnvelopeError
	// HasTrailer reports whether the SE was read.
	HasTrailer bool
}

// Clone returns a copy of the transaction that does not alias the decoder's
// buffers.
func (t *Transaction) Clone() *Transaction {
	c := *t
	c.Segments = make([]Segment, len(t.Segments))
	for i := range t.Segments {
		c.Segments[i] = t.Segments[i].Clone()
	}
	c.Errors = append([]EnvelopeError(nil), t.Errors...)
	return &c
}

// EnvelopeError is a problem with an envelope or control segment.
type EnvelopeError struct {
	// Code is the standard's code for the problem: a TA1 note code (I18)
	// for an interchange, an AK905 code (716) for a group, an AK502 code
	// (718) for a transaction set. Empty when the standard has none.
	Code    string
	Segment string // segment id, e.g. "IEA"
	Element int    // element position, 0 when the whole segment
	Pos     Position
	Msg     string
}

func (e EnvelopeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Pos, e.Segment)
	if e.Element > 0 {
		fmt.Fprintf(&b, "%02d", e.Element)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}
