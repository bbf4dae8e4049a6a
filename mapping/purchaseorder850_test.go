package mapping

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
)

// poProfile is a channel whose 850s allocate at one location (SM-DAL,
// our dallas); %s is its on_error, %s its location.
const poProfile = `id: retail
name: Retail
role: channel
identities: {isa: [{qualifier: ZZ, id: RETAIL}]}
acks: {send: none}
transports: {inbound: [{folder: {path: in}}]}
tables:
  xref: {map: {A1: SKU-A, "012345678905": SKU-B}}
  whs: {map: {SM-DAL: dallas, SM-RNO: reno}}
documents:
  - type: x12/850
    on_error: %s
    mapping:
      location: %s
      items: {order: [VN, UP], lookup: xref}
      warehouses: whs
      units: {convert: {CA: 12}}
`

const poFixed = "{source: fixed, id: SM-DAL}"

// po850 writes an interchange of one 850: BEG01 purpose, BEG03 number,
// BEG04 release, an N1*ST store, then the heading segments extra and the
// PO1 lines given (with their segment terminators).
func po850(purpose, number, release, extra string, po1 ...string) []byte {
	body := fmt.Sprintf("BEG*%s*SA*%s*%s*20261120~\n%sN1*ST*STORE 17*92*0017~\n", purpose, number, release, extra)
	for _, l := range po1 {
		body += l + "\n"
	}
	body += fmt.Sprintf("CTT*%d~\n", len(po1))
	n := strings.Count(body, "~") + 2
	return []byte("ISA*00*          *00*          *ZZ*RETAIL         *ZZ*DOCKSIDE       *261125*0215*U*00401*000000042*0*P*>~\n" +
		"GS*PO*RETAIL*DOCKSIDE*20261125*0215*42*X*004010~\nST*850*0001~\n" + body +
		fmt.Sprintf("SE*%d*0001~\nGE*1*42~\nIEA*1*000000042~\n", n))
}

// Two lines: 5 EA of A1 (SKU-A) by vendor number, 2 CA of a UPC (SKU-B,
// 24 EA), the second with an SDQ store split.
var poLines = []string{"PO1*1*5*EA*4.25**VN*A1~", "PO1*2*2*CA*9.5**UP*012345678905~\nSDQ*CA*92*0017*1*0018*1~"}

