package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// postRequest is one document waiting for a group commit.
type postRequest struct {
	doc     Document      // checked; movements are normalized as they are applied
	now     time.Time     // when Post was called: the effective time of movements without one
	ord     docOrder      // its key orders, once ordered is closed
	ordered chan struct{} // closed when ord is ready
	res     PostResult    // set by the committer
	err     error         // set by the committer
	done    chan struct{} // closed by the committer when res or err is final
}

// Post records one document's movements in one transaction: all or
// nothing. Movements whose source key was posted before (or earlier in the
// same document) are skipped and listed as duplicates; snapshots older than
// the newest snapshot applied to their bucket are recorded as stale and not
// applied. Posting the same document again therefore changes nothing.
//
// A document that cannot be posted returns a *MovementError (or an error
// wrapping ErrEmptyDocumentKey, ErrInvalidText or ErrTooManyMovements for
// the document itself) and nothing of it is written.
//
// Concurrent calls share commits (and their fsyncs). ctx is honoured until
// the document is handed to a commit; once handed over, Post waits for the
// commit, so a nil error always means the document is durable. On any
// error it is safe to post the same document again.
//
// Post reads the movements it is given until it returns, and keeps no
// reference to them after: once it returns, the caller may reuse
// doc.Movements (the mapping package recycles them). Strings are kept as
// they are and must not change.
func (l *Ledger) Post(ctx context.Context, doc Document) (PostResult, error) {
	if l.readOnly {
		return PostResult{}, ErrReadOnly
	}
	if l.closed.Load() {
		return PostResult{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return PostResult{}, err
	}
	// The request holds the caller's movements: Post returns only once the
	// committer is done with them, or before it ever sees them.
	r := &postRequest{doc: doc, now: l.now(), ordered: make(chan struct{}), done: make(chan struct{})}
	if len(doc.Movements) >= parallelSortMin {
		// Sort the source keys while the movements are checked. Every
		// return below waits for the sort: it reads the caller's movements.
		go func() {
			r.ord = orderOf(&r.doc)
			close(r.ordered)
		}()
	} else {
		r.ord = orderOf(&r.doc)
		close(r.ordered)
	}
	if err := checkDocument(&doc); err != nil {
		<-r.ordered
		return PostResult{}, err
	}
	if len(doc.Movements) == 0 {
		return PostResult{}, nil
	}
	select {
	case l.reqs <- r:
	case <-l.quit:
		<-r.ordered
		return PostResult{}, ErrClosed
	case <-ctx.Done():
		<-r.ordered
		return PostResult{}, ctx.Err()
	}
	<-r.done
	return r.res, r.err
}

// gatherWait is how long the committer waits for stragglers when it has
// gathered fewer documents than it committed last time.
const gatherWait = 500 * time.Microsecond

// committer takes posting requests and commits them in groups: whatever
// has queued up while the previous commit was running goes into the next,
// so concurrent posters share one transaction and its fsyncs. A lone poster
// never waits; when several have been posting (one of the last eight
// commits had more documents than have queued now), the committer waits up
// to gatherWait for the others to come back, since every commit rewrites
// whole pages and syncs twice, whatever it holds. (Going by the last
// commit alone settled at about 12 documents a commit with 16 posters;
// by the last eight, at 15.6.)
func (l *Ledger) committer() {
	defer close(l.stopped)
	var timer *time.Timer
	var recent [8]int // documents in the last commits
	for c := 0; ; c++ {
		last := max(recent[0], recent[1], recent[2], recent[3], recent[4], recent[5], recent[6], recent[7], 1)
		var first *postRequest
		select {
		case first = <-l.reqs:
		case <-l.quit:
			return
		}
		batch := []*postRequest{first}
		n := len(first.doc.Movements)
		waited := false
	gather:
		for n < l.maxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
				n += len(r.doc.Movements)
				continue
			default:
			}
			if waited || len(batch) >= last {
				break
			}
			waited = true
			if timer == nil {
				timer = time.NewTimer(gatherWait)
			} else {
				timer.Reset(gatherWait)
			}
			for len(batch) < last && n < l.maxBatch {
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
					n += len(r.doc.Movements)
				case <-timer.C:
					break gather
				case <-l.quit:
					break gather
				}
			}
			timer.Stop()
		}
		recent[c%len(recent)] = len(batch)
		l.commit(batch)
	}
}

// commit posts a batch of documents in one transaction. A document that
// fails is taken out and answered with its error, and the rest are posted
// again in a fresh transaction (bbolt cannot undo part of a transaction),
// so every document is applied all or nothing and the batch behaves as if
// its documents had been posted one after the other.
func (l *Ledger) commit(batch []*postRequest) {
	for len(batch) > 0 {
		failed := -1
		var failErr error
		err := l.db.Update(func(tx *bolt.Tx) error {
			n := 0
			for _, r := range batch {
				n += len(r.doc.Movements)
			}
			w, err := newWriter(tx, l.now(), n)
			if err != nil {
				return err
			}
			if l.keyHash != nil {
				w.hash = l.keyHash
			}
			for i, r := range batch {
				res, err := w.post(r)
				if err != nil {
					failed, failErr = i, err
					return err
				}
				r.res = res
			}
			return w.flush()
		})
		if failed >= 0 {
			r := batch[failed]
			r.res, r.err = PostResult{}, failErr
			close(r.done)
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		recorded := false
		for _, r := range batch {
			if err != nil {
				r.res, r.err = PostResult{}, commitError(err)
			}
			recorded = recorded || r.res.Seq != 0
			close(r.done)
		}
		if recorded {
			l.committed.fire()
		}
		return
	}
}

// commitError wraps an error from bbolt's commit.
func commitError(err error) error {
	var me *MovementError
	if errors.As(err, &me) {
		return err
	}
	return fmt.Errorf("ledger: commit: %w", err)
}
