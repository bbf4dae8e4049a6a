package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var received = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func loadExamples(t testing.TB) *partners.Directory {
	t.Helper()
	d, err := partners.Load("../examples/partners")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mapX12 maps every set of an X12 file (envelope checks only).
func mapX12(t testing.TB, m *Mapper, name string, body []byte) ([]*Result, []error) {
	t.Helper()
	var results []*Result
	var errs []error
	_, err := x12.Check(bytes.NewReader(body), x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
		ic := tx.Group.Interchange
		res, err := m.Transaction(tx, Source{Partner: m.Profile().ID, Interchange: ic.Control, InterchangeDate: ic.Date, InterchangeTime: ic.Time, Group: tx.Group.Control,
			Transaction: tx.Control, FileName: name, Received: received})
		results = append(results, res)
		errs = append(errs, err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return results, errs
}

// golden compares v as JSON with testdata/golden/name, or writes it.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file; run with -update to see\n%s", name, got)
	}
}

// goldenMovement is the stable view of a movement in golden files.
type goldenMovement struct {
	SourceKey string `json:"source_key"`
	SKU       string `json:"sku"`
	Location  string `json:"location"`
	Kind      string `json:"kind"`
	Bucket    string `json:"bucket,omitempty"`
	Quantity  int64  `json:"quantity"`
	Effective string `json:"effective"`
	Expected  string `json:"expected,omitempty"`
	Order     string `json:"order,omitempty"`
	Line      int    `json:"line"`
}

type goldenDoc struct {
	Key       string           `json:"key"`
	Error     string           `json:"error,omitempty"`
	Movements []goldenMovement `json:"movements"`
	Compare   []Comparison     `json:"compare,omitempty"`
	Problems  []Problem        `json:"problems,omitempty"`
}

func goldenView(res *Result, err error) goldenDoc {
	d := goldenDoc{Key: res.Key, Movements: []goldenMovement{}, Compare: res.Compare, Problems: res.Problems}
	if err != nil {
		d.Error = err.Error()
	}
	for _, m := range res.Movements {
		g := goldenMovement{SourceKey: m.SourceKey, SKU: m.SKU, Location: m.Location, Kind: m.Kind.String(), Quantity: m.Quantity,
			Effective: m.Effective.UTC().Format(time.RFC3339), Order: m.Reference.Order, Line: m.Reference.Line}
		if m.Bucket != 0 {
			g.Bucket = m.Bucket.String()
		}
		if !m.Expected.IsZero() {
			g.Expected = m.Expected.UTC().Format(time.RFC3339)
		}
		d.Movements = append(d.Movements, g)
	}
	return d
}

// TestExamplePartnersGolden maps every sample file of the example partners
// and compares the movements with the golden files.
func TestExamplePartnersGolden(t *testing.T) {
	d := loadExamples(t)
	samples, _ := filepath.Glob("../examples/samples/*/*")
	if len(samples) < 6 {
		t.Fatalf("found %d sample files", len(samples))
	}
	for _, path := range samples {
		partner := filepath.Base(filepath.Dir(path))
		name := filepath.Base(path)
		t.Run(partner+"/"+name, func(t *testing.T) {
			p, err := d.ByID(partner)
			if err != nil {
				t.Fatal(err)
			}
			m := New(p)
			body, _ := os.ReadFile(path)
			var docs []goldenDoc
			if bytes.HasPrefix(body, []byte("ISA")) {
				results, errs := mapX12(t, m, name, body)
				for i := range results {
					docs = append(docs, goldenView(results[i], errs[i]))
				}
			} else {
				typ, ok := m.FlatType(name)
				if !ok {
					t.Fatalf("no flat document for %s", name)
				}
				res, err := m.Flat(typ, bytes.NewReader(body), Source{Partner: partner, FileHash: "hash", FileName: name, Received: received})
				docs = append(docs, goldenView(res, err))
			}
			golden(t, partner+"-"+name+".json", docs)
		})
	}
}

// profile loads one profile written in the test.
func profile(t *testing.T, yaml string) *partners.Profile {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(yaml), 0o644)
	d, err := partners.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d.Profiles()[0]
}

