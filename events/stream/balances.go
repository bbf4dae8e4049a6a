package stream

import (
	"context"
	"fmt"

	"github.com/dockside-edi/dockside/ledger"
)

// Bounds on what a relay remembers to compute absolute figures.
const (
	// maxKnown bounds the positions whose running balance a relay keeps;
	// past it the relay forgets them all and reads them again.
	maxKnown = 50_000
	// maxSuffix bounds the positions of the read-ahead sums.
	maxSuffix = 200_000
	// scanPage is how many postings a read-ahead reads at a time.
	scanPage = 512
	// maxReread bounds the re-reads of one balance that keeps changing.
	maxReread = 64
)

// balances turns a relay's changes into events with the balance after
// each movement. Movements carry only their delta, so the balance after
// a movement is worked out from the position's balance now (whose Seq
// names the last posting in it) minus the deltas posted since:
//
//	after(at) = Balance(p) − Σ delta(p) over postings (at, Balance(p).Seq]
//
// The sums over postings after `at` are kept (suffix, up to `scanned`),
// so that each posting is read at most once ahead, and once a position's
// balance is known it is carried forward by adding deltas.
type balances struct {
	src Source
	at  uint64 // events were made for every posting up to at

	known map[ledger.Position]ledger.Quantities // balance after at

	scanned    uint64                                // suffix sums cover (at, scanned]
	suffix     map[ledger.Position]ledger.Quantities // Σ delta over (at, scanned]
	suffixLast map[ledger.Position]uint64            // the last posting in suffix, per position

	changes []ledger.Change // loaded, their events made up to movement mi of changes[ci]
	ci, mi  int
}

func newBalances(src Source, at uint64) *balances {
	return &balances{src: src, at: at, scanned: at, known: make(map[ledger.Position]ledger.Quantities),
		suffix: make(map[ledger.Position]ledger.Quantities), suffixLast: make(map[ledger.Position]uint64)}
}

// load takes the next changes, which must follow at without a gap, and
// works out the balance before them of every position they touch; next
// then makes their events, a few at a time. The previous changes must
// all have been made into events.
func (b *balances) load(ctx context.Context, changes []ledger.Change) error {
	if b.more() {
		return fmt.Errorf("stream: loading changes while %d postings are left", len(b.changes)-b.ci)
	}
	if len(changes) == 0 {
		return nil
	}
	if changes[0].Seq != b.at+1 {
		return fmt.Errorf("stream: changes begin at %d, want %d", changes[0].Seq, b.at+1)
	}
	for i := range changes {
		if changes[i].Seq > b.scanned {
			b.addSuffix(&changes[i])
		}
	}
	if len(b.known) > maxKnown {
		clear(b.known)
	}
	var need []ledger.Position
	for i := range changes {
		for _, m := range changes[i].Movements {
			p := ledger.Position{SKU: m.SKU, Location: m.Location}
			if _, ok := b.known[p]; !ok {
				b.known[p] = ledger.Quantities{} // placeholder until resolved
				need = append(need, p)
			}
		}
	}
	if err := b.resolve(ctx, need); err != nil {
		for _, p := range need {
			delete(b.known, p)
		}
		return err
	}
	b.changes, b.ci, b.mi = changes, 0, 0
	return nil
}

// more reports whether loaded movements are left to make events of.
func (b *balances) more() bool { return b.ci < len(b.changes) }

// done returns the change sequence up to which every posting's events
// have been made.
func (b *balances) done() uint64 { return b.at }

// next makes the events of up to max more loaded movements, in order.
func (b *balances) next(source string, max int) []Event {
	var out []Event
	for b.ci < len(b.changes) && len(out) < max {
		ch := &b.changes[b.ci]
		if out == nil {
			out = make([]Event, 0, min(max, len(ch.Movements)-b.mi+8))
		}
		for ; b.mi < len(ch.Movements) && len(out) < max; b.mi++ {
			m := &ch.Movements[b.mi]
			p := ledger.Position{SKU: m.SKU, Location: m.Location}
			q := addQ(b.known[p], m.Delta)
			b.known[p] = q
			b.suffix[p] = subQ(b.suffix[p], m.Delta)
			out = append(out, newEvent(source, ch, b.mi, q))
		}
		if b.mi == len(ch.Movements) {
			b.at = ch.Seq
			b.ci, b.mi = b.ci+1, 0
		}
	}
	if !b.more() {
		b.changes, b.ci = nil, 0
		if b.at >= b.scanned || len(b.suffix) > maxSuffix {
			// Nothing read ahead any more, or too much: start afresh.
			clear(b.suffix)
			clear(b.suffixLast)
			b.scanned = b.at
		}
	}
	return out
}

// resolve sets known[p], for each p, to its balance after at.
func (b *balances) resolve(ctx context.Context, need []ledger.Position) error {
	for _, p := range need {
		for try := 0; ; try++ {
			bal, err := b.src.Balance(ctx, p.SKU, p.Location)
			if err != nil {
				return fmt.Errorf("stream: balance of %q at %q: %w", p.SKU, p.Location, err)
			}
			if bal.Seq > b.scanned {
				if err := b.scanTo(ctx, bal.Seq); err != nil {
					return err
				}
			}
			if b.suffixLast[p] <= bal.Seq {
				// The read-ahead holds exactly the postings of p in (at, bal.Seq].
				b.known[p] = subQ(bal.Quantities, b.suffix[p])
				break
			}
			// p changed after its balance was read and the read-ahead has
			// that change: read the balance again.
			if try == maxReread {
				return fmt.Errorf("stream: balance of %q at %q keeps changing", p.SKU, p.Location)
			}
		}
	}
	return nil
}

// scanTo reads postings after scanned up to seq into the suffix sums.
func (b *balances) scanTo(ctx context.Context, seq uint64) error {
	for b.scanned < seq {
		changes, err := b.src.ChangesSince(ctx, b.scanned, scanPage)
		if err != nil {
			return fmt.Errorf("stream: reading ahead: %w", err)
		}
		if len(changes) == 0 {
			return fmt.Errorf("stream: reading ahead: posting %d not found after %d", seq, b.scanned)
		}
		for i := range changes {
			if changes[i].Seq > seq {
				return nil
			}
			b.addSuffix(&changes[i])
		}
	}
	return nil
}

func (b *balances) addSuffix(ch *ledger.Change) {
	for _, m := range ch.Movements {
		p := ledger.Position{SKU: m.SKU, Location: m.Location}
		b.suffix[p] = addQ(b.suffix[p], m.Delta)
		b.suffixLast[p] = ch.Seq
	}
	b.scanned = ch.Seq
}

func addQ(a, d ledger.Quantities) ledger.Quantities {
	return ledger.Quantities{OnHand: a.OnHand + d.OnHand, Allocated: a.Allocated + d.Allocated, InTransit: a.InTransit + d.InTransit,
		Damaged: a.Damaged + d.Damaged, Quarantined: a.Quarantined + d.Quarantined}
}

func subQ(a, d ledger.Quantities) ledger.Quantities {
	return ledger.Quantities{OnHand: a.OnHand - d.OnHand, Allocated: a.Allocated - d.Allocated, InTransit: a.InTransit - d.InTransit,
		Damaged: a.Damaged - d.Damaged, Quarantined: a.Quarantined - d.Quarantined}
}
