package x12

import (
	"fmt"
	"strconv"
	"strings"
)

// AckKind is the kind of functional acknowledgement.
type AckKind string

// Acknowledgement kinds.
const (
	Ack997  AckKind = "997"
	Ack999  AckKind = "999"
	AckAuto AckKind = "auto" // 999 for 005010 groups, 997 otherwise
)

// ImplRef999 is the implementation reference of the 999 (ST03, GS08).
const ImplRef999 = "005010X231"

// Resolve picks 997 or 999 for a group of the given version (GS08).
func (k AckKind) Resolve(version string) AckKind {
	if k != AckAuto && k != "" {
		return k
	}
	if version >= "005" {
		return Ack999
	}
	return Ack997
}

// IsAcknowledgement reports whether a group carries acknowledgements
// (functional id FA: 997, 999), which are never acknowledged in turn.
func IsAcknowledgement(g *Group) bool { return g.FunctionalID == "FA" }

// WriteFunctionalAck writes one 997 or 999 transaction set (ST..SE) that
// acknowledges res, with control number stControl. The enclosing GS must
// be a FA group; for a 999 its GS08 is ImplRef999.
func WriteFunctionalAck(w *Writer, kind AckKind, res *GroupResult, stControl string) error {
	g := res.Group
	kind = kind.Resolve(g.Version)
	impl := ""
	if kind == Ack999 {
		impl = ImplRef999
	}
	if err := w.BeginTransaction(string(kind), stControl, impl); err != nil {
		return err
	}
	ak1 := []string{g.FunctionalID, g.Control}
	if kind == Ack999 {
		ak1 = append(ak1, g.Version)
	}
	if err := w.WriteSegment("AK1", ak1...); err != nil {
		return err
	}
	for i := range res.Sets {
		if err := writeSetAck(w, kind, &res.Sets[i]); err != nil {
			return err
		}
	}
	ak9 := []string{res.Status(), strconv.Itoa(setsIncluded(res)), strconv.Itoa(len(res.Sets)), strconv.Itoa(setsAccepted(res))}
	ak9 = append(ak9, res.GroupCodes()...)
	if err := w.WriteSegment("AK9", ak9...); err != nil {
		return err
	}
	return w.EndTransaction()
}

// setsIncluded is AK902: the number of sets the GE says the group holds,
// or the number received when there is no usable GE01.
func setsIncluded(res *GroupResult) int {
	if tr := res.Group.Trailer; tr != nil {
		if n, err := strconv.Atoi(tr.Count); err == nil && n >= 0 {
			return n
		}
	}
	return len(res.Sets)
}

// setsAccepted is AK904: none when the whole group is rejected.
func setsAccepted(res *GroupResult) int {
	if res.Status() == StatusRejected {
		return 0
	}
	return res.Accepted()
}

// maxSegmentErrors bounds the AK3/IK3 loops written per set (999 max use).
const maxSegmentErrors = 999

func writeSetAck(w *Writer, kind AckKind, s *SetResult) error {
	ak2 := []string{s.SetID, s.Control}
	if kind == Ack999 {
		ak2 = append(ak2, s.ImplRef)
	}
	if err := w.WriteSegment("AK2", ak2...); err != nil {
		return err
	}
	segID, elemID, endID := "AK3", "AK4", "AK5"
	if kind == Ack999 {
		segID, elemID, endID = "IK3", "IK4", "IK5"
	}
	for i, se := range s.Segments {
		if i == maxSegmentErrors {
			break
		}
		code := se.Code
		if kind == Ack999 && se.ImplCode != "" {
			code = se.ImplCode
		}
		if err := w.WriteSegment(segID, w.clean(se.SegmentID, 3), strconv.Itoa(se.Position), se.LoopID, code); err != nil {
			return err
		}
		for j, ee := range se.Elements {
			if j == 99 {
				break
			}
			if err := writeElementAck(w, kind, elemID, ee); err != nil {
				return err
			}
		}
	}
	status := s.Status
	if status == "" {
		status = StatusRejected
	}
	ak5 := []string{status}
	for i, c := range s.Codes {
		if i == 5 {
			break
		}
		ak5 = append(ak5, c)
	}
	return w.WriteSegment(endID, ak5...)
}

func writeElementAck(w *Writer, kind AckKind, id string, ee ElementError) error {
	pos := strconv.Itoa(ee.Position)
	if ee.Component > 0 || ee.Repetition > 0 {
		comp, rep := "", ""
		if ee.Component > 0 {
			comp = strconv.Itoa(ee.Component)
		}
		if ee.Repetition > 0 {
			rep = strconv.Itoa(ee.Repetition)
		}
		pos = w.Composite(pos, comp, rep)
	}
	code := ee.Code
	if kind == Ack999 && ee.ImplCode != "" {
		code = ee.ImplCode
	}
	return w.WriteSegment(id, pos, ee.Reference, code, w.clean(ee.Value, 99))
}

// clean makes a copy of bad data fit to be written back: delimiters and
// control characters become spaces, the length is capped.
func (w *Writer) clean(v string, max int) string {
	if len(v) > max {
		v = v[:max]
	}
	if w.multiTerm != "" {
		v = strings.ReplaceAll(v, w.multiTerm, " ")
	}
	b := []byte(v)
	for i, c := range b {
		if c < ' ' || c == 0x7f || w.bad[c] != 0 {
			b[i] = ' '
		}
	}
	return string(b)
}

// TA1 returns the elements of a TA1 segment for an interchange: its control
// number, date and time, A or R, and the first note code (000 when none).
func TA1(ic *Interchange) []string {
	status, note := StatusAccepted, NoteNoError
	if len(ic.Errors) > 0 {
		status, note = StatusRejected, ic.Errors[0].Code
		if note == "" {
			note = NoteBadContent
		}
	}
	return []string{ic.Control, ic.Date, ic.Time, status, note}
}

// AckHeader returns the ISA header of an acknowledgement interchange for
// ic: sender and receiver swapped, the given control number.
func AckHeader(ic *Interchange, control int64) InterchangeHeader {
	v := ic.Version
	if len(v) != 5 {
		v = "00401"
	}
	return InterchangeHeader{
		SenderQualifier: ic.ReceiverQualifier, SenderID: ic.ReceiverID,
		ReceiverQualifier: ic.SenderQualifier, ReceiverID: ic.SenderID,
		Version: v, Control: control, Usage: def(ic.Usage, "P"),
	}
}

// AckGroupHeader returns the GS header of the FA group acknowledging g.
func AckGroupHeader(g *Group, kind AckKind, control int64) GroupHeader {
	version := g.Version
	if kind.Resolve(g.Version) == Ack999 {
		version = ImplRef999
	}
	return GroupHeader{FunctionalID: "FA", AppSender: g.AppReceiver, AppReceiver: g.AppSender, Control: control, Version: version}
}

// String names the kind for messages.
func (k AckKind) String() string { return fmt.Sprintf("X12 %s", string(k)) }