const csvProfile = `id: t
name: T
role: supplier
transports: {inbound: [{folder: {path: in}}]}
tables:
  items: {map: {A1: SKU-A, B1: SKU-B}, on_miss: %s}
  packs: {map: {SKU-A: "6"}}
documents:
  - type: csv
    content: %s
    on_error: %s
    mapping:
      items: {lookup: items}
      columns: {sku: item, location: loc, quantity: qty, unit: uom, bucket: kind}
      buckets: {OK: on_hand, BAD: damaged, HOLD: quarantined, X: ignore}
      units: {convert: {CA: packs, DZ: 12}}
`

func TestFlatRowsTable(t *testing.T) {
	const head = "item,loc,qty,uom,kind\n"
	tests := []struct {
		name, onMiss, content, onError, rows string
		want                                 string // kind sku loc qty ... ; or error
		problem                              string
	}{
		{"snapshot per bucket", "error", "snapshot", "reject", "A1,W1,5,EA,OK\nA1,W1,2,EA,BAD\n", "snapshot/on_hand SKU-A W1 5; snapshot/damaged SKU-A W1 2", ""},
		{"case pack from table", "error", "snapshot", "reject", "A1,W1,3,CA,OK\n", "snapshot/on_hand SKU-A W1 18", ""},
		{"fixed factor", "error", "snapshot", "reject", "B1,W1,2,DZ,OK\n", "snapshot/on_hand SKU-B W1 24", ""},
		{"adjustments", "error", "adjustments", "reject", "A1,W1,-4,EA,OK\nA1,W1,1,EA,HOLD\n", "adjust SKU-A W1 -4; quarantine SKU-A W1 1", ""},
		{"ignored bucket", "error", "snapshot", "reject", "A1,W1,9,EA,X\n", "", ""},
		{"miss skip", "skip", "snapshot", "reject", "ZZ,W1,1,EA,OK\nA1,W1,1,EA,OK\n", "snapshot/on_hand SKU-A W1 1", ""},
		{"miss pass", "pass", "snapshot", "reject", "ZZ,W1,1,EA,OK\n", "snapshot/on_hand ZZ W1 1", ""},
		{"miss error rejects all", "error", "snapshot", "reject", "A1,W1,1,EA,OK\nZZ,W1,1,EA,OK\n", "", `t.csv:3:1: sku "ZZ": not found in table "items"`},
		{"post good", "error", "snapshot", "post_good", "A1,W1,1,EA,OK\nZZ,W1,1,EA,OK\n", "snapshot/on_hand SKU-A W1 1", `t.csv:3:1: sku "ZZ": not found in table "items"`},
		{"unknown unit", "error", "snapshot", "reject", "A1,W1,1,PL,OK\n", "", `t.csv:2:9: unit "PL": no conversion to EA`},
		{"no pack size", "error", "snapshot", "reject", "B1,W1,1,CA,OK\n", "", `no pack size for SKU-B in table "packs"`},
		{"unknown bucket code", "error", "snapshot", "reject", "A1,W1,1,EA,LOST\n", "", `quantity qualifier "LOST": not mapped to a bucket`},
		{"fraction", "error", "snapshot", "reject", "A1,W1,1.5,EA,OK\n", "", `quantity "1.5": not a whole number`},
		{"negative count", "error", "snapshot", "reject", "A1,W1,-1,EA,OK\n", "", `a count cannot be negative`},
		{"overflow", "error", "snapshot", "reject", "A1,W1,9223372036854775807,CA,OK\n", "", `overflows after converting CA to EA`},
		{"no location", "error", "snapshot", "reject", "A1,,1,EA,OK\n", "", `location: no location`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(profile(t, fmt.Sprintf(csvProfile, tc.onMiss, tc.content, tc.onError)))
			res, err := m.Flat(partners.DocCSV, strings.NewReader(head+tc.rows), Source{Partner: "t", FileHash: "h", FileName: "t.csv", Received: received})
			if res == nil {
				t.Fatal(err)
			}
			var got []string
			for _, mv := range res.Movements {
				k := mv.Kind.String()
				if mv.Kind == ledger.KindSnapshot {
					k += "/" + mv.Bucket.String()
				}
				got = append(got, fmt.Sprintf("%s %s %s %d", k, mv.SKU, mv.Location, mv.Quantity))
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("movements %q, want %q", g, tc.want)
			}
			if tc.problem == "" {
				if err != nil || len(res.Problems) > 0 {
					t.Errorf("unexpected problems %v %v", err, res.Problems)
				}
				return
			}
			if len(res.Problems) == 0 || !strings.Contains(res.Problems[0].Error(), tc.problem) {
				t.Errorf("problems %v, want %q", res.Problems, tc.problem)
			}
			if tc.onError == "reject" && !errors.Is(err, ErrRejected) {
				t.Errorf("a rejected document returned %v", err)
			}
		})
	}
}

