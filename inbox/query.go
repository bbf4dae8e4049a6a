package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Get returns message id.
func (s *Store) Get(id uint64) (*Message, error) {
	var m *Message
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		m, err = getMessage(tx, id)
		return err
	})
	return m, err
}

// List returns the messages that match f, newest first (by received
// time, then id), reading the whole range if it must (f.MaxScan is
// ignored). Search is the bounded form.
func (s *Store) List(f Filter) ([]*Message, error) {
	f.MaxScan = 0
	p, err := s.Search(context.Background(), f)
	return p.Messages, err
}

// Page is one page of a search.
type Page struct {
	// Messages match the filter, newest first. A page may hold fewer
	// than the limit and still have a Next: the scan budget ran out.
	Messages []*Message
	// Next is the id to pass as Filter.Before for the following page;
	// 0 when the search has nothing more.
	Next uint64
	// Scanned is how many index entries the search read.
	Scanned int
}

// Search returns one page of the messages that match f, newest first
// (by received time, then id: keyset paging with f.Before as the
// cursor). It reads one index range: control number, document type,
// partner and state, state, partner, or every message, narrowed by the
// time range; the other conditions (and Text, which no index serves)
// are checked on the records read, at most f.MaxScan of them.
func (s *Store) Search(ctx context.Context, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var p Page
	err := s.db.View(func(tx *bolt.Tx) error {
		p = Page{}
		prefix := f.indexPrefix()
		hi := indexKey(prefix, time.Unix(0, math.MaxInt64), math.MaxUint64)
		beforeID := uint64(0)
		if f.Before > 0 {
			if cur, err := getMessage(tx, f.Before); err == nil {
				hi = indexKey(prefix, cur.ReceivedAt, cur.ID)
			} else {
				beforeID = f.Before // not a message: ids below it
			}
		}
		if !f.Until.IsZero() {
			if u := indexKey(prefix, f.Until, 0); bytes.Compare(u, hi) < 0 {
				hi = u
			}
		}
		lo := indexKey(prefix, f.Since, 0)
		msgs := tx.Bucket(bucketMessages)
		var lastScanned uint64
		c := tx.Bucket(bucketIndex).Cursor()
		k, _ := c.Seek(hi)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, lo) >= 0; k, _ = c.Prev() {
			_, id := splitIndexKey(k)
			if len(p.Messages) == limit || (f.MaxScan > 0 && p.Scanned == f.MaxScan) {
				p.Next = lastScanned // more keys in range: the next page starts below
				return nil
			}
			lastScanned = id
			if p.Scanned++; p.Scanned%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if beforeID > 0 && id >= beforeID {
				continue
			}
			v := msgs.Get(idKey(id))
			if v == nil {
				continue
			}
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("message %d: decoding record: %w", id, err)
			}
			if f.matches(&m) {
				out := m
				p.Messages = append(p.Messages, &out)
			}
		}
		return nil
	})
	return p, err
}

// Count returns how many messages match f (its Before, Limit and MaxScan
// ignored), up to max (0: no bound), and whether it stopped there. When
// the index Search would read holds exactly the matching messages (one
// of state, partner, partner and state, control or type, with a time
// range, and no text) it counts index keys without reading records.
func (s *Store) Count(ctx context.Context, f Filter, max int) (int, bool, error) {
	f.Before, f.Limit, f.MaxScan = 0, 0, 0
	exact := f.Text == "" && indexExact(&f)
	n, capped := 0, false
	err := s.db.View(func(tx *bolt.Tx) error {
		n, capped = 0, false
		prefix := f.indexPrefix()
		hi := indexKey(prefix, time.Unix(0, math.MaxInt64), math.MaxUint64)
		if !f.Until.IsZero() {
			hi = indexKey(prefix, f.Until, 0)
		}
		lo := indexKey(prefix, f.Since, 0)
		msgs := tx.Bucket(bucketMessages)
		c := tx.Bucket(bucketIndex).Cursor()
		k, _ := c.Seek(hi)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for seen := 0; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, lo) >= 0; k, _ = c.Prev() {
			if max > 0 && n == max {
				capped = true
				return nil
			}
			if seen++; seen%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !exact {
				_, id := splitIndexKey(k)
				var m Message
				if v := msgs.Get(idKey(id)); v == nil || json.Unmarshal(v, &m) != nil || !f.matches(&m) {
					continue
				}
			}
			n++
		}
		return nil
	})
	return n, capped, err
}

// indexExact reports whether the index f reads holds exactly the
// messages that match f's conditions other than Text.
func indexExact(f *Filter) bool {
	conds := 0
	for _, set := range []bool{f.Control != "", f.DocType != "", f.State != "", f.Partner != ""} {
		if set {
			conds++
		}
	}
	return conds <= 1 || (conds == 2 && f.State != "" && f.Partner != "")
}

// indexPrefix chooses the index a search reads: the most selective
// condition it has.
func (f *Filter) indexPrefix() []byte {
	switch {
	case f.Control != "":
		return indexPrefix(ixControl, trimControl(f.Control))
	case f.DocType != "":
		return indexPrefix(ixDocType, f.DocType)
	case f.Partner != "" && f.State != "":
		return indexPrefix(ixPartnerState, f.Partner, string(f.State))
	case f.State != "":
		return indexPrefix(ixState, string(f.State))
	case f.Partner != "":
		return indexPrefix(ixPartner, f.Partner)
	default:
		return indexPrefix(ixAll)
	}
}

// matches checks every condition of f on a record.
func (f *Filter) matches(m *Message) bool {
	switch {
	case f.State != "" && m.State != f.State,
		f.Partner != "" && m.Partner != f.Partner,
		!f.Since.IsZero() && m.ReceivedAt.Before(f.Since),
		!f.Until.IsZero() && !m.ReceivedAt.Before(f.Until),
		f.Control != "" && !hasControl(m, trimControl(f.Control)),
		f.DocType != "" && !hasDocType(m, f.DocType):
		return false
	}
	if f.Text == "" {
		return true
	}
	if strings.Contains(m.Name, f.Text) || strings.Contains(m.Interchange, f.Text) {
		return true
	}
	if r := m.Result; r != nil {
		if strings.Contains(r.DocType, f.Text) {
			return true
		}
		for _, c := range append(append([]string(nil), r.Controls...), r.Documents...) {
			if strings.Contains(c, f.Text) {
				return true
			}
		}
	}
	return false
}

// hasControl: an ISA13, GS06 or ST02 the message carried, or the ISA13
// of its interchange key (leading zeros trimmed on both sides).
func hasControl(m *Message, c string) bool {
	if r := m.Result; r != nil {
		for _, ctl := range r.Controls {
			for _, part := range strings.Split(ctl, "/") {
				if trimControl(part) == c {
					return true
				}
			}
		}
	}
	parts := strings.Split(m.Interchange, "|")
	return len(parts) == 7 && trimControl(parts[4]) == c
}

// hasDocType: the message's recorded type (x12, csv...) or the type of
// one of its documents (x12/997).
func hasDocType(m *Message, t string) bool {
	if r := m.Result; r != nil {
		if r.DocType == t {
			return true
		}
		for _, d := range r.Documents {
			if d == t {
				return true
			}
		}
	}
	return false
}

// Waiting returns how many messages wait in the queue.
func (s *Store) Waiting() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketQueue).Stats().KeyN
		return nil
	})
	return n, err
}
