package ledger

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Balance returns the balance of sku at loc, or summed across every
// location when loc is empty. A SKU the ledger has never seen has a zero
// balance.
func (l *Ledger) Balance(ctx context.Context, sku, loc string) (Balance, error) {
	var out Balance
	err := l.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = readBalance(tx, sku, loc)
		return err
	})
	if err != nil {
		return Balance{}, fmt.Errorf("ledger: balance of %q at %q: %w", sku, loc, err)
	}
	return out, nil
}

// readBalance reads one position, or sums a SKU's positions when loc is
// empty.
func readBalance(tx *bolt.Tx, sku, loc string) (Balance, error) {
	b := tx.Bucket(bktPositions)
	if loc != "" {
		v := b.Get(balanceKey(sku, loc))
		if v == nil {
			return Balance{SKU: sku, Location: loc}, nil
		}
		s, err := decodeBalanceOnly(v)
		if err != nil {
			return Balance{}, err
		}
		return s.balance(sku, loc), nil
	}
	sum := Balance{SKU: sku}
	prefix := append([]byte(sku), 0)
	err := scanBalances(b.Cursor(), prefix, prefix, func(p, v []byte) (bool, error) {
		s, err := decodeBalanceOnly(v)
		if err != nil {
			return false, fmt.Errorf("balance %q: %w", p, err)
		}
		sum = addBalance(sum, s.balance(sku, ""))
		return true, nil
	})
	return sum, err
}

// addBalance adds b's figures to sum (saturating, since a sum over many
// locations is not bounded by MaxQuantity) and merges the incoming
// schedules.
func addBalance(sum, b Balance) Balance {
	sum.OnHand = satAdd(sum.OnHand, b.OnHand)
	sum.Allocated = satAdd(sum.Allocated, b.Allocated)
	sum.InTransit = satAdd(sum.InTransit, b.InTransit)
	sum.Damaged = satAdd(sum.Damaged, b.Damaged)
	sum.Quarantined = satAdd(sum.Quarantined, b.Quarantined)
	sum.Seq = max(sum.Seq, b.Seq)
	for _, in := range b.Incoming {
		i, found := slices.BinarySearchFunc(sum.Incoming, in, compareIncoming)
		if found {
			sum.Incoming[i].Quantity = satAdd(sum.Incoming[i].Quantity, in.Quantity)
		} else {
			sum.Incoming = slices.Insert(sum.Incoming, i, in)
		}
	}
	return sum
}

// compareIncoming orders incoming stock undated first, then by due date.
func compareIncoming(a, b Incoming) int {
	if a.Due.IsZero() != b.Due.IsZero() {
		if a.Due.IsZero() {
			return -1
		}
		return 1
	}
	return a.Due.Compare(b.Due)
}

// satAdd adds without wrapping around.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// satSub subtracts without wrapping around.
func satSub(a, b int64) int64 {
	if b == math.MinInt64 {
		if a >= 0 {
			return math.MaxInt64
		}
		return a - b
	}
	return satAdd(a, -b)
}

// Filter selects balances for Balances.
type Filter struct {
	// SKUPrefix keeps SKUs that start with it (byte-wise); empty keeps all.
	SKUPrefix string
	// Locations keeps these locations; empty keeps all.
	Locations []string
	// After is the paging cursor: only balances after this position (in
	// SKU, then location, order) are returned. Pass the last balance of
	// the previous page; the zero Position starts at the beginning.
	After Position
	// Limit caps the balances returned; zero or less means no cap.
	Limit int
}