func TestShippingOrderChangeAndCancel(t *testing.T) {
	m := New(loadExamples(t).Profiles()[2]) // shopmart
	if m.Profile().ID != "shopmart" {
		t.Fatalf("profile %s", m.Profile().ID)
	}
	mapFile := func(file string) *Result {
		body, _ := os.ReadFile("../examples/samples/shopmart/" + file)
		results, errs := mapX12(t, m, file, body)
		if errs[0] != nil {
			t.Fatal(errs[0])
		}
		return results[0]
	}
	kinds := func(r *Result) string {
		var out []string
		for _, mv := range r.Movements {
			out = append(out, fmt.Sprintf("%s %s %d %s", mv.Kind, mv.SKU, mv.Quantity, mv.Reference.Order))
		}
		return strings.Join(out, "; ")
	}
	max := fmt.Sprint(ledger.MaxQuantity)
	open := &OrderState{Partner: "shopmart", Number: "SO-9001", Open: true, By: Origin{Document: "first", Message: 1, Name: "order-940.edi"},
		Lines: []OrderLine{{"WIDGET-BLUE", "dallas", 2, ""}, {"WIDGET-RED", "dallas", 5, ""}}}
	cancelled := &OrderState{Partner: "shopmart", Number: "SO-9001", Lines: open.Lines, By: Origin{Document: "cancel", Message: 2, Name: "c.edi"}}
	other := &OrderState{Partner: "shopmart", Number: "SO-9001", Open: true, By: open.By, Lines: []OrderLine{{"GADGET-S", "dallas", 1, ""}, {"WIDGET-RED", "dallas", 9, ""}}}
	by := Origin{Document: "this", Message: 3, Name: "this.edi"}
	for _, tc := range []struct {
		name, file string
		prev       *OrderState
		want       string // movements to post
		dup        bool
		err        error
		open       bool // the next state's
	}{
		{"new order", "order-940.edi", nil, "allocate WIDGET-RED 5 SO-9001; allocate WIDGET-BLUE 2 SO-9001", false, nil, true},
		{"re-sent, same lines", "order-940.edi", open, "", true, nil, true},
		{"re-sent, other lines", "order-940.edi", other, "", false, ErrOrderConflict, false},
		{"new after a cancel", "order-940.edi", cancelled, "allocate WIDGET-RED 5 SO-9001; allocate WIDGET-BLUE 2 SO-9001", false, nil, true},
		{"change", "order-940-change.edi", open, "release WIDGET-BLUE " + max + " SO-9001; release WIDGET-RED " + max + " SO-9001; allocate WIDGET-RED 3 SO-9001; allocate WIDGET-BLUE 2 SO-9001", false, nil, true},
		{"change drops a line", "order-940-change.edi", other, "release GADGET-S " + max + " SO-9001; release WIDGET-RED " + max + " SO-9001; release WIDGET-BLUE " + max + " SO-9001; allocate WIDGET-RED 3 SO-9001; allocate WIDGET-BLUE 2 SO-9001", false, nil, true},
		{"change of an unknown order", "order-940-change.edi", nil, "", false, ErrUnknownOrder, false},
		{"change of a cancelled order", "order-940-change.edi", cancelled, "", false, ErrUnknownOrder, false},
		{"cancel", "order-940-cancel.edi", open, "release WIDGET-BLUE " + max + " SO-9001; release WIDGET-RED " + max + " SO-9001", false, nil, false},
		{"cancel again", "order-940-cancel.edi", cancelled, "", true, nil, false},
		{"cancel of an unknown order", "order-940-cancel.edi", nil, "", false, ErrUnknownOrder, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mapFile(tc.file)
			next, dup, err := r.SettleOrder(tc.prev, by)
			if !errors.Is(err, tc.err) || dup != tc.dup {
				t.Fatalf("dup %v, err %v; want %v, %v", dup, err, tc.dup, tc.err)
			}
			if got := kinds(r); got != tc.want {
				t.Errorf("movements: %s\nwant %s", got, tc.want)
			}
			if err != nil {
				// The error names both documents and both messages.
				for _, want := range []string{"SO-9001", "this.edi", "message 3"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name %q", err, want)
					}
				}
				if tc.prev != nil && !strings.Contains(err.Error(), tc.prev.By.Name) {
					t.Errorf("error %q does not name the earlier message", err)
				}
				return
			}
			if !dup && (next.Open != tc.open || next.By != by) {
				t.Errorf("next state %+v", next)
			}
		})
	}
}

