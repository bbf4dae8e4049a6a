package events

import (
	"reflect"
	"strings"
	"testing"
)

// scanAgrees checks that the scanner, where it accepts a body, reads what
// encoding/json reads; it returns whether the scanner accepted it.
func scanAgrees(t *testing.T, body []byte, one bool) bool {
	t.Helper()
	got, ok := scanEvents(body, 100, one)
	if !ok {
		return false
	}
	var want []*fastEvent
	var jok bool
	if one {
		want, jok = jsonEvent(body)
	} else {
		want, jok = jsonEvents(body, 100)
	}
	if !jok {
		t.Fatalf("scanner accepts what encoding/json refuses: %q", body)
	}
	if len(got) != len(want) {
		t.Fatalf("%q: scanner %d events, encoding/json %d", body, len(got), len(want))
	}
	for i := range got {
		g, w := *got[i], *want[i]
		if (g.Data == nil) != (w.Data == nil) {
			t.Fatalf("%q event %d: data %v vs %v", body, i, g.Data, w.Data)
		}
		if g.Data != nil {
			gd, wd := *g.Data, *w.Data
			if string(gd.Quantity) != string(wd.Quantity) {
				t.Fatalf("%q event %d: quantity %q vs %q", body, i, gd.Quantity, wd.Quantity)
			}
			gd.Quantity, wd.Quantity = nil, nil
			if !reflect.DeepEqual(gd, wd) {
				t.Fatalf("%q event %d: data\n%+v\n%+v", body, i, gd, wd)
			}
		}
		g.Data, w.Data = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%q event %d:\n%+v\n%+v", body, i, g, w)
		}
	}
	return true
}

func TestScanEvents(t *testing.T) {
	for _, c := range []struct {
		name, body string
		one, ok    bool
	}{
		{"one event", good, true, true},
		{"batch", "[" + good + "," + good + "]", false, true},
		{"whitespace", " [ \n" + strings.ReplaceAll(good, ",", " ,\r\n\t") + " ] \n", false, true},
		{"every field", `{"specversion":"1.0","id":"a","source":"b","type":"c","time":"d","subject":"e","datacontenttype":"f","dataschema":"g","data":{"sku":"1","item":"2","location":"3","location_code":"4","quantity":-1.5e+3,"unit":"5","effective":"6","expected":"7","reason":"8","from":"9","to":"10","bucket":"11","order":"12","reference":"13"}}`, true, true},
		{"empty data", `{"id":"a","data":{}}`, true, true},
		{"no data", `{"id":"a"}`, true, true},
		{"escape: encoding/json", `{"id":"a\"b"}`, true, false},
		{"non-ASCII: encoding/json", `{"id":"é"}`, true, false},
		{"null: encoding/json", `{"id":null}`, true, false},
		{"number id", `{"id":5}`, true, false},
		{"string quantity", `{"data":{"quantity":"5"}}`, true, false},
		{"extension", `{"id":"a","traceparent":"x"}`, true, false},
		{"name in capitals", `{"ID":"a"}`, true, false},
		{"twice", `{"id":"a","id":"b"}`, true, false},
		{"data twice", `{"data":{"sku":"a"},"data":{"unit":"b"}}`, true, false},
		{"null event", "[" + good + ",null]", false, false},
		{"empty batch", "[]", false, false},
		{"trailing", good + "x", true, false},
		{"trailing comma", "[" + good + ",]", false, false},
		{"bad numbers", `{"data":{"quantity":01}}`, true, false},
		{"bad exponent", `{"data":{"quantity":1e}}`, true, false},
		{"bad fraction", `{"data":{"quantity":1.}}`, true, false},
		{"unterminated", `{"id":"a`, true, false},
		{"batch as one", "[" + good + "]", true, false},
		{"one as batch", good, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := scanAgrees(t, []byte(c.body), c.one); got != c.ok {
				t.Fatalf("scanner accepted %v, want %v", got, c.ok)
			}
		})
	}
	many := "[" + strings.Repeat(good+",", 100) + good + "]"
	if _, ok := scanEvents([]byte(many), 100, false); ok {
		t.Error("101 events accepted in a batch of at most 100")
	}
}

// FuzzScanEvents: where the scanner accepts a body, it reads what
// encoding/json reads.
func FuzzScanEvents(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("[" + good + "," + good + "]"))
	f.Add([]byte(`{"specversion":"1.0","id":"a","data":{"quantity":-0.5E-7,"to":"x"}}`))
	f.Add([]byte(`[{"data":{}} , {"id":""}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		scanAgrees(t, body, true)
		scanAgrees(t, body, false)
	})
}

// BenchmarkDecodeBatch decodes and validates a batch of 1,000 receipts
// (Decode: the scanner), and the same read by encoding/json (the fast
// path before the scanner). Reports events/s.
func BenchmarkDecodeBatch(b *testing.B) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strings.Replace(good, `"e1"`, `"ev-`+strings.Repeat("7", i%7+1)+`"`, 1))
	}
	sb.WriteByte(']')
	body := []byte(sb.String())
	for _, c := range []struct {
		name string
		read func() bool
	}{
		{"Decode", func() bool { evs, errs := Decode(body, Options{}); return len(evs) == 1000 && len(errs) == 0 }},
		{"encoding-json", func() bool { ws, ok := jsonEvents(body, 10_000); return ok && len(ws) == 1000 }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !c.read() {
					b.Fatal("batch refused")
				}
			}
			b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
