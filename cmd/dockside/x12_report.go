package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12"
)

// The JSON shape of `dockside x12 validate --json`.
type validationJSON struct {
	Files []fileJSON `json:"files"`
}

type fileJSON struct {
	File         string            `json:"file"`
	Error        string            `json:"error,omitempty"`
	Interchanges []interchangeJSON `json:"interchanges"`
}

type interchangeJSON struct {
	Control  string      `json:"control"`
	Sender   string      `json:"sender"`
	Receiver string      `json:"receiver"`
	Usage    string      `json:"usage"`
	Status   string      `json:"status"`
	Errors   []errorJSON `json:"errors"`
	Warnings []string    `json:"warnings"`
	Groups   []groupJSON `json:"groups"`
}

type groupJSON struct {
	Control      string      `json:"control"`
	FunctionalID string      `json:"functional_id"`
	Version      string      `json:"version"`
	Status       string      `json:"status"`
	Errors       []errorJSON `json:"errors"`
	Transactions []setJSON   `json:"transactions"`
}

type setJSON struct {
	Control string      `json:"control"`
	Set     string      `json:"set"`
	Status  string      `json:"status"`
	Codes   []string    `json:"codes"`
	Errors  []errorJSON `json:"errors"`
}

// errorJSON is one problem. Level says which code list Code is from:
// "interchange" (TA1 notes), "group" (AK905), "set" (AK5), "segment"
// (AK304) or "element" (AK403).
type errorJSON struct {
	Level    string `json:"level"`
	Segment  string `json:"segment"`
	Position int    `json:"position,omitempty"`
	Element  int    `json:"element,omitempty"`
	Code     string `json:"code"`
	Line     int    `json:"line"`
	Message  string `json:"message"`
}

func reportJSON(path string, rep *x12.Report) fileJSON {
	f := fileJSON{File: path, Interchanges: []interchangeJSON{}}
	if rep.Err != nil {
		f.Error = rep.Err.Error()
	}
	for _, icr := range rep.Interchanges {
		ic := icr.Interchange
		ij := interchangeJSON{Control: ic.Control, Sender: ic.SenderID, Receiver: ic.ReceiverID, Usage: ic.Usage,
			Status: interchangeStatus(ic), Errors: envelopeErrors("interchange", ic.Errors), Warnings: []string{}, Groups: []groupJSON{}}
		for _, w := range ic.Warnings {
			ij.Warnings = append(ij.Warnings, w.String())
		}
		for i := range icr.Groups {
			ij.Groups = append(ij.Groups, groupResultJSON(&icr.Groups[i]))
		}
		f.Interchanges = append(f.Interchanges, ij)
	}
	return f
}

func interchangeStatus(ic *x12.Interchange) string {
	if ic.Accepted() {
		return x12.StatusAccepted
	}
	return x12.StatusRejected
}

func groupResultJSON(g *x12.GroupResult) groupJSON {
	gj := groupJSON{Control: g.Group.Control, FunctionalID: g.Group.FunctionalID, Version: g.Group.Version,
		Status: g.Status(), Errors: envelopeErrors("group", g.Group.Errors), Transactions: []setJSON{}}
	for _, s := range g.Sets {
		sj := setJSON{Control: s.Control, Set: s.SetID, Status: s.Status, Codes: s.Codes, Errors: envelopeErrors("set", s.Envelope)}
		if sj.Codes == nil {
			sj.Codes = []string{}
		}
		for _, se := range s.Segments {
			sj.Errors = append(sj.Errors, segmentErrors(se)...)
		}
		gj.Transactions = append(gj.Transactions, sj)
	}
	return gj
}

func envelopeErrors(level string, errs []x12.EnvelopeError) []errorJSON {
	out := []errorJSON{}
	for _, e := range errs {
		out = append(out, errorJSON{Level: level, Segment: e.Segment, Position: e.Pos.SetIndex, Element: e.Element,
			Code: e.Code, Line: e.Pos.Line, Message: e.Msg})
	}
	return out
}