// Balances lists balances in SKU order, then location order (byte-wise),
// filtered and paged by f. Available (Balance.Available) is not a filter:
// negative figures are listed like any other.
func (l *Ledger) Balances(ctx context.Context, f Filter) ([]Balance, error) {
	var locs map[string]bool
	if len(f.Locations) > 0 {
		locs = make(map[string]bool, len(f.Locations))
		for _, loc := range f.Locations {
			locs[loc] = true
		}
	}
	var out []Balance
	err := l.view(ctx, func(tx *bolt.Tx) error {
		prefix := []byte(f.SKUPrefix)
		start := prefix
		if f.After != (Position{}) {
			if after := keyAfter(balanceKey(f.After.SKU, f.After.Location)); bytes.Compare(after, start) > 0 {
				start = after
			}
		}
		n := 0
		return scanBalances(tx.Bucket(bktPositions).Cursor(), start, prefix, func(p, v []byte) (bool, error) {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return false, err
				}
			}
			sku, loc := prefixParts(p)
			if locs != nil && !locs[loc] {
				return true, nil
			}
			s, err := decodeBalanceOnly(v)
			if err != nil {
				return false, fmt.Errorf("balance %q at %q: %w", sku, loc, err)
			}
			out = append(out, s.balance(sku, loc))
			return f.Limit <= 0 || len(out) < f.Limit, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: listing balances: %w", err)
	}
	return out, nil
}

// BalanceAsOf returns the balance of sku at loc (all locations when loc is
// empty) as of time t: the sum of the movements effective at or before t.
// Its Incoming and Seq are left empty. The zero time is an error.
func (l *Ledger) BalanceAsOf(ctx context.Context, sku, loc string, t time.Time) (Balance, error) {
	if t.IsZero() {
		return Balance{}, fmt.Errorf("ledger: balance as of the zero time: %w", ErrInvalidTime)
	}
	var at int64
	switch {
	case t.Before(minTime):
		at = minTime.UnixNano() - 1 // before every movement
	case t.After(maxTime):
		at = maxTime.UnixNano() // after every movement
	default:
		at = t.UnixNano()
	}
	out := Balance{SKU: sku, Location: loc}
	err := l.view(ctx, func(tx *bolt.Tx) error {
		locs := []string{loc}
		if loc == "" {
			var err error
			if locs, err = skuLocations(tx, sku); err != nil {
				return err
			}
		}
		b := tx.Bucket(bktPositions)
		c := b.Cursor()
		for _, lc := range locs {
			s, err := readState(b, sku, lc)
			if err != nil {
				return err
			}
			later, err := sumLater(c, positionPrefix(sku, lc), &s, at)
			if err != nil {
				return err
			}
			out = addBalance(out, Balance{Quantities: s.q.sub(later)})
		}
		return nil
	})
	if err != nil {
		return Balance{}, fmt.Errorf("ledger: balance of %q at %q as of %v: %w", sku, loc, t, err)
	}
	out.Seq = 0
	return out, nil
}

// readState reads a position's whole balance record (zero when there is
// none).
func readState(b *bolt.Bucket, sku, loc string) (posState, error) {
	v := b.Get(balanceKey(sku, loc))
	if v == nil {
		return posState{}, nil
	}
	s, err := decodePosState(v)
	if err != nil {
		return posState{}, fmt.Errorf("balance %q at %q: %w", sku, loc, err)
	}
	return s, nil
}

// skuLocations lists the locations that have a balance of sku.
func skuLocations(tx *bolt.Tx, sku string) ([]string, error) {
	var locs []string
	prefix := append([]byte(sku), 0)
	err := scanBalances(tx.Bucket(bktPositions).Cursor(), prefix, prefix, func(p, _ []byte) (bool, error) {
		_, loc := prefixParts(p)
		locs = append(locs, loc)
		return true, nil
	})
	return locs, err
}

// HistoryOptions page History.
type HistoryOptions struct {
	// Before is the paging cursor: only movements older than the movement
	// with this ID are returned. Pass the ID of the last movement of the
	// previous page; zero starts with the newest.
	Before uint64
	// Limit caps the movements returned; zero or less means no cap.
	Limit int
}

// History returns the audit trail of sku at loc (every location when loc
// is empty): its movements with their sources, including stale snapshots,
// newest first: by effective time, then by ID (posting order).
func (l *Ledger) History(ctx context.Context, sku, loc string, o HistoryOptions) ([]Movement, error) {
	var out []Movement
	err := l.view(ctx, func(tx *bolt.Tx) error {
		// The cursor, as a timeline position (effective, id).
		cursorEff, cursorID := int64(math.MaxInt64), uint64(math.MaxUint64)
		if o.Before != 0 {
			m, ok, err := newMovementReader(tx).get(o.Before)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: movement %d", ErrUnknownCursor, o.Before)
			}
			if m.SKU != sku || (loc != "" && m.Location != loc) {
				return fmt.Errorf("%w: movement %d is not of %q at %q", ErrUnknownCursor, o.Before, sku, loc)
			}
			cursorEff, cursorID = m.Effective.UnixNano(), m.ID
		}
		locs := []string{loc}
		if loc == "" {
			var err error
			if locs, err = skuLocations(tx, sku); err != nil {
				return err
			}
		}
		ids, err := historyIDs(ctx, tx.Bucket(bktPositions), sku, locs, cursorEff, cursorID, o.Limit)
		if err != nil {
			return err
		}
		out, err = loadMovements(tx, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: history of %q at %q: %w", sku, loc, err)
	}
	return out, nil
}

// timelineRef is a timeline entry's place in time order.
type timelineRef struct {
	eff int64
	id  uint64
}

// historyIDs walks each location's timeline backwards from the cursor and
// merges them, newest first, up to limit.
func historyIDs(ctx context.Context, b *bolt.Bucket, sku string, locs []string, eff int64, id uint64, limit int) ([]timelineRef, error) {
	var refs []timelineRef
	c := b.Cursor()
	for _, loc := range locs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := readState(b, sku, loc)
		if err != nil {
			return nil, err
		}
		entries, err := entriesBefore(c, positionPrefix(sku, loc), &s, eff, id, limit)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			refs = append(refs, timelineRef{e.eff, e.id})
		}
	}
	if len(locs) > 1 {
		slices.SortFunc(refs, func(a, b timelineRef) int {
			return cmp.Or(cmp.Compare(b.eff, a.eff), cmp.Compare(b.id, a.id))
		})
	}
	if limit > 0 && len(refs) > limit {
		refs = refs[:limit]
	}
	return refs, nil
}

