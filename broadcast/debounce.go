package broadcast

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/partners"
)

// defaultPoll is how often the ledger is checked for changes that
// near-real-time partners must hear about, unless Broadcaster.Poll says.
const defaultPoll = 250 * time.Millisecond

// RunNearRealTime sends a delta advice to each partner whose profile sets
// a debounce, that long after a ledger change touches a location it
// counts, coalescing the changes that come in meanwhile: at most one
// advice per window. It runs until ctx ends.
//
// Nothing pending lives only in memory: each partner's advice resumes
// from the ledger change sequence it was last examined at (stored with
// every advice sent), so changes made in the window before a stop, or
// while no process ran (a CLI ingest), are pushed right after the start.
// A partner whose advice was rejected gets a delta one window later.
func (b *Broadcaster) RunNearRealTime(ctx context.Context, clock Clock, profiles func() []*partners.Profile) error {
	poll := b.Poll
	if poll <= 0 {
		poll = defaultPoll
	}
	due := map[string]time.Time{} // partner → when its delta goes out
	var seen uint64
	first := true
	for {
		now := clock.Now()
		if err := b.watch(ctx, now, profiles(), due, &seen, first); err != nil {
			b.logError("near-real-time advice", err)
		} else {
			first = false
		}
		for _, id := range b.takeNudged() {
			if p := nearRealTime(profiles(), id); p != nil {
				if _, pending := due[id]; !pending {
					due[id] = now.Add(p.Advice.Debounce)
				}
			}
		}
		for id, at := range due {
			if now.Before(at) || ctx.Err() != nil {
				continue
			}
			p := nearRealTime(profiles(), id)
			if p == nil {
				delete(due, id) // no longer near real time
				continue
			}
			_, err := b.Broadcast(ctx, id, Options{Delta: true, Send: true})
			switch {
			case err == nil:
				delete(due, id)
			case errors.Is(err, ErrRunning) && ctx.Err() == nil:
				due[id] = now.Add(poll)
			default:
				b.logError("near-real-time advice for "+id, err)
				due[id] = now.Add(p.Advice.Debounce)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-clock.After(poll):
		}
	}
}

// watch finds the near-real-time partners whose counted locations
// changed and sets when their delta goes out. The first time, each
// partner is looked at from the sequence it was last examined at, and a
// partner with changes is due at once.
func (b *Broadcaster) watch(ctx context.Context, now time.Time, profiles []*partners.Profile, due map[string]time.Time, seen *uint64, first bool) error {
	last, err := b.Ledger.LastSeq(ctx)
	if err != nil || last == *seen && !first {
		return err
	}
	if first {
		for _, p := range profiles {
			if p.Advice == nil || p.Advice.Debounce <= 0 {
				continue
			}
			ps, err := b.Store.Partner(p.ID)
			if err != nil {
				return err
			}
			if ps.Examined >= last {
				continue
			}
			locs, _, err := b.touchedSince(ctx, ps.Examined)
			if err != nil {
				return err
			}
			if touches(locs, p.Advice.Policy.Locations) {
				due[p.ID] = now
			}
		}
		*seen = last
		return nil
	}
	locs, upTo, err := b.touchedSince(ctx, *seen)
	if err != nil {
		return err
	}
	*seen = upTo
	for _, p := range profiles {
		a := p.Advice
		if a == nil || a.Debounce <= 0 {
			continue
		}
		if _, pending := due[p.ID]; !pending && touches(locs, a.Policy.Locations) {
			due[p.ID] = now.Add(a.Debounce)
		}
	}
	return nil
}

// nearRealTime returns the profile of partner id when it asks for
// near-real-time advice.
func nearRealTime(profiles []*partners.Profile, id string) *partners.Profile {
	for _, p := range profiles {
		if p.ID == id && p.Advice != nil && p.Advice.Debounce > 0 {
			return p
		}
	}
	return nil
}

// RunSync follows the fate of the advice in the outbox (Sync) whenever
// the outbox tells of a change, and every few seconds, until ctx ends.
// At start it catches up with what happened while no process ran.
func (b *Broadcaster) RunSync(ctx context.Context) error {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		if err := b.Sync(ctx); err != nil && ctx.Err() == nil {
			b.logError("following the inventory advice", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-b.Outbox.Changes():
		case <-t.C:
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