// segmentErrors lists a segment error as one entry per element error, or
// one entry for the segment when it has no element errors.
func segmentErrors(se x12.SegmentError) []errorJSON {
	if len(se.Elements) == 0 {
		return []errorJSON{{Level: "segment", Segment: se.SegmentID, Position: se.Position, Code: se.Code, Line: se.Pos.Line, Message: se.Msg}}
	}
	out := make([]errorJSON, 0, len(se.Elements))
	for _, ee := range se.Elements {
		out = append(out, errorJSON{Level: "element", Segment: se.SegmentID, Position: se.Position, Element: ee.Position,
			Code: ee.Code, Line: se.Pos.Line, Message: ee.Msg})
	}
	return out
}

// printReport writes the human form of a report.
func printReport(w io.Writer, path string, rep *x12.Report) {
	if len(rep.Interchanges) == 0 {
		fmt.Fprintf(w, "%s: not readable as X12: %v\n", path, rep.Err)
		return
	}
	for _, icr := range rep.Interchanges {
		ic := icr.Interchange
		fmt.Fprintf(w, "%s: interchange %s (%s -> %s, usage %s): %s\n", path, ic.Control, ic.SenderID, ic.ReceiverID, ic.Usage, verdict(interchangeStatus(ic)))
		for _, e := range ic.Errors {
			fmt.Fprintf(w, "  %s\n", describeEnvelope("TA1 note", e))
		}
		for _, wn := range ic.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", wn)
		}
		for i := range icr.Groups {
			printGroup(w, &icr.Groups[i])
		}
	}
	if rep.Err != nil {
		fmt.Fprintf(w, "%s: reading stopped: %v\n", path, rep.Err)
	}
}

func printGroup(w io.Writer, g *x12.GroupResult) {
	fmt.Fprintf(w, "  group %s %s %s: %s (%d of %d sets accepted)\n", g.Group.Control, g.Group.FunctionalID, g.Group.Version,
		verdict(g.Status()), g.Accepted(), len(g.Sets))
	for _, e := range g.Group.Errors {
		fmt.Fprintf(w, "    %s\n", describeEnvelope("AK905", e))
	}
	for _, s := range g.Sets {
		codes := ""
		if len(s.Codes) > 0 {
			codes = " (AK5 codes " + strings.Join(s.Codes, ",") + ")"
		}
		fmt.Fprintf(w, "    set %s %s: %s%s\n", s.SetID, s.Control, verdict(s.Status), codes)
		for _, e := range s.Envelope {
			fmt.Fprintf(w, "      %s\n", describeEnvelope("AK5", e))
		}
		for _, se := range s.Segments {
			for _, ej := range segmentErrors(se) {
				fmt.Fprintf(w, "      %s\n", describeSegment(ej))
			}
		}
	}
}

func describeEnvelope(codeName string, e x12.EnvelopeError) string {
	place := fmt.Sprintf("line %d", e.Pos.Line)
	if e.Segment != "" {
		place = fmt.Sprintf("%s, %s", e.Segment, place)
		if e.Element > 0 {
			place = fmt.Sprintf("%s%02d, line %d", e.Segment, e.Element, e.Pos.Line)
		}
	}
	if e.Code == "" {
		return fmt.Sprintf("%s: %s", place, e.Msg)
	}
	return fmt.Sprintf("%s: %s %s: %s", place, codeName, e.Code, e.Msg)
}

func describeSegment(e errorJSON) string {
	if e.Level == "element" {
		return fmt.Sprintf("%s%02d (segment %d in set, line %d): AK4 code %s: %s", e.Segment, e.Element, e.Position, e.Line, e.Code, e.Message)
	}
	return fmt.Sprintf("%s (segment %d in set, line %d): AK3 code %s: %s", e.Segment, e.Position, e.Line, e.Code, e.Message)
}

func verdict(status string) string {
	switch status {
	case x12.StatusAccepted:
		return "accepted (A)"
	case x12.StatusAcceptedErrors:
		return "accepted with errors (E)"
	case x12.StatusPartial:
		return "partly accepted (P)"
	default:
		return "rejected (R)"
	}
}
