package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const good = `{"specversion":"1.0","id":"e1","source":"urn:acme:wms","type":"dockside.inventory.receipt","time":"2026-12-05T09:30:00Z","data":{"sku":"SKU-1","location":"DAL","quantity":5}}`

// with returns the good event with data fields replaced (nil deletes).
func with(envelope, data map[string]any) string {
	var ev map[string]any
	if err := json.Unmarshal([]byte(good), &ev); err != nil {
		panic(err)
	}
	d := ev["data"].(map[string]any)
	for k, v := range envelope {
		if v == nil {
			delete(ev, k)
		} else {
			ev[k] = v
		}
	}
	for k, v := range data {
		if v == nil {
			delete(d, k)
		} else {
			d[k] = v
		}
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func TestDecodeGood(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Data
	}{
		{"receipt", good, Data{SKU: "SKU-1", Location: "DAL", Quantity: 5}},
		{"item and code", with(nil, map[string]any{"sku": nil, "item": "A-1", "location": nil, "location_code": "D1", "unit": "CA"}),
			Data{Item: "A-1", LocationCode: "D1", Quantity: 5, Unit: "CA"}},
		{"adjustment negative", with(map[string]any{"type": "dockside.inventory.adjustment"}, map[string]any{"quantity": -3, "reason": "cycle count"}),
			Data{SKU: "SKU-1", Location: "DAL", Quantity: -3, Reason: "cycle count"}},
		{"count zero defaults on_hand", with(map[string]any{"type": "dockside.inventory.count"}, map[string]any{"quantity": 0}),
			Data{SKU: "SKU-1", Location: "DAL", Bucket: BucketOnHand}},
		{"status", with(map[string]any{"type": "dockside.inventory.status"}, map[string]any{"from": "available", "to": "damaged"}),
			Data{SKU: "SKU-1", Location: "DAL", Quantity: 5, From: StatusAvailable, To: StatusDamaged}},
		{"reservation", with(map[string]any{"type": "dockside.inventory.reservation"}, map[string]any{"order": "SO-1"}),
			Data{SKU: "SKU-1", Location: "DAL", Quantity: 5, Order: "SO-1"}},
		{"extension attribute ignored", with(map[string]any{"partnerext": "x"}, nil), Data{SKU: "SKU-1", Location: "DAL", Quantity: 5}},
		{"whole number as 5.0", with(nil, map[string]any{"quantity": json.Number("5.0")}), Data{SKU: "SKU-1", Location: "DAL", Quantity: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, errs := Decode([]byte(tt.body), Options{})
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(evs) != 1 || evs[0].Data != tt.want {
				t.Fatalf("got %+v, want data %+v", evs, tt.want)
			}
		})
	}
}

func TestDecodeBad(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		path     string
		sentinel error
		msg      string
	}{
		{"invalid JSON", `{"id": "e1",`, "", ErrSyntax, "invalid JSON at line 1"},
		{"empty", ``, "", ErrSyntax, "empty body"},
		{"number body", `42`, "", ErrType, "want an event"},
		{"empty batch", `[]`, "", ErrRequired, "empty batch"},
		{"missing id", with(map[string]any{"id": nil}, nil), "id", ErrRequired, "required"},
		{"missing source", with(map[string]any{"source": nil}, nil), "source", ErrRequired, "required"},
		{"missing specversion", with(map[string]any{"specversion": nil}, nil), "specversion", ErrRequired, "required"},
		{"wrong specversion", with(map[string]any{"specversion": "0.3"}, nil), "specversion", ErrInvalid, `"0.3"`},
		{"unknown type", with(map[string]any{"type": "dockside.inventory.teleport"}, nil), "type", ErrInvalid, "not an event type"},
		{"id not a string", with(map[string]any{"id": 7}, nil), "id", ErrType, "must be a JSON string"},
		{"bad time", with(map[string]any{"time": "yesterday"}, nil), "time", ErrInvalid, "RFC 3339"},
		{"no data", with(map[string]any{"data": nil}, nil), "data", ErrRequired, "required"},
		{"data array", with(map[string]any{"data": []int{1}}, nil), "data", ErrType, "object"},
		{"no sku", with(nil, map[string]any{"sku": nil}), "data.sku", ErrRequired, "required (or data.item)"},
		{"sku and item", with(nil, map[string]any{"item": "X"}), "data.item", ErrConflict, "not both"},
		{"no location", with(nil, map[string]any{"location": nil}), "data.location", ErrRequired, "required"},
		{"no quantity", with(nil, map[string]any{"quantity": nil}), "data.quantity", ErrRequired, "required"},
		{"quantity text", with(nil, map[string]any{"quantity": "5"}), "data.quantity", ErrType, "must be a JSON number"},
		{"quantity fraction", with(nil, map[string]any{"quantity": 1.5}), "data.quantity", ErrType, "whole number"},
		{"quantity zero", with(nil, map[string]any{"quantity": 0}), "data.quantity", ErrInvalid, "must be a positive integer"},
		{"quantity negative receipt", with(nil, map[string]any{"quantity": -2}), "data.quantity", ErrInvalid, "must be a positive integer"},
		{"quantity huge", with(nil, map[string]any{"quantity": json.Number("99999999999999999999")}), "data.quantity", ErrInvalid, "out of range"},
		{"count negative", with(map[string]any{"type": "dockside.inventory.count"}, map[string]any{"quantity": -1}), "data.quantity", ErrInvalid, "zero or more"},
		{"adjustment zero", with(map[string]any{"type": "dockside.inventory.adjustment"}, map[string]any{"quantity": 0, "reason": "x"}), "data.quantity", ErrInvalid, "not be zero"},
		{"adjustment no reason", with(map[string]any{"type": "dockside.inventory.adjustment"}, nil), "data.reason", ErrRequired, "adjustment"},
		{"status no from", with(map[string]any{"type": "dockside.inventory.status"}, map[string]any{"to": "damaged"}), "data.from", ErrRequired, "status move"},
		{"status same", with(map[string]any{"type": "dockside.inventory.status"}, map[string]any{"from": "damaged", "to": "damaged"}), "data.to", ErrInvalid, "differ"},
		{"status bad", with(map[string]any{"type": "dockside.inventory.status"}, map[string]any{"from": "lost", "to": "damaged"}), "data.from", ErrInvalid, "want one of"},
		{"from on receipt", with(nil, map[string]any{"from": "available"}), "data.from", ErrConflict, "status events only"},
		{"reservation no order", with(map[string]any{"type": "dockside.inventory.reservation"}, nil), "data.order", ErrRequired, "per order"},
		{"order on receipt", with(nil, map[string]any{"order": "SO-1"}), "data.order", ErrConflict, "applies to"},
		{"bucket bad", with(map[string]any{"type": "dockside.inventory.count"}, map[string]any{"bucket": "allocated"}), "data.bucket", ErrInvalid, "want one of"},
		{"unknown data field", with(nil, map[string]any{"quantiy": 5}), "data.quantiy", ErrUnknownField, "not a field"},
		{"sku not string", with(nil, map[string]any{"sku": 12}), "data.sku", ErrType, "must be a JSON string"},
		{"long id", with(map[string]any{"id": strings.Repeat("x", MaxIDLen+1)}, nil), "id", ErrInvalid, "at most"},
		{"control char id", with(map[string]any{"id": "a\nb"}, nil), "id", ErrInvalid, "printable"},
		{"content type", with(map[string]any{"datacontenttype": "text/xml"}, nil), "datacontenttype", ErrInvalid, "only application/json"},
		{"batch element path", `[` + good + `,` + with(nil, map[string]any{"quantity": -1}) + `]`, "events[1].data.quantity", ErrInvalid, "must be a positive integer"},
		{"batch element not object", `[` + good + `, 3]`, "events[1]", ErrType, "must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Decode([]byte(tt.body), Options{})
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			var found *FieldError
			for _, e := range errs {
				if e.Path == tt.path {
					found = e
				}
			}
			if found == nil {
				t.Fatalf("no error at %q: %v", tt.path, errs)
			}
			if !errors.Is(found, tt.sentinel) || !strings.Contains(found.Msg, tt.msg) {
				t.Fatalf("error %q (%v), want %v containing %q", found, found.Err, tt.sentinel, tt.msg)
			}
			if !errors.Is(errs, tt.sentinel) {
				t.Fatalf("errors.Is(Errors, %v) false", tt.sentinel)
			}
		})
	}
}

