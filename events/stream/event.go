package stream

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// SpecVersion is the CloudEvents version of the envelope.
const SpecVersion = "1.0"

// ContentType is the media type of an event's data.
const ContentType = "application/json"

// TypePrefix begins every change event's type; the ledger's movement kind
// follows ("dockside.ledger.receipt").
const TypePrefix = "dockside.ledger."

// DefaultSource is the CloudEvents source of change events unless the
// relay is given another.
const DefaultSource = "urn:dockside:ledger"

// Event is one change event: one movement of one ledger posting, as a
// CloudEvents 1.0 structured-mode JSON object. (Source, ID) is unique and
// stays the same on every delivery of the same movement.
type Event struct {
	// SpecVersion is "1.0".
	SpecVersion string `json:"specversion"`
	// ID is "<change>-<index>": the posting's change sequence and the
	// movement's place in it (see EventID).
	ID string `json:"id"`
	// Source is the gateway's (DefaultSource unless configured).
	Source string `json:"source"`
	// Type is TypePrefix + the movement kind.
	Type string `json:"type"`
	// Time is when the ledger recorded the posting.
	Time time.Time `json:"time"`
	// Subject is "<location>/<sku>".
	Subject string `json:"subject"`
	// DataContentType is "application/json".
	DataContentType string `json:"datacontenttype"`
	// Data is the change.
	Data Data `json:"data"`
}

// Data is what changed: one movement, its delta and the balance after it.
type Data struct {
	// Change is the ledger change sequence of the posting (gap-free,
	// increasing; every event of a posting has the same).
	Change uint64 `json:"change"`
	// Index is the movement's place in its posting, from 0.
	Index int `json:"index"`
	// Count is how many movements (events) the posting has.
	Count int `json:"count"`
	// Sequence is the per-SKU sequence: it increases with every change of
	// the SKU at the location (it is the ledger's movement id, so it also
	// increases across SKUs and has gaps per SKU). Keep the highest
	// applied per (location, SKU); an event with a lower or equal one is
	// stale or a duplicate.
	Sequence uint64 `json:"sequence"`
	// SKU and Location are the position that changed.
	SKU      string `json:"sku"`
	Location string `json:"location"`
	// Kind is the ledger movement kind (receipt, shipment, allocate,
	// release, in_transit, adjust, damage, quarantine, snapshot).
	Kind string `json:"kind"`
	// Quantity is the movement's quantity as posted (a snapshot's count).
	Quantity int64 `json:"quantity"`
	// Bucket is what a snapshot counts (on_hand, allocated, in_transit,
	// damaged, quarantined); empty for other kinds.
	Bucket string `json:"bucket,omitempty"`
	// Delta is what the movement changed, bucket by bucket.
	Delta Figures `json:"delta"`
	// Balance is the position's balance right after the movement:
	// absolute figures, with available to promise.
	Balance Figures `json:"balance"`
	// Effective is when the movement happened.
	Effective time.Time `json:"effective"`
	// Expected is the due date of in-transit stock; absent when undated.
	Expected *time.Time `json:"expected,omitempty"`
	// Reason says why (adjustments).
	Reason string `json:"reason,omitempty"`
	// Order is the order a reservation, release or shipment is for.
	Order string `json:"order,omitempty"`
	// Partner and DocumentType say where the movement comes from.
	Partner      string `json:"partner,omitempty"`
	DocumentType string `json:"document_type,omitempty"`
	// Document is the ledger's key of the posted document (absent from a
	// partner's own subscription when the document is not the partner's).
	Document string `json:"document,omitempty"`
	// Item and LocationCode are the SKU and the location in the partner's
	// own codes, in a partner's own subscription when its profile's
	// cross-reference has them; absent otherwise.
	Item         string `json:"item,omitempty"`
	LocationCode string `json:"location_code,omitempty"`
	// Stale marks a snapshot older than one already applied: recorded,
	// nothing changed.
	Stale bool `json:"stale,omitempty"`
	// Absorbed marks a movement a later snapshot had already counted: its
	// change to that bucket is zero in Delta.
	Absorbed bool `json:"absorbed,omitempty"`
}

// Figures are quantities per bucket, in the item's base unit. Available
// (on_hand − allocated − damaged − quarantined) is set in balances.
type Figures struct {
	OnHand      int64 `json:"on_hand"`
	Allocated   int64 `json:"allocated"`
	InTransit   int64 `json:"in_transit"`
	Damaged     int64 `json:"damaged"`
	Quarantined int64 `json:"quarantined"`
	Available   int64 `json:"available"`
}

