package x12

import (
	"fmt"
	"strconv"
	"strings"
)

// isaField describes one fixed-width ISA element and the TA1 note for a bad
// value.
type isaField struct {
	length int
	note   string
	name   string
}

var isaFields = [17]isaField{
	1:  {2, NoteBadAuthQualifier, "authorization information qualifier"},
	2:  {10, NoteBadAuthInfo, "authorization information"},
	3:  {2, NoteBadSecQualifier, "security information qualifier"},
	4:  {10, NoteBadSecInfo, "security information"},
	5:  {2, NoteBadSenderQualifier, "sender id qualifier"},
	6:  {15, NoteBadSenderID, "sender id"},
	7:  {2, NoteBadReceiverQual, "receiver id qualifier"},
	8:  {15, NoteBadReceiverID, "receiver id"},
	9:  {6, NoteBadDate, "date"},
	10: {4, NoteBadTime, "time"},
	11: {1, NoteBadStandardsID, "standards id / repetition separator"},
	12: {5, NoteBadVersion, "version"},
	13: {9, NoteBadControlNumber, "control number"},
	14: {1, NoteBadAckRequested, "acknowledgment requested"},
	15: {1, NoteBadUsage, "usage indicator"},
	16: {1, NoteBadComponentSep, "component separator"},
}

func newInterchange(seg *Segment, d *Delimiters) *Interchange {
	t := func(i int) string { return strings.TrimSpace(seg.Text(i)) }
	ic := &Interchange{
		AuthQualifier: t(1), AuthInfo: t(2), SecurityQualifier: t(3), SecurityInfo: t(4),
		SenderQualifier: t(5), SenderID: t(6), ReceiverQualifier: t(7), ReceiverID: t(8),
		Date: t(9), Time: t(10), Standards: seg.Text(11), Version: t(12), Control: t(13),
		AckRequested: t(14), Usage: t(15), Delimiters: *d, Pos: seg.Pos,
	}
	for i := 1; i <= 16; i++ {
		if msg := checkISAElement(seg, i, ic.Version); msg != "" {
			ic.Errors = append(ic.Errors, EnvelopeError{Code: isaFields[i].note, Segment: "ISA", Element: i, Pos: seg.Pos,
				Msg: fmt.Sprintf("ISA%02d %s %q: %s", i, isaFields[i].name, seg.Text(i), msg)})
		}
	}
	return ic
}

// checkISAElement returns what is wrong with ISA element i, or "".
func checkISAElement(seg *Segment, i int, version string) string {
	raw := seg.Text(i)
	if len(raw) != isaFields[i].length {
		return fmt.Sprintf("must be %d characters, is %d", isaFields[i].length, len(raw))
	}
	v := strings.TrimSpace(raw)
	switch i {
	case 9:
		if !ValidDate("20"+v) && !ValidDate("19"+v) {
			return "not a date YYMMDD"
		}
	case 10:
		if !ValidTime(v) {
			return "not a time HHMM"
		}
	case 11:
		if version < "00402" && v != "U" {
			return "must be U before version 00402"
		}
	case 12:
		if !isDigits(v) {
			return "not a version number"
		}
	case 13:
		if !isDigits(v) {
			return "must be 9 digits"
		}
	case 14:
		if v != "0" && v != "1" {
			return "must be 0 or 1"
		}
	case 15:
		if v != "P" && v != "T" && v != "I" {
			return "must be P, T or I"
		}
	case 5, 7:
		if v == "" {
			return "is empty"
		}
	case 6, 8:
		if v == "" {
			return "is empty"
		}
	}
	return ""
}

// checkInterchangeTrailer compares the IEA with the interchange; in strict
// mode an IEA02 that matches ISA13 only without its zero padding is an
// error, otherwise a warning.
func checkInterchangeTrailer(ic *Interchange, strict bool) {
	tr := ic.Trailer
	if n, err := strconv.Atoi(tr.Count); err != nil || n != ic.Groups {
		ic.Errors = append(ic.Errors, EnvelopeError{Code: NoteBadGroupCount, Segment: "IEA", Element: 1, Pos: tr.Pos,
			Msg: fmt.Sprintf("IEA01 says %q groups, the interchange has %d", tr.Count, ic.Groups)})
	}
	match := sameControl(tr.Control, ic.Control)
	if match == controlUnpadded && strict {
		match = controlDiffers
	}
	switch match {
	case controlDiffers:
		ic.Errors = append(ic.Errors, EnvelopeError{Code: NoteControlMismatch, Segment: "IEA", Element: 2, Pos: tr.Pos,
			Msg: fmt.Sprintf("IEA02 %q does not match ISA13 %q", tr.Control, ic.Control)})
	case controlUnpadded:
		ic.Warnings = append(ic.Warnings, Warning{Pos: tr.Pos,
			Msg: fmt.Sprintf("IEA02 %q matches ISA13 %q only without zero padding", tr.Control, ic.Control)})
	}
}

type controlMatch int

const (
	controlSame controlMatch = iota
	controlUnpadded
	controlDiffers
)

// sameControl compares a trailer's control number with its header's: equal
// strings match; equal numbers written with other zero padding match
// leniently.
func sameControl(trailer, header string) controlMatch {
	if trailer == header {
		return controlSame
	}
	if isDigits(trailer) && isDigits(header) && strings.TrimLeft(trailer, "0") == strings.TrimLeft(header, "0") {
		return controlUnpadded
	}
	return controlDiffers
}

