package specs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// segmentElementsRef is segmentElements before the fast path: every
// present element through the full check. The fast path must give the
// same element errors for every segment.
func (v *validation) segmentElementsRef(seg *x12.Segment, def *Segment) {
	var rep byte
	comp := byte('>')
	if d := seg.Delimiters(); d != nil {
		rep, comp = d.Repetition, d.Component
	}
	n := seg.Len()
	var present uint64
	last := min(max(n, def.lastMandatory), len(def.Elements))
	for i := 1; i <= last; i++ {
		u := &def.Elements[i-1]
		var val []byte
		if i <= n {
			val = seg.Element(i)
		}
		if len(val) == 0 {
			if u.Req == 'M' {
				v.elemError(seg, i, 0, 0, u, nil, x12.ElemMandatoryMissing, 0)
			}
			continue
		}
		present |= 1 << uint(i)
		if u.Composite == nil && (rep == 0 || bytes.IndexByte(val, rep) < 0) {
			if p, _ := checkValue(u.Element, val, comp); p != valueOK {
				v.value(seg, i, 0, 0, u, u.Element, val, comp)
			}
			continue
		}
		v.use(seg, i, u, val, rep, comp)
	}
	for i := len(def.Elements) + 1; i <= n; i++ {
		if len(seg.Element(i)) > 0 {
			v.elems = append(v.elems, x12.ElementError{Position: i, Code: x12.ElemTooMany, Value: string(seg.Element(i)),
				Msg: fmt.Sprintf("%s has %d elements; %s defines %d (%s%02d is extra)", seg.ID, n, v.spec.Version, len(def.Elements), seg.ID, i)})
			break
		}
	}
	if len(def.Rules) > 0 {
		v.rules(seg, def.Rules, present, def.Elements)
	}
}

// separatorCases are the (component, repetition) separators the tests read
// segments with: the usual ones, none for repetitions, and separators
// that can be part of a number ('.' and '-'), which the fast path must
// leave to the full check (the reader allows no letters or digits).
var separatorCases = []struct{ comp, rep byte }{
	{'>', 0}, {':', '^'}, {'.', '-'}, {'-', '.'}, {'!', 0},
}

// fastCandidates are values every element position is tried with, besides
// its codes; sep is replaced by the component separator and rep by the
// repetition separator.
var fastCandidates = []string{
	"A", "AB", "ABC", "ABCD", "ABCDEFGH", "ABCDEFGHI", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz",
	"1", "12", "1234", "123456789012345", "1234567890123456", "-1", "-", ".", ".5", "-.5", "1.2.3", "1-2", "00012",
	"20240101", "1200", "EA", "17", "F", "ZZZ",
	"ÉCOLE", "A\x00", "\x00", "A\x7f", "\x1fA", "A\x80B", " ", "a", "sep", "EAsep1", "17sep", "sepEA", "EArep17", "1rep2",
	"Widget 1", "012345678905",
}