func TestPurchaseOrder850(t *testing.T) {
	max := fmt.Sprint(ledger.MaxQuantity)
	open := &OrderState{Partner: "retail", Number: "PO-1", Open: true, By: Origin{Document: "first", Message: 1, Name: "po.edi"},
		Lines: []OrderLine{{"SKU-A", "dallas", 5, ""}, {"SKU-B", "dallas", 24, ""}}}
	cancelled := &OrderState{Partner: "retail", Number: "PO-1", Lines: open.Lines, By: Origin{Document: "cancel", Message: 2, Name: "c.edi"}}
	by := Origin{Document: "this", Message: 3, Name: "this.edi"}
	tests := []struct {
		name      string
		onError   string // default reject
		location  string // default poFixed
		body      []byte
		prev      *OrderState
		number    string // the order's, when mapped
		action    OrderAction
		want      string // movements once settled: kind sku@location qty order#line
		dup       bool
		settleErr error
		settleMsg string   // in the settle error
		problems  []string // place field "value"
	}{
		{name: "new", body: po850("00", "PO-1", "", "", poLines...), number: "PO-1", action: OrderNew,
			want: "allocate SKU-A@dallas 5 PO-1#4; allocate SKU-B@dallas 24 PO-1#5"},
		{name: "re-sent as it stands", body: po850("00", "PO-1", "", "", poLines...), prev: open, number: "PO-1", action: OrderNew, dup: true},
		{name: "re-sent with other lines", body: po850("00", "PO-1", "", "", poLines[0]), prev: open, number: "PO-1", action: OrderNew, settleErr: ErrOrderConflict,
			settleMsg: "send a replace (BEG01 05)"},
		{name: "cancel", body: po850("01", "PO-1", "", ""), prev: open, number: "PO-1", action: OrderCancel,
			want: "release SKU-A@dallas " + max + " PO-1#0; release SKU-B@dallas " + max + " PO-1#0"},
		{name: "cancel with lines releases the order", body: po850("01", "PO-1", "", "", poLines[0]), prev: open, number: "PO-1", action: OrderCancel,
			want: "release SKU-A@dallas " + max + " PO-1#0; release SKU-B@dallas " + max + " PO-1#0"},
		{name: "cancel again", body: po850("01", "PO-1", "", ""), prev: cancelled, number: "PO-1", action: OrderCancel, dup: true},
		{name: "cancel of an unknown order", body: po850("01", "PO-1", "", ""), number: "PO-1", action: OrderCancel, settleErr: ErrUnknownOrder},
		{name: "replace", body: po850("05", "PO-1", "", "", "PO1*1*7*EA***VN*A1~"), prev: open, number: "PO-1", action: OrderReplace,
			want: "release SKU-A@dallas " + max + " PO-1#0; release SKU-B@dallas " + max + " PO-1#0; allocate SKU-A@dallas 7 PO-1#4"},
		{name: "replace of a cancelled order", body: po850("05", "PO-1", "", "", poLines...), prev: cancelled, number: "PO-1", action: OrderReplace, settleErr: ErrUnknownOrder},
		{name: "a release is an order of its own", body: po850("00", "PO-1", "R2", "", poLines[0]), number: "PO-1/R2", action: OrderNew,
			want: "allocate SKU-A@dallas 5 PO-1/R2#4"},
		{name: "lines of one item add up", body: po850("00", "PO-1", "", "", "PO1*1*5*EA***VN*A1~", "PO1*2*1*CA***VN*A1~"), number: "PO-1", action: OrderNew,
			want: "allocate SKU-A@dallas 5 PO-1#4; allocate SKU-A@dallas 12 PO-1#5"},
		{name: "ship-from N1", location: "{source: header_n1, qualifier: SF}", body: po850("00", "PO-1", "", "N1*SF*DOCKSIDE RENO*92*SM-RNO~\n", poLines[0]),
			number: "PO-1", action: OrderNew, want: "allocate SKU-A@reno 5 PO-1#5"},

		// Problems, with their place.
		{name: "unknown item", body: po850("00", "PO-1", "", "", poLines[0], "PO1*2*1*EA***UP*999*VN*ZZ~"),
			problems: []string{`segment 5 (PO1) PO109 (VN) "ZZ"`}},
		{name: "no qualifier the profile lists", body: po850("00", "PO-1", "", "", "PO1*1*1*EA***IN*X9~"),
			problems: []string{`segment 4 (PO1) PO106 "IN X9"`}},
		{name: "fraction", body: po850("00", "PO-1", "", "", "PO1*1*1.5*EA***VN*A1~"), problems: []string{`segment 4 (PO1) PO102 "1.5"`}},
		{name: "negative", body: po850("00", "PO-1", "", "", "PO1*1*-2*EA***VN*A1~"), problems: []string{`segment 4 (PO1) PO102 "-2"`}},
		{name: "no quantity", body: po850("00", "PO-1", "", "", "PO1*1**EA***VN*A1~"), problems: []string{`segment 4 (PO1) PO102 ""`}},
		{name: "unknown unit", body: po850("00", "PO-1", "", "", "PO1*1*1*PL***VN*A1~"), problems: []string{`segment 4 (PO1) PO103 "PL"`}},
		{name: "change (04) refused", body: po850("04", "PO-1", "", "", poLines...), problems: []string{`segment 2 (BEG) BEG01 "04"`}},
		{name: "duplicate (07) refused", body: po850("07", "PO-1", "", "", poLines...), problems: []string{`segment 2 (BEG) BEG01 "07"`}},
		{name: "unknown location", location: "{source: fixed, id: SM-XXX}", body: po850("00", "PO-1", "", "", poLines...),
			problems: []string{`profile location "SM-XXX"`}},
		{name: "no ship-from N1", location: "{source: header_n1, qualifier: SF}", body: po850("00", "PO-1", "", "", poLines...),
			problems: []string{`heading N1 "SF"`}},
		{name: "post_good keeps the good lines", onError: "post_good", body: po850("00", "PO-1", "", "", poLines[0], "PO1*2*1*EA***VN*ZZ~"),
			number: "PO-1", action: OrderNew, want: "allocate SKU-A@dallas 5 PO-1#4", problems: []string{`segment 5 (PO1) PO107 (VN) "ZZ"`}},
		{name: "post_good does not keep a bad purpose", onError: "post_good", body: po850("06", "PO-1", "", "", poLines...),
			problems: []string{`segment 2 (BEG) BEG01 "06"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			onError, loc := orDefault(tc.onError, "reject"), orDefault(tc.location, poFixed)
			m := New(profile(t, fmt.Sprintf(poProfile, onError, loc)))
			results, errs := mapX12(t, m, "po.edi", tc.body)
			if len(results) != 1 || results[0] == nil {
				t.Fatalf("results %v, errors %v", results, errs)
			}
			r, err := results[0], errs[0]
			var got []string
			for _, p := range r.Problems {
				got = append(got, fmt.Sprintf("%s %s %q", p.Place, p.Field, p.Value))
				if p.Segment > 0 && !strings.HasPrefix(p.Place, segPlace(p.Segment, p.SegmentID)) {
					t.Errorf("problem %v: segment %d %s", p, p.Segment, p.SegmentID)
				}
			}
			if strings.Join(got, "; ") != strings.Join(tc.problems, "; ") {
				t.Errorf("problems %q, want %q (%v)", got, tc.problems, r.Problems)
			}
			if tc.number == "" { // rejected
				if !errors.Is(err, ErrRejected) || len(r.Movements) != 0 {
					t.Fatalf("err %v, %d movements: want the document rejected", err, len(r.Movements))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o := r.Order; o == nil || o.Kind != KindOrder || o.Partner != "retail" || o.Number != tc.number || o.Action != tc.action {
				t.Fatalf("order %+v, want %s %s", r.Order, tc.number, tc.action)
			}
			next, dup, err := r.SettleOrder(tc.prev, by)
			if !errors.Is(err, tc.settleErr) || dup != tc.dup {
				t.Fatalf("settled: dup %v, err %v; want %v, %v", dup, err, tc.dup, tc.settleErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.settleMsg) {
				t.Errorf("settle error %q does not say %q", err, tc.settleMsg)
			}
			var moves []string
			for _, mv := range r.Movements {
				moves = append(moves, fmt.Sprintf("%s %s@%s %d %s#%d", mv.Kind, mv.SKU, mv.Location, mv.Quantity, mv.Reference.Order, mv.Reference.Line))
				if mv.Reference.DocumentType != "850" || !strings.HasPrefix(mv.SourceKey, r.Key+"|") {
					t.Errorf("movement %+v", mv)
				}
			}
			if g := strings.Join(moves, "; "); g != tc.want {
				t.Errorf("movements %s\nwant %s", g, tc.want)
			}
			if err == nil && !dup && (next.Open != (tc.action != OrderCancel) || next.By != by) {
				t.Errorf("next state %+v", next)
			}
		})
	}
}

// TestPurchaseOrder850NoNumber: an 850 without BEG03 (built, since the
// decoder and the spec refuse one) is refused at BEG03, whatever on_error
// says.
func TestPurchaseOrder850NoNumber(t *testing.T) {
	m := New(profile(t, fmt.Sprintf(poProfile, "post_good", poFixed)))
	doc := &documents.PurchaseOrder850{Purpose: "00", Number: " ", Lines: []documents.Line850{{Quantity: "1", IDs: []documents.ProductID{{Qualifier: "VN", ID: "A1"}}, Pos: 4}}}
	r, err := m.PurchaseOrder850(doc, Source{Partner: "retail", Interchange: "1", InterchangeDate: "261125", Group: "1", Transaction: "1", Received: received})
	if !errors.Is(err, ErrRejected) || r.Order != nil || len(r.Movements) != 0 {
		t.Fatalf("err %v, order %+v, movements %d", err, r.Order, len(r.Movements))
	}
	if p := r.Problems; len(p) != 1 || p[0].Field != "BEG03" || p[0].Segment != 2 || p[0].SegmentID != "BEG" {
		t.Errorf("problems %+v", p)
	}
}

// TestPurchaseOrder850ShipTo: the order carries the channel's PO number
// and its N1*ST loop, which a 940 to the warehouse passes on.
func TestPurchaseOrder850ShipTo(t *testing.T) {
	m := New(profile(t, fmt.Sprintf(poProfile, "reject", poFixed)))
	results, errs := mapX12(t, m, "po.edi", po850("00", "PO-1", "7", "", poLines...))
	if len(results) != 1 || errs[0] != nil {
		t.Fatalf("%v", errs)
	}
	o := results[0].Order
	if o == nil || o.Number != "PO-1/7" || o.PurchaseOrder != "PO-1" {
		t.Fatalf("order %+v", o)
	}
	if st := o.ShipTo; st == nil || st.Entity != "ST" || st.Name != "STORE 17" || st.IDQualifier != "92" || st.ID != "0017" || st.Pos != 0 {
		t.Errorf("ship-to %+v", st)
	}
}

// TestPurchaseOrder850NotMapped: a profile without x12/850 maps no 850.
func TestPurchaseOrder850NotMapped(t *testing.T) {
	m := New(profile(t, profileWithout850))
	_, err := m.PurchaseOrder850(&documents.PurchaseOrder850{Purpose: "00", Number: "PO-1"}, Source{Partner: "t", Received: received})
	if !errors.Is(err, ErrNoMapping) {
		t.Fatalf("err %v", err)
	}
}

const profileWithout850 = `id: t
name: T
role: channel
identities: {isa: [{qualifier: ZZ, id: T}]}
acks: {send: none}
transports: {inbound: [{folder: {path: in}}]}
documents:
  - type: x12/940
    mapping: {items: {order: [VN]}}
`

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// TestPurchaseOrder850Versions maps the specs' 4010 and 5010 sample 850s
// (an SDQ store split on the second line): the same allocations.
func TestPurchaseOrder850Versions(t *testing.T) {
	m := New(profile(t, `id: partner
name: Partner
role: channel
identities: {isa: [{qualifier: ZZ, id: PARTNER}]}
acks: {send: none}
transports: {inbound: [{folder: {path: in}}]}
documents:
  - type: x12/850
    mapping:
      location: {source: fixed, id: main}
      items: {order: [VN]}
`))
	for _, v := range []string{"4010", "5010"} {
		body, err := os.ReadFile("../specs/testdata/samples/850.Order." + v + ".edi")
		if err != nil {
			t.Fatal(err)
		}
		results, errs := mapX12(t, m, "850.edi", body)
		if len(results) != 1 || errs[0] != nil {
			t.Fatalf("%s: %v", v, errs)
		}
		r := results[0]
		if o := r.Order; o == nil || o.Number != "PO-5001" || o.Action != OrderNew ||
			!slices.Equal(o.Lines, []OrderLine{{"GADGET-2", "main", 6, ""}, {"WIDGET-1", "main", 12, ""}}) {
			t.Errorf("%s: order %+v", v, r.Order)
		}
	}
}