func TestDecodeBatchKeepsGood(t *testing.T) {
	body := `[` + good + `,` + with(nil, map[string]any{"sku": nil}) + `,` + with(map[string]any{"id": "e3"}, nil) + `]`
	evs, errs := Decode([]byte(body), Options{})
	if len(errs) != 1 || errs[0].Index != 1 {
		t.Fatalf("errors %v", errs)
	}
	if len(evs) != 2 || evs[0].Index != 0 || evs[1].Index != 2 || evs[1].Path != "events[2]" {
		t.Fatalf("events %+v", evs)
	}
}

func TestDecodeHugeBatch(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 11 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprint(&b, with(map[string]any{"id": fmt.Sprint(i)}, nil))
	}
	b.WriteString("]")
	evs, errs := Decode([]byte(b.String()), Options{MaxBatch: 10})
	if len(evs) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrTooMany) {
		t.Fatalf("got %d events, errors %v", len(evs), errs)
	}
}

func TestCode(t *testing.T) {
	_, errs := Decode([]byte(with(nil, map[string]any{"quantity": 0})), Options{})
	if len(errs) != 1 || Code(errs[0]) != "invalid" {
		t.Fatalf("errors %v code %q", errs, Code(errs[0]))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`[` + good + `,` + good + `]`))
	f.Add([]byte(with(map[string]any{"type": "dockside.inventory.status"}, map[string]any{"from": "available", "to": "quarantined"})))
	f.Add([]byte(`{"data":{"quantity":1e400}}`))
	f.Add([]byte(`[{"data":null},1,"x",[]]`))
	f.Add([]byte(`[` + good + `,null]`))
	f.Add([]byte(`[` + with(nil, map[string]any{"quantity": "5"}) + `]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if fast, ferrs, ok := decodeBatchFast(body, 100); ok {
			slow, serrs := decodeBatchSlow(body, 100)
			if fmt.Sprint(fast) != fmt.Sprint(slow) || ferrs.Error() != serrs.Error() || len(ferrs) != len(serrs) {
				t.Fatalf("fast and slow paths differ:\n%v %v\n%v %v", fast, ferrs, slow, serrs)
			}
		}
		if fast, ferrs, ok := decodeOneFast(body); ok {
			slow, serrs := decodeOneSlow(body)
			if fmt.Sprint(fast) != fmt.Sprint(slow) || fmt.Sprint(ferrs) != fmt.Sprint(serrs) {
				t.Fatalf("fast and slow paths differ on one event:\n%v %v\n%v %v", fast, ferrs, slow, serrs)
			}
		}
		evs, errs := Decode(body, Options{MaxBatch: 100})
		for _, e := range errs {
			if e.Err == nil || e.Msg == "" || Code(e) == "" {
				t.Fatalf("problem without sentinel or message: %#v", e)
			}
		}
		for _, ev := range evs {
			if ev.ID == "" || ev.Source == "" || !ev.Type.Valid() {
				t.Fatalf("invalid event accepted: %+v", ev)
			}
			if (ev.Data.SKU == "") == (ev.Data.Item == "") || ev.Data.Quantity > MaxQuantity || ev.Data.Quantity < -MaxQuantity {
				t.Fatalf("invalid data accepted: %+v", ev.Data)
			}
		}
	})
}

// TestFastPathAgrees: a batch decoded in one pass gives the events and
// problems the event-by-event decoding gives.
func TestFastPathAgrees(t *testing.T) {
	bodies := []string{
		with(nil, map[string]any{"quantity": 0}),
		with(map[string]any{"type": "dockside.inventory.status"}, map[string]any{"from": "lost", "to": "damaged"}),
		with(map[string]any{"id": nil, "time": "x"}, map[string]any{"sku": nil}),
		with(map[string]any{"data": nil}, nil),
		with(map[string]any{"type": "dockside.inventory.count"}, map[string]any{"bucket": "damaged", "expected": "2026-12-05T00:00:00Z"}),
		with(nil, map[string]any{"quantity": json.Number("1e3")}),
		with(nil, map[string]any{"quantity": 1.5}),
	}
	fastOnes := 0
	for _, b := range bodies {
		body := []byte("[" + good + "," + b + "]")
		fast, ferrs, ok := decodeBatchFast(body, 100)
		if !ok {
			continue
		}
		fastOnes++
		slow, serrs := decodeBatchSlow(body, 100)
		if fmt.Sprint(fast) != fmt.Sprint(slow) || fmt.Sprint(ferrs) != fmt.Sprint(serrs) {
			t.Errorf("%s:\nfast %v %v\nslow %v %v", b, fast, ferrs, slow, serrs)
		}
	}
	for _, b := range bodies {
		fast, ferrs, ok := decodeOneFast([]byte(b))
		if !ok {
			continue
		}
		fastOnes++
		slow, serrs := decodeOneSlow([]byte(b))
		if fmt.Sprint(fast) != fmt.Sprint(slow) || fmt.Sprint(ferrs) != fmt.Sprint(serrs) {
			t.Errorf("one event %s:\nfast %v %v\nslow %v %v", b, fast, ferrs, slow, serrs)
		}
	}
	if fastOnes < 10 {
		t.Errorf("only %d bodies took the fast path", fastOnes)
	}
}

// decodeOneSlow decodes a single event the slow way.
func decodeOneSlow(body []byte) ([]Event, Errors) {
	if err := checkJSON(body); err != nil {
		return nil, Errors{err}
	}
	ev, errs := decodeEvent(body, "", 0)
	if len(errs) > 0 {
		return nil, errs
	}
	return []Event{ev}, nil
}