// TestFastPathSameAsFullCheck reads, for every segment of every version's
// dictionary, every element position with codes of its list and the
// candidate values, under several separators, and compares the element
// errors with those of the full check alone.
func TestFastPathSameAsFullCheck(t *testing.T) {
	c := mustLoad(t)
	checked := 0
	for _, version := range c.versions {
		rel := c.releases[version]
		spec := anySpec(rel)
		ids := make([]string, 0, len(rel.segments))
		for id := range rel.segments {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		cases := separatorCases
		if raceEnabled || testing.Short() {
			cases = cases[:2]
		}
		for _, sc := range cases {
			var segs []string
			for _, id := range ids {
				switch id {
				case "ISA", "IEA", "GS", "GE", "ST", "SE", "ISB", "ISE", "TA1":
					continue // envelopes: the decoder keeps them out of a set's body
				}
				def := rel.segments[id]
				for pos := 1; pos <= len(def.Elements); pos++ {
					for _, val := range valuesFor(&def.Elements[pos-1]) {
						val = strings.ReplaceAll(val, "sep", string(sc.comp))
						if sc.rep != 0 {
							val = strings.ReplaceAll(val, "rep", string(sc.rep))
						}
						if strings.ContainsAny(val, "*~\n") {
							continue
						}
						segs = append(segs, id+strings.Repeat("*", pos)+val)
					}
				}
			}
			for _, seg := range readSegments(t, version, sc.comp, sc.rep, segs) {
				def := rel.segments[seg.ID]
				fast := &validation{spec: spec, ruleOK: make([]uint64, rel.ruleCaches)}
				full := &validation{spec: spec, ruleOK: make([]uint64, rel.ruleCaches)}
				fast.segmentElements(&seg, def)
				full.segmentElementsRef(&seg, def)
				if !reflect.DeepEqual(fast.elems, full.elems) {
					t.Fatalf("%s, separators %q %q: segment %q:\nfast path %+v\nfull check %+v", version, sc.comp, sc.rep, seg.Raw(), fast.elems, full.elems)
				}
				checked++
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d segments checked", checked)
	}
}

// valuesFor returns the candidate values and some codes of u (or of its
// first component).
func valuesFor(u *Use) []string {
	vals := append([]string(nil), fastCandidates...)
	el := u.Element
	if u.Composite != nil {
		el = u.Composite.Elements[0].Element
		vals = append(vals, "EAsep", "EAsepsep1")
	}
	if el != nil && el.codes != nil {
		n := 0
		for _, k := range el.codes.table {
			if k != 0 && n < 4 {
				vals = append(vals, unpack(k), unpack(k)+"sep1", unpack(k)+"rep"+unpack(k))
				n++
			}
		}
		for code := range el.codes.long {
			vals = append(vals, code)
			break
		}
	}
	return vals
}

// unpack reverses packString.
func unpack(k uint32) string {
	var b []byte
	for ; k != 0; k >>= 8 {
		b = append([]byte{byte(k)}, b...)
	}
	return string(b)
}

// anySpec returns a set of rel, for messages that name the version.
func anySpec(rel *release) *Spec {
	for _, s := range rel.sets {
		return s
	}
	return nil
}

// oneSet returns an interchange with the given separators holding one set
// whose body is segs (without terminators).
func oneSet(version string, comp, rep byte, segs []string) string {
	isa11, isa12 := "U", "00401"
	if rep != 0 {
		isa11, isa12 = string(rep), "00501"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*%s*%s*000000001*0*P*%c~", isa11, isa12, comp)
	fmt.Fprintf(&b, "GS*XX*S*R*20240101*1200*1*X*%s~ST*999*0001~", version)
	for _, s := range segs {
		b.WriteString(s + "~")
	}
	fmt.Fprintf(&b, "SE*%d*0001~GE*1*1~IEA*1*000000001~", len(segs)+2)
	return b.String()
}

// readSegments reads segs (without terminators) as the body of one set of
// an interchange with the given separators and returns them as read.
func readSegments(t *testing.T, version string, comp, rep byte, segs []string) []x12.Segment {
	t.Helper()
	dec := x12.NewDecoder(strings.NewReader(oneSet(version, comp, rep, segs)), nil)
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("no set read")
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == x12.SetRead {
			tx := ev.Transaction.Clone()
			got := tx.Segments[1 : len(tx.Segments)-1]
			if len(got) != len(segs) {
				t.Fatalf("%d segments read, want %d", len(got), len(segs))
			}
			if d := got[0].Delimiters(); d.Component != comp || d.Repetition != rep {
				t.Fatalf("read with separators %q %q, want %q %q", d.Component, d.Repetition, comp, rep)
			}
			return got
		}
	}
}

// FuzzFastPath reads arbitrary segments with arbitrary separators and
// compares the element errors of the fast path with the full check's.
func FuzzFastPath(f *testing.F) {
	f.Add("LIN**SK*SKU0000001*UP*012345678905~PID*F****Widget 1~QTY*17*5*EA~QTY*33*-1.5*EA>1", byte('>'), byte(0))
	f.Add("QTY*17*5*EA:1:2~CTX*A^B:C*CLM*1**1:2:3*1325~N1*WH*X~DTM*405*20240101", byte(':'), byte('^'))
	f.Add("W01*1*EA*000100022220*VC*110220*UP*871209028795~N9**3", byte('.'), byte('-'))
	c := mustLoad(f)
	f.Fuzz(func(t *testing.T, body string, comp, rep byte) {
		if strings.ContainsAny(body, "\r\n") {
			return // line breaks would be read as white space between segments
		}
		for _, version := range c.versions {
			rel := c.releases[version]
			segs := readSegmentsLax(version, comp, rep, strings.Split(body, "~"))
			for i := range segs {
				def := rel.segments[segs[i].ID]
				if def == nil {
					continue
				}
				spec := anySpec(rel)
				fast := &validation{spec: spec, ruleOK: make([]uint64, rel.ruleCaches)}
				full := &validation{spec: spec, ruleOK: make([]uint64, rel.ruleCaches)}
				fast.segmentElements(&segs[i], def)
				full.segmentElementsRef(&segs[i], def)
				if !reflect.DeepEqual(fast.elems, full.elems) {
					t.Fatalf("%s, separators %q %q: segment %q:\nfast path %+v\nfull check %+v", version, comp, rep, segs[i].Raw(), fast.elems, full.elems)
				}
			}
		}
	})
}

// readSegmentsLax is readSegments for the fuzz target: nil when the
// interchange cannot be read.
func readSegmentsLax(version string, comp, rep byte, segs []string) []x12.Segment {
	dec := x12.NewDecoder(strings.NewReader(oneSet(version, comp, rep, segs)), nil)
	for {
		ev, err := dec.Next()
		if err != nil {
			return nil
		}
		if ev.Kind == x12.SetRead {
			return ev.Transaction.Clone().Segments
		}
	}
}