// loadMovements reads movements by ID, with their documents' keys.
func loadMovements(tx *bolt.Tx, refs []timelineRef) ([]Movement, error) {
	movements := newMovementReader(tx)
	docs := newDocumentKeys(tx)
	out := make([]Movement, 0, len(refs))
	for _, r := range refs {
		m, ok, err := movements.get(r.id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: timeline names missing movement %d", ErrCorrupt, r.id)
		}
		if m.Document, err = docs.key(m.Seq); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// documentKeys looks up postings' document keys, remembering them.
type documentKeys struct {
	postings *bolt.Bucket
	seen     map[uint64]string
}

func newDocumentKeys(tx *bolt.Tx) *documentKeys {
	return &documentKeys{postings: tx.Bucket(bktPostings), seen: make(map[uint64]string)}
}

func (d *documentKeys) key(seq uint64) (string, error) {
	if k, ok := d.seen[seq]; ok {
		return k, nil
	}
	v := d.postings.Get(idKey(seq))
	if v == nil {
		return "", fmt.Errorf("%w: posting %d missing", ErrCorrupt, seq)
	}
	p, err := decodePosting(seq, v)
	if err != nil {
		return "", err
	}
	d.seen[seq] = p.document
	return p.document, nil
}

// Change is one posting, as ChangesSince reports it.
type Change struct {
	Seq       uint64
	Document  string    // the document's key
	Recorded  time.Time // when it was recorded
	Movements []Movement
}

// ChangesSince returns the postings with a sequence number above seq, in
// order, each with the movements it recorded (stale snapshots included,
// duplicates not). limit caps the number of postings; zero or less means no
// cap. Feed the last Seq back in to continue.
func (l *Ledger) ChangesSince(ctx context.Context, seq uint64, limit int) ([]Change, error) {
	var out []Change
	err := l.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bktPostings).Cursor()
		movements := newMovementReader(tx)
		for k, v := c.Seek(idKey(seq + 1)); k != nil; k, v = c.Next() {
			if limit > 0 && len(out) == limit {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			s := binary.BigEndian.Uint64(k)
			p, err := decodePosting(s, v)
			if err != nil {
				return err
			}
			ch := Change{Seq: s, Document: p.document, Recorded: fromNanos(p.recorded), Movements: make([]Movement, 0, p.count)}
			err = movements.each(p.firstID, func(m Movement) bool {
				m.Document = p.document
				ch.Movements = append(ch.Movements, m)
				return uint64(len(ch.Movements)) < p.count
			})
			if err != nil {
				return err
			}
			if uint64(len(ch.Movements)) != p.count {
				return fmt.Errorf("%w: posting %d has %d of its %d movements", ErrCorrupt, s, len(ch.Movements), p.count)
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: changes since %d: %w", seq, err)
	}
	return out, nil
}

// LastSeq returns the change sequence number of the latest posting (zero
// for an empty ledger): where a new ChangesSince reader may start.
func (l *Ledger) LastSeq(ctx context.Context) (uint64, error) {
	var seq uint64
	err := l.view(ctx, func(tx *bolt.Tx) error {
		seq = tx.Bucket(bktPostings).Sequence()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: last sequence number: %w", err)
	}
	return seq, nil
}
