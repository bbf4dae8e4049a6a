package broadcast

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/partners"
)

// pollInterval is how often the ledger is checked for changes that
// near-real-time partners must hear about.
const pollInterval = 2 * time.Second

// RunNearRealTime sends a delta advice to each partner whose profile sets
// a debounce, that long after a ledger change touches a location it
// counts, coalescing the changes that come in meanwhile: at most one
// advice per window. It runs until ctx ends.
func (b *Broadcaster) RunNearRealTime(ctx context.Context, clock Clock, profiles func() []*partners.Profile) error {
	seen, err := b.Ledger.LastSeq(ctx)
	if err != nil {
		return err
	}
	due := map[string]time.Time{} // partner → when its delta goes out
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-clock.After(pollInterval):
		}
		now := clock.Now()
		locs, last, err := b.touchedSince(ctx, seen)
		if err != nil {
			b.logError("near-real-time advice", err)
			continue
		}
		seen = last
		for _, p := range profiles() {
			a := p.Advice
			if a == nil || a.Debounce <= 0 {
				continue
			}
			if _, pending := due[p.ID]; !pending && touches(locs, a.Policy.Locations) {
				due[p.ID] = now.Add(a.Debounce)
			}
		}
		for id, at := range due {
			if now.Before(at) {
				continue
			}
			delete(due, id)
			_, err := b.Broadcast(ctx, id, Options{Delta: true, Send: true})
			if err != nil && !errors.Is(err, ErrRunning) {
				b.logError("near-real-time advice for "+id, err)
			}
		}
	}
}

// touchedSince returns the locations postings after seq touched, and the
// last sequence number seen.
func (b *Broadcaster) touchedSince(ctx context.Context, seq uint64) (map[string]bool, uint64, error) {
	locs := map[string]bool{}
	for {
		changes, err := b.Ledger.ChangesSince(ctx, seq, 1000)
		if err != nil {
			return nil, seq, err
		}
		for _, ch := range changes {
			for _, mv := range ch.Movements {
				locs[mv.Location] = true
			}
			seq = ch.Seq
		}
		if len(changes) < 1000 {
			return locs, seq, nil
		}
	}
}

// touches reports whether a change at locs concerns a policy counting
// scope (all locations when empty).
func touches(locs map[string]bool, scope []string) bool {
	if len(locs) == 0 {
		return false
	}
	if len(scope) == 0 {
		return true
	}
	return slices.ContainsFunc(scope, func(l string) bool { return locs[l] })
}

func (b *Broadcaster) logError(what string, err error) {
	if b.Log != nil {
		b.Log.Error(what, "err", err)
	}
}