// figures converts ledger quantities; withAvailable sets Available.
func figures(q ledger.Quantities, withAvailable bool) Figures {
	f := Figures{OnHand: q.OnHand, Allocated: q.Allocated, InTransit: q.InTransit, Damaged: q.Damaged, Quarantined: q.Quarantined}
	if withAvailable {
		f.Available = ledger.Balance{Quantities: q}.Available()
	} else {
		f.Available = q.OnHand - q.Allocated - q.Damaged - q.Quarantined
	}
	return f
}

// EventID returns the id of the event of the index-th movement of the
// posting with change sequence seq: "<seq>-<index>".
func EventID(seq uint64, index int) string {
	return strconv.FormatUint(seq, 10) + "-" + strconv.Itoa(index)
}

// ParseEventID returns the change sequence and index an EventID names;
// only ids as EventID writes them parse.
func ParseEventID(id string) (seq uint64, index int, err error) {
	a, b, ok := strings.Cut(id, "-")
	if ok {
		seq, err = strconv.ParseUint(a, 10, 64)
		if err == nil {
			index, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || seq == 0 || index < 0 || EventID(seq, index) != id { // canonical only: no "+1", "01"
		return 0, 0, fmt.Errorf("%w: event id %q", ErrBadPosition, id)
	}
	return seq, index, nil
}

// Position returns the event's place in the stream: its posting's change
// sequence and its index there. Positions order events as the ledger
// recorded them.
func (e *Event) Position() (seq uint64, index int) { return e.Data.Change, e.Data.Index }

// Before reports whether the event comes before the position (seq, index).
func (e *Event) Before(seq uint64, index int) bool {
	return e.Data.Change < seq || (e.Data.Change == seq && e.Data.Index < index)
}

// Marshal returns the event as CloudEvents structured-mode JSON.
func (e *Event) Marshal() ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("stream: encoding event %s: %w", e.ID, err)
	}
	return b, nil
}

// Unmarshal reads an event as Marshal writes it. It checks the envelope
// and that the id matches the data's position.
func Unmarshal(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("stream: decoding event: %w", err)
	}
	if e.SpecVersion != SpecVersion || !strings.HasPrefix(e.Type, TypePrefix) {
		return Event{}, fmt.Errorf("stream: decoding event %q: not a change event (specversion %q, type %q)", e.ID, e.SpecVersion, e.Type)
	}
	if seq, idx, err := ParseEventID(e.ID); err != nil || seq != e.Data.Change || idx != e.Data.Index {
		return Event{}, fmt.Errorf("stream: decoding event %q: %w: id does not match data.change %d, data.index %d", e.ID, ErrBadPosition, e.Data.Change, e.Data.Index)
	}
	return e, nil
}

// newEvent builds the event of movement index of change ch, given the
// position's balance after it.
func newEvent(source string, ch *ledger.Change, index int, after ledger.Quantities) Event {
	m := &ch.Movements[index]
	d := Data{
		Change:       ch.Seq,
		Index:        index,
		Count:        len(ch.Movements),
		Sequence:     m.ID,
		SKU:          m.SKU,
		Location:     m.Location,
		Kind:         m.Kind.String(),
		Quantity:     m.Quantity,
		Delta:        figures(m.Delta, false),
		Balance:      figures(after, true),
		Effective:    m.Effective.UTC(),
		Reason:       m.Reason,
		Order:        m.Reference.Order,
		Partner:      m.Reference.Partner,
		DocumentType: m.Reference.DocumentType,
		Document:     ch.Document,
		Stale:        m.Stale,
		Absorbed:     m.Absorbed,
	}
	if m.Kind == ledger.KindSnapshot {
		b := m.Bucket
		if b == 0 {
			b = ledger.BucketOnHand
		}
		d.Bucket = b.String()
	}
	if !m.Expected.IsZero() {
		t := m.Expected.UTC()
		d.Expected = &t
	}
	return Event{
		SpecVersion:     SpecVersion,
		ID:              EventID(ch.Seq, index),
		Source:          source,
		Type:            TypePrefix + d.Kind,
		Time:            ch.Recorded.UTC(),
		Subject:         m.Location + "/" + m.SKU,
		DataContentType: ContentType,
		Data:            d,
	}
}
