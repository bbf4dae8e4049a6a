package stream_test

import (
	"errors"
	"testing"

	"github.com/dockside-edi/dockside/events/stream"
)

// FuzzParseEventID: an id parses only as EventID writes it, and back.
func FuzzParseEventID(f *testing.F) {
	for _, s := range []string{"1-0", "4182-17", "0-0", "-1", "1-", "18446744073709551615-9", "1--1", "01-2", " 1-2", "1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		seq, idx, err := stream.ParseEventID(id)
		if err != nil {
			if !errors.Is(err, stream.ErrBadPosition) {
				t.Fatalf("%q: %v does not wrap ErrBadPosition", id, err)
			}
			return
		}
		if seq == 0 || idx < 0 {
			t.Fatalf("%q parsed as %d, %d", id, seq, idx)
		}
		if back := stream.EventID(seq, idx); back != id {
			t.Fatalf("%q parsed as %d, %d, which is %q", id, seq, idx, back)
		}
	})
}

// FuzzUnmarshal: Unmarshal never panics, and what it accepts marshals
// and reads back the same.
func FuzzUnmarshal(f *testing.F) {
	ex := stream.ExampleEvent()
	b, _ := ex.Marshal()
	f.Add(b)
	f.Add([]byte(`{"specversion":"1.0","id":"2-0","type":"dockside.ledger.receipt","data":{"change":2}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"specversion":"1.0","id":"2-1","type":"dockside.ledger.x","data":{"change":2,"index":1,"expected":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := stream.Unmarshal(b)
		if err != nil {
			return
		}
		again, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		e2, err := stream.Unmarshal(again)
		if err != nil || e2.ID != e.ID || e2.Data.Change != e.Data.Change || e2.Data.Balance != e.Data.Balance {
			t.Fatalf("%s read back as %+v, %v", again, e2, err)
		}
	})
}
