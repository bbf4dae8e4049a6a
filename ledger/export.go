package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// These reads list the whole file in order, for copying a ledger into
// another store (`dockside migrate --from`, ledger/postgres.CopyFrom) and
// comparing the copy with it: the postings (change sequence), the
// movements (IDs), and the positions with everything the rules of Post
// keep of them. Each call runs in its own read transaction; copy a ledger
// no one is posting to.

// Posting is one posting of the change sequence without its movements,
// which are the IDs FirstID .. FirstID+Count-1.
type Posting struct {
	Seq      uint64
	Document string    // the document's key
	Recorded time.Time // when it was recorded
	FirstID  uint64
	Count    uint64
}

// ReadPostings returns up to limit postings (at least one when there
// are any; no cap when limit ≤ 0) with a sequence number above seq, in
// order.
func (l *Ledger) ReadPostings(ctx context.Context, seq uint64, limit int) ([]Posting, error) {
	var out []Posting
	err := l.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bktPostings).Cursor()
		for k, v := c.Seek(idKey(seq + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			s := binary.BigEndian.Uint64(k)
			p, err := decodePosting(s, v)
			if err != nil {
				return err
			}
			out = append(out, Posting{Seq: s, Document: p.document, Recorded: fromNanos(p.recorded), FirstID: p.firstID, Count: p.count})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: reading postings after %d: %w", seq, err)
	}
	return out, nil
}

// ReadMovements returns up to n movements (no cap when n ≤ 0) from ID
// from on, in ID order, each with its document's key: as ChangesSince has
// them, without grouping them by posting.
func (l *Ledger) ReadMovements(ctx context.Context, from uint64, n int) ([]Movement, error) {
	out := make([]Movement, 0, max(n, 0))
	err := l.view(ctx, func(tx *bolt.Tx) error {
		docs := newDocumentKeys(tx)
		var err error
		err2 := newMovementReader(tx).each(from, func(m Movement) bool {
			if m.Document, err = docs.key(m.Seq); err != nil {
				return false
			}
			out = append(out, m)
			if len(out)%4096 == 0 && ctx.Err() != nil {
				err = ctx.Err()
				return false
			}
			return n <= 0 || len(out) < n
		})
		if err != nil {
			return err
		}
		return err2
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: reading movements from %d: %w", from, err)
	}
	return out, nil
}

// StoredPosition is one (SKU, location) as the file keeps it: its state
// (what Balance shows, and the snapshot times the rules of Post need),
// its orders' allocations and, when asked for, its timeline.
type StoredPosition struct {
	Position
	State PositionState
	// Allocations holds, per order, its allocation at the position, under
	// the key the rules keep it by (OrderAllocation.Order: partner 0x1F
	// number; the number alone for one stored before allocations were
	// kept per partner; "" for what allocated snapshots adjusted).
	Allocations map[string]int64
	// Timeline lists the position's movements in time order (effective
	// time, then ID) with what each changed: what History lists and
	// BalanceAsOf subtracts.
	Timeline []TimelineEntry
}

// TimelineEntry is one movement in a position's timeline.
type TimelineEntry struct {
	Effective time.Time
	ID        uint64
	Delta     Quantities
}

// ReadPositions returns up to limit positions (no cap when limit ≤ 0)
// after the position after (the zero Position: from the first), in SKU,
// then location order (byte-wise), with their allocations and, when
// timeline is set, their timelines.
func (l *Ledger) ReadPositions(ctx context.Context, after Position, limit int, timeline bool) ([]StoredPosition, error) {
	var out []StoredPosition
	err := l.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bktPositions).Cursor()
		var k, v []byte
		if after == (Position{}) {
			k, v = c.First()
		} else {
			k, v = c.Seek(keyAfter(balanceKey(after.SKU, after.Location)))
		}
		var cur StoredPosition // the position whose keys are being read
		var curPrefix []byte
		var blocks []tlEntry
		for ; k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			prefix, kind := parsePositionKey(k)
			if kind == keyBad {
				return fmt.Errorf("%w: positions key %q", ErrCorrupt, k)
			}
			if !bytes.Equal(prefix, curPrefix) {
				curPrefix = append(curPrefix[:0], prefix...)
				sku, loc := prefixParts(prefix)
				cur, blocks = StoredPosition{Position: Position{sku, loc}}, blocks[:0]
			}
			switch kind {
			case keyAllocation:
				n, size := binary.Varint(v)
				if size <= 0 || size != len(v) {
					return fmt.Errorf("%w: allocation %q", ErrCorrupt, k)
				}
				if cur.Allocations == nil {
					cur.Allocations = make(map[string]int64)
				}
				cur.Allocations[string(k[len(prefix)+1:])] = n
			case keyTimeline:
				if timeline {
					var err error
					if blocks, err = decodeBlock(k, v, blocks); err != nil {
						return err
					}
				}
			case keyBalance:
				s, err := decodePosState(v)
				if err != nil {
					return fmt.Errorf("balance %q at %q: %w", cur.SKU, cur.Location, err)
				}
				cur.State = positionState(&s)
				if timeline {
					recent, err := s.tl.list()
					if err != nil {
						return fmt.Errorf("timeline of %q at %q: %w", cur.SKU, cur.Location, err)
					}
					cur.Timeline = make([]TimelineEntry, 0, len(blocks)+len(recent))
					for _, list := range [][]tlEntry{blocks, recent} {
						for _, e := range list {
							cur.Timeline = append(cur.Timeline, TimelineEntry{Effective: fromNanos(e.eff), ID: e.id, Delta: e.delta})
						}
					}
				}
				out = append(out, cur)
				if len(out)%1024 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: reading positions after %q at %q: %w", after.SKU, after.Location, err)
	}
	return out, nil
}