func newGroup(seg *Segment, ic *Interchange) *Group {
	g := &Group{
		FunctionalID: seg.Text(1), AppSender: seg.Text(2), AppReceiver: seg.Text(3), Date: seg.Text(4),
		Time: seg.Text(5), Control: seg.Text(6), Agency: seg.Text(7), Version: seg.Text(8),
		Pos: seg.Pos, Interchange: ic,
	}
	bad := func(code string, el int, format string, args ...any) {
		g.Errors = append(g.Errors, EnvelopeError{Code: code, Segment: "GS", Element: el, Pos: seg.Pos, Msg: fmt.Sprintf(format, args...)})
	}
	if seg.Len() < 8 {
		bad("", seg.Len()+1, "GS has %d elements, needs 8", seg.Len())
	}
	if len(g.FunctionalID) != 2 {
		bad(GroupNotSupported, 1, "GS01 functional id %q must be 2 characters", g.FunctionalID)
	}
	if !ValidDate(g.Date) && !(len(g.Date) == 6 && ValidDate("20"+g.Date)) {
		bad("", 4, "GS04 %q is not a date CCYYMMDD", g.Date)
	}
	if !ValidTime(g.Time) {
		bad("", 5, "GS05 %q is not a time HHMM[SS[d]]", g.Time)
	}
	if !isDigits(g.Control) || len(g.Control) > 9 {
		bad(GroupControlSyntax, 6, "GS06 control number %q must be 1 to 9 digits", g.Control)
	}
	if g.Version == "" {
		bad(GroupVersionNotSupported, 8, "GS08 version is empty")
	}
	return g
}

// checkGroupTrailer compares the GE with the group; strict as for
// checkInterchangeTrailer.
func checkGroupTrailer(g *Group, strict bool) {
	tr := g.Trailer
	bad := func(code string, el int, format string, args ...any) {
		g.Errors = append(g.Errors, EnvelopeError{Code: code, Segment: "GE", Element: el, Pos: tr.Pos, Msg: fmt.Sprintf(format, args...)})
	}
	if n, err := strconv.Atoi(tr.Count); err != nil || n != g.Sets {
		bad(GroupSetCountWrong, 1, "GE01 says %q transaction sets, the group has %d", tr.Count, g.Sets)
	}
	if !isDigits(tr.Control) || len(tr.Control) > 9 {
		bad(GroupControlSyntax, 2, "GE02 %q must be 1 to 9 digits", tr.Control)
	}
	match := sameControl(tr.Control, g.Control)
	if match == controlUnpadded && strict {
		match = controlDiffers
	}
	switch match {
	case controlDiffers:
		bad(GroupControlMismatch, 2, "GE02 %q does not match GS06 %q", tr.Control, g.Control)
	case controlUnpadded:
		g.Interchange.Warnings = append(g.Interchange.Warnings, Warning{Pos: tr.Pos,
			Msg: fmt.Sprintf("GE02 %q matches GS06 %q only without zero padding", tr.Control, g.Control)})
	}
}

func checkST(t *Transaction, seg *Segment) {
	if len(t.SetID) != 3 || !isDigits(t.SetID) {
		t.Errors = append(t.Errors, EnvelopeError{Code: SetBadID, Segment: "ST", Element: 1, Pos: seg.Pos,
			Msg: fmt.Sprintf("ST01 %q is not a transaction set id", t.SetID)})
	}
	if len(t.Control) < 4 || len(t.Control) > 9 {
		t.Errors = append(t.Errors, EnvelopeError{Code: SetBadControlNumber, Segment: "ST", Element: 2, Pos: seg.Pos,
			Msg: fmt.Sprintf("ST02 control number %q must be 4 to 9 characters", t.Control)})
	}
}

func checkSE(t *Transaction, seg *Segment) {
	if n, err := strconv.Atoi(seg.Text(1)); err != nil || n != len(t.Segments) {
		t.Errors = append(t.Errors, EnvelopeError{Code: SetSegmentCountWrong, Segment: "SE", Element: 1, Pos: seg.Pos,
			Msg: fmt.Sprintf("SE01 says %q segments, the set has %d", seg.Text(1), len(t.Segments))})
	}
	if se02 := seg.Text(2); se02 != t.Control {
		t.Errors = append(t.Errors, EnvelopeError{Code: SetControlMismatch, Segment: "SE", Element: 2, Pos: seg.Pos,
			Msg: fmt.Sprintf("SE02 %q does not match ST02 %q", se02, t.Control)})
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidDate reports whether s is a real date CCYYMMDD.
func ValidDate(s string) bool {
	if len(s) != 8 || !isDigits(s) {
		return false
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[4:6])
	d, _ := strconv.Atoi(s[6:])
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days[2] = 29
	}
	return d <= days[m]
}

// ValidTime reports whether s is a time HHMM, HHMMSS or HHMMSSd..d.
func ValidTime(s string) bool {
	if len(s) < 4 || len(s) == 5 || len(s) > 8 || !isDigits(s) {
		return false
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[2:4])
	if h > 23 || m > 59 {
		return false
	}
	if len(s) >= 6 {
		sec, _ := strconv.Atoi(s[4:6])
		return sec <= 59
	}
	return true
}
