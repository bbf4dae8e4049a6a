package mapping

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dockside-edi/dockside/events"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

func eventsProfile(t *testing.T, onError string) *partners.Profile {
	t.Helper()
	fsys := fstest.MapFS{"p/acme.yaml": {Data: []byte(`id: acme
name: Acme WMS
role: 3pl
tables:
  items:
    map: {A-1: SKU-1, A-2: SKU-2}
  sites:
    map: {D1: dallas}
events:
  source: urn:acme:wms
  items: items
  warehouses: sites
  on_error: ` + onError + `
  units:
    convert: {CA: 12}
`)}}
	d, err := partners.LoadFS(fsys, "p")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.ByID("acme")
	return p
}

func mapEvents(t *testing.T, onError, body string) (*Result, error) {
	t.Helper()
	evs, bad := events.Decode([]byte(body), events.Options{})
	src := Source{Partner: "acme", FileHash: "h1", FileName: "events", Received: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)}
	return New(eventsProfile(t, onError)).Events(evs, bad, src)
}

const ev = `{"specversion":"1.0","id":"%ID%","source":"urn:acme:wms","type":"dockside.inventory.%T%","data":{%D%}}`

func event(id, typ, data string) string {
	return strings.NewReplacer("%ID%", id, "%T%", typ, "%D%", data).Replace(ev)
}

func TestEventsMapping(t *testing.T) {
	body := "[" + strings.Join([]string{
		event("1", "receipt", `"item":"A-1","location_code":"D1","quantity":2,"unit":"CA","reference":"PO-9"`),
		event("2", "status", `"sku":"SKU-2","location":"reno","quantity":3,"from":"damaged","to":"quarantined"`),
		event("3", "count", `"sku":"SKU-2","location":"reno","quantity":40,"bucket":"damaged"`),
		event("4", "reservation", `"sku":"SKU-1","location":"dallas","quantity":1,"order":"SO-7"`),
		event("5", "transfer_in", `"sku":"SKU-1","location":"dallas","quantity":5`),
	}, ",") + "]"
	res, err := mapEvents(t, "reject", body)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key  string
		kind ledger.Kind
		sku  string
		loc  string
		qty  int64
	}{
		{"acme|event|urn:acme:wms|1", ledger.KindReceipt, "SKU-1", "dallas", 24},
		{"acme|event|urn:acme:wms|2", ledger.KindDamage, "SKU-2", "reno", -3},
		{"acme|event2|urn:acme:wms|2", ledger.KindQuarantine, "SKU-2", "reno", 3},
		{"acme|event|urn:acme:wms|3", ledger.KindSnapshot, "SKU-2", "reno", 40},
		{"acme|event|urn:acme:wms|4", ledger.KindAllocate, "SKU-1", "dallas", 1},
		{"acme|event|urn:acme:wms|5", ledger.KindReceipt, "SKU-1", "dallas", 5},
	}
	if len(res.Movements) != len(want) {
		t.Fatalf("%d movements: %+v", len(res.Movements), res.Movements)
	}
	for i, w := range want {
		m := res.Movements[i]
		if m.SourceKey != w.key || m.Kind != w.kind || m.SKU != w.sku || m.Location != w.loc || m.Quantity != w.qty {
			t.Errorf("movement %d = %s %v %s@%s %d, want %+v", i, m.SourceKey, m.Kind, m.SKU, m.Location, m.Quantity, w)
		}
	}
	if m := res.Movements[0]; m.Reason != "ref PO-9" || !m.Effective.Equal(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("receipt reason %q effective %v", m.Reason, m.Effective)
	}
	if res.Movements[3].Bucket != ledger.BucketDamaged || res.Movements[4].Reference.Order != "SO-7" || !res.Movements[5].TakeInTransit {
		t.Errorf("bucket, order or take in transit lost: %+v", res.Movements[3:])
	}
}

func TestEventsMappingProblems(t *testing.T) {
	tests := []struct {
		name, body   string
		place, field string
		reason       string
	}{
		{"unknown item", event("1", "receipt", `"item":"A-9","location":"dallas","quantity":1`), "", "data.item", `not found in table "items"`},
		{"unknown location code", event("1", "receipt", `"sku":"S","location_code":"Z9","quantity":1`), "", "data.location_code", `not found in table "sites"`},
		{"unknown unit", event("1", "receipt", `"sku":"S","location":"dallas","quantity":1,"unit":"PL"`), "", "data.unit", "no conversion to EA"},
		{"other source", strings.Replace(event("1", "receipt", `"sku":"S","location":"dallas","quantity":1`), "urn:acme:wms", "urn:other", 1), "", "source", "not partner acme's event source"},
		{"decoder problem", "[" + event("1", "receipt", `"sku":"S","location":"dallas","quantity":0`) + "]", "events[0].data.quantity", "", "must be a positive integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := mapEvents(t, "reject", tt.body)
			if !errors.Is(err, ErrRejected) || len(res.Movements) != 0 || len(res.Problems) != 1 {
				t.Fatalf("err %v, %d movements, problems %+v", err, len(res.Movements), res.Problems)
			}
			p := res.Problems[0]
			if p.Place != tt.place || p.Field != tt.field || !strings.Contains(p.Reason, tt.reason) {
				t.Fatalf("problem %+v, want %s %s %q", p, tt.place, tt.field, tt.reason)
			}
		})
	}
}

func TestEventsPostGood(t *testing.T) {
	body := "[" + event("1", "receipt", `"item":"A-9","location":"dallas","quantity":1`) + "," +
		event("2", "shipment", `"sku":"SKU-1","location":"dallas","quantity":1,"order":"SO-1"`) + "," +
		`{"id":3}` + "]"
	for _, tt := range []struct {
		onError   string
		movements int
	}{{"reject", 0}, {"post_good", 1}} {
		res, err := mapEvents(t, tt.onError, body)
		if len(res.Movements) != tt.movements || len(res.Problems) < 2 || res.Lines != 3 {
			t.Errorf("%s: %d movements, %d problems, %d lines, err %v", tt.onError, len(res.Movements), len(res.Problems), res.Lines, err)
		}
	}
}
