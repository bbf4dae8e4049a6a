package events

import (
	"bytes"
	"encoding/json"
)

// The scanner reads events written the usual way without reflection: only
// the fields of fastEvent and wireData (exact names, each once), string
// values in ASCII without escapes, a JSON number for data.quantity. Any
// other input (escapes, non-ASCII text, null, other types, extension
// attributes, bad JSON) makes it give up, and the caller decodes with
// encoding/json, which names each problem's place. For the input it
// accepts it gives what encoding/json gives.
//
// The strings of the events are substrings of one copy of the body: one
// allocation for all of them.

// scanned is an event read by the scanner, with its data.
type scanned struct {
	ev   fastEvent
	data wireData
}

// scanEvents reads a batch (a JSON array of at most maxBatch events) or,
// when one is true, a single event (a JSON object).
func scanEvents(body []byte, maxBatch int, one bool) ([]*fastEvent, bool) {
	s := scanner{b: body, s: string(body)}
	s.ws()
	var store []scanned
	if one {
		store = make([]scanned, 1)
		if !s.event(&store[0]) {
			return nil, false
		}
	} else {
		if !s.next('[') {
			return nil, false
		}
		s.ws()
		// Every event has a data member: their count sizes the store
		// (a hint, the store grows if it is short).
		store = make([]scanned, 0, min(maxBatch, bytes.Count(body, []byte(`"data"`))+1))
		for {
			if len(store) == maxBatch {
				return nil, false
			}
			store = append(store, scanned{})
			if !s.event(&store[len(store)-1]) {
				return nil, false
			}
			s.ws()
			if s.next(',') {
				s.ws()
				continue
			}
			if !s.next(']') {
				return nil, false
			}
			break
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return nil, false
	}
	out := make([]*fastEvent, len(store))
	for i := range store {
		st := &store[i]
		if st.ev.Data != nil {
			st.ev.Data = &st.data
		}
		out[i] = &st.ev
	}
	return out, true
}

// scanner reads b; s is the same bytes as a string.
type scanner struct {
	b []byte
	s string
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c if it comes next.
func (s *scanner) next(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes, in ASCII.
func (s *scanner) str() (string, bool) {
	if !s.next('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.s[start:s.i]
			s.i++
			return v, true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return "", false
		}
		s.i++
	}
	return "", false
}

// number reads a JSON number and returns its bytes.
func (s *scanner) number() ([]byte, bool) {
	start := s.i
	s.next('-')
	switch {
	case s.next('0'):
	case s.digits():
	default:
		return nil, false
	}
	if s.next('.') && !s.digits() {
		return nil, false
	}
	if s.next('e') || s.next('E') {
		if !s.next('+') {
			s.next('-')
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i:s.i], true
}

// digits consumes one or more decimal digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// object reads a JSON object, calling field for each member with the
// scanner on its value; field returns false to give up. The same name
// twice gives up (encoding/json would merge or overwrite).
func (s *scanner) object(field func(name string) (bit uint32, ok bool)) bool {
	if !s.next('{') {
		return false
	}
	s.ws()
	if s.next('}') {
		return true
	}
	var seen uint32
	for {
		name, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if !s.next(':') {
			return false
		}
		s.ws()
		bit, ok := field(name)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		s.ws()
		if s.next(',') {
			s.ws()
			continue
		}
		return s.next('}')
	}
}

// event reads one event into st.
func (s *scanner) event(st *scanned) bool {
	e := &st.ev
	return s.object(func(name string) (uint32, bool) {
		var p *string
		var bit uint32
		switch name {
		case "specversion":
			p, bit = &e.SpecVersion, 1<<0
		case "id":
			p, bit = &e.ID, 1<<1
		case "source":
			p, bit = &e.Source, 1<<2
		case "type":
			p, bit = &e.Type, 1<<3
		case "time":
			p, bit = &e.Time, 1<<4
		case "subject":
			p, bit = &e.Subject, 1<<5
		case "datacontenttype":
			p, bit = &e.DataContentType, 1<<6
		case "dataschema":
			p, bit = &e.DataSchema, 1<<7
		case "data":
			e.Data = &st.data // a placeholder until the store stops growing
			return 1 << 8, s.data(&st.data)
		default:
			return 0, false
		}
		v, ok := s.str()
		*p = v
		return bit, ok
	})
}

// data reads an event's data into d.
func (s *scanner) data(d *wireData) bool {
	return s.object(func(name string) (uint32, bool) {
		var p *string
		var bit uint32
		switch name {
		case "sku":
			p, bit = &d.SKU, 1<<0
		case "item":
			p, bit = &d.Item, 1<<1
		case "location":
			p, bit = &d.Location, 1<<2
		case "location_code":
			p, bit = &d.LocationCode, 1<<3
		case "quantity":
			n, ok := s.number()
			d.Quantity = json.RawMessage(n)
			return 1 << 4, ok
		case "unit":
			p, bit = &d.Unit, 1<<5
		case "effective":
			p, bit = &d.Effective, 1<<6
		case "expected":
			p, bit = &d.Expected, 1<<7
		case "reason":
			p, bit = &d.Reason, 1<<8
		case "from":
			p, bit = &d.From, 1<<9
		case "to":
			p, bit = &d.To, 1<<10
		case "bucket":
			p, bit = &d.Bucket, 1<<11
		case "order":
			p, bit = &d.Order, 1<<12
		case "reference":
			p, bit = &d.Reference, 1<<13
		default:
			return 0, false
		}
		v, ok := s.str()
		*p = v
		return bit, ok
	})
}