// benchProfile is the partner of the generated 846s: QTY*17 posted as an
// on-hand snapshot at the header N1*WH location, QTY*33 kept for
// comparison.
const benchProfile = `id: bench
name: Bench
role: 3pl
identities: {isa: [{qualifier: ZZ, id: BENCH}]}
acks: {send: none}
transports: {inbound: [{folder: {path: in}}]}
documents:
  - type: x12/846
    content: snapshot
    mapping:
      buckets: {"17": on_hand, "33": compare}
      location: {source: header_n1, qualifier: WH}
      items: {order: [SK]}
`

// generate846 writes an interchange of sets 846s of items LIN loops each
// (QTY*17 and QTY*33 per item, figures shifted by seed) and decodes it.
func generate846(tb testing.TB, sets, items, seed int) ([]*documents.Inventory846, []Source) {
	tb.Helper()
	var buf bytes.Buffer
	buf.WriteString("ISA*00*          *00*          *ZZ*BENCH          *ZZ*DOCKSIDE       *261126*1200*U*00401*000000001*0*P*>~\nGS*IB*BENCH*DOCKSIDE*20261126*1200*1*X*004010~\n")
	for set := 0; set < sets; set++ {
		fmt.Fprintf(&buf, "ST*846*%04d~\nBIA*00*DD*R*20261126*1200~\nN1*WH*Main*92*WH1~\n", set+1)
		for i := 0; i < items; i++ {
			fmt.Fprintf(&buf, "LIN**SK*SKU%07d*UP*012345678905~\nPID*F****Widget~\nQTY*17*%d*EA~\nQTY*33*%d*EA~\n", set*items+i, (i+seed)%500, (i+seed)%400)
		}
		fmt.Fprintf(&buf, "CTT*%d~\nSE*%d*%04d~\n", items, 3+4*items+2, set+1)
	}
	fmt.Fprintf(&buf, "GE*%d*1~\nIEA*1*000000001~\n", sets)
	var docs []*documents.Inventory846
	var srcs []Source
	_, err := x12.Check(&buf, x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
		doc, err := documents.Decode846(tx)
		docs = append(docs, doc)
		srcs = append(srcs, Source{Partner: "bench", Interchange: "1", Group: "1", Transaction: tx.Control, Received: received})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return docs, srcs
}

// BenchmarkMap846 maps a 200,000-item 846 (20 sets) to movements; reports
// items/s.
func BenchmarkMap846(b *testing.B) {
	m := New(profileB(b, benchProfile))
	// Decode once: this measures the mapping (typed 846 to movements);
	// reading and decoding are measured in edi/x12 and its documents.
	docs, srcs := generate846(b, 20, 10000, 0)
	b.ReportAllocs()
	cpu0 := cputime.Now()
	for b.Loop() {
		// As the gateway does: the sets on a pool of one worker per core,
		// their results released once posted.
		pool := NewPool(runtime.GOMAXPROCS(0))
		for i, doc := range docs {
			pool.Submit(m, doc, srcs[i])
		}
		n := 0
		for _, o := range pool.Wait() {
			if o.Err != nil {
				b.Fatal(o.Err)
			}
			n += o.Result.Lines
			o.Result.Release()
		}
		if n != 200000 {
			b.Fatalf("%d items", n)
		}
	}
	b.ReportMetric(float64(200000*b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(200000*b.N)/(cputime.Now()-cpu0).Seconds(), "items/cpu-s")
}

func profileB(b *testing.B, yaml string) *partners.Profile {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(yaml), 0o644)
	d, err := partners.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	return d.Profiles()[0]
}
