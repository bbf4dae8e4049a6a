package orders

import (
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// flushEndedAfter is how long marks ended without a commit of their own
// wait for one (the store's next write takes them along before that).
const flushEndedAfter = 200 * time.Millisecond

// endedMarks are the pending marks of postings that were made (End:
// posted, no record to store in place of the pending one). For readers
// they are gone at once (Mark, Marked); in the file they are removed by
// the store's next write transaction, whichever it is, or by a commit of
// their own after flushEndedAfter: a 945 so costs the order store one
// commit (its Begin, which also removes the marks ended before it)
// instead of two. A crash before that commit leaves such a mark in the
// file, which a reader settles against the ledger, as it does a mark a
// crash left before its End: the posting was made, so the record stays.
type endedMarks struct {
	mu     sync.Mutex
	keys   map[string]uint64 // mark key → generation of its End
	gen    uint64
	timer  *time.Timer
	closed bool
}

// add ends the marks under keys for readers; flush is armed to remove
// them from the file unless another commit does first.
func (e *endedMarks) add(keys [][]byte, flush func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.keys == nil {
		e.keys = make(map[string]uint64)
	}
	for _, k := range keys {
		e.gen++
		e.keys[string(k)] = e.gen
	}
	if e.timer == nil && !e.closed && len(e.keys) > 0 {
		e.timer = time.AfterFunc(flushEndedAfter, flush)
	}
}

// has reports whether the mark under key is ended.
func (e *endedMarks) has(key []byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.keys[string(key)]
	return ok
}

// forget takes keys out: a Begin writes new marks under them (or a
// Delete removes them) in its own commit, which the old mark's removal
// must not follow. It returns the keys that were ended.
func (e *endedMarks) forget(keys ...[]byte) [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out [][]byte
	for _, k := range keys {
		if _, ok := e.keys[string(k)]; ok {
			delete(e.keys, string(k))
			out = append(out, k)
		}
	}
	return out
}

// drop removes the ended marks from the file within tx and returns what
// it removed, for removed once tx has committed (tx may be rolled back
// and its function run again: each run takes the set afresh).
func (e *endedMarks) drop(tx *bolt.Tx) (map[string]uint64, error) {
	e.mu.Lock()
	if len(e.keys) == 0 {
		e.mu.Unlock()
		return nil, nil
	}
	taken := make(map[string]uint64, len(e.keys))
	for k, g := range e.keys {
		taken[k] = g
	}
	e.mu.Unlock()
	p := tx.Bucket(bucketPending)
	for k := range taken {
		if err := p.Delete([]byte(k)); err != nil {
			return nil, err
		}
	}
	return taken, nil
}

// removed forgets the marks a committed transaction removed, unless one
// was ended again since (a newer mark under its key, not removed).
func (e *endedMarks) removed(taken map[string]uint64) {
	if len(taken) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, g := range taken {
		if e.keys[k] == g {
			delete(e.keys, k)
		}
	}
}

// fired clears the timer that ran flush; it reports whether marks are
// left to remove (the store is open).
func (e *endedMarks) fired() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.timer = nil
	return !e.closed && len(e.keys) > 0
}

// rearm arms the timer again after a failed flush.
func (e *endedMarks) rearm(flush func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.timer == nil && !e.closed && len(e.keys) > 0 {
		e.timer = time.AfterFunc(flushEndedAfter, flush)
	}
}

// close stops the timer; no flush is armed after it.
func (e *endedMarks) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
}
