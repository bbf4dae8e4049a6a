package postgres

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5/pgxpool"
)

// request is one document waiting for a transaction, with what its
// transaction must read for it (worked out by the poster, before the
// document joins a transaction).
type request struct {
	prep *ledger.Prepared
	// What prep needs read: its source keys (SourceKeys), and the
	// positions, allocations and snapshot times of Needs(nil).
	keys   []string
	lo, hi string // when set, every key is in [lo, hi) (keyRange)
	poss   []ledger.Position
	allocs []ledger.OrderAllocation
	snaps  []ledger.SnapshotTime
	res    ledger.PostResult
	err    error
	done   chan struct{}
}

// newRequest checks and prepares doc for a transaction; nil when it has
// no movements.
func newRequest(doc ledger.Document, now time.Time) (*request, error) {
	prep, err := ledger.Prepare(doc, now)
	if err != nil || len(prep.Movements) == 0 {
		return nil, err
	}
	r := &request{prep: prep, keys: prep.SourceKeys(), done: make(chan struct{})}
	r.lo, r.hi = keyRange(r.keys)
	r.poss, r.allocs, r.snaps = prep.Needs(nil)
	return r, nil
}

// rangeMin is the number of source keys from which a document's keys
// are first looked up as a range (keyRange).
const rangeMin = 64

// keyRange returns, for rangeMin keys and more that share a prefix, a
// range of strings [lo, hi) in byte order ("C" collation) that holds all
// of them: lo the prefix (whole characters), hi the first string after
// every string that starts with it. Where no recorded source key is in
// the range, none of keys is recorded: one index probe instead of a
// lookup per key (the source keys of a gateway's document start with its
// key). "", "" when there is no such range.
func keyRange(keys []string) (lo, hi string) {
	if len(keys) < rangeMin {
		return "", ""
	}
	p := keys[0]
	for _, k := range keys[1:] {
		n := min(len(p), len(k))
		i := 0
		for i < n && p[i] == k[i] {
			i++
		}
		p = p[:i]
	}
	for len(p) > 0 && !utf8.ValidString(p) {
		p = p[:len(p)-1] // a character cut short
	}
	// hi: the prefix with its last character one up (past the largest,
	// the one before it).
	for q := p; q != ""; {
		r, size := utf8.DecodeLastRuneInString(q)
		q = q[:len(q)-size]
		for next := r + 1; next <= unicode.MaxRune; next++ {
			if utf8.ValidRune(next) {
				return p, q + string(next)
			}
		}
	}
	return "", ""
}

// Post records one document's movements in one transaction: all or
// nothing, with the semantics of (*ledger.Ledger).Post. Concurrent calls
// on one Store share transactions (and their commits); the transactions
// of all Stores on the database (any process) take turns on the
// ledger's writer lock, the change sequence row.
//
// ctx is honoured until the document is handed to a transaction; once
// handed over, Post waits for the commit, so a nil error always means the
// document is committed. On any error it is safe to post the same
// document again.
func (s *Store) Post(ctx context.Context, doc ledger.Document) (ledger.PostResult, error) {
	if s.closed.Load() {
		return ledger.PostResult{}, ledger.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return ledger.PostResult{}, err
	}
	r, err := newRequest(doc, s.opts.Now())
	if err != nil || r == nil {
		return ledger.PostResult{}, err
	}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return ledger.PostResult{}, ledger.ErrClosed
	case <-ctx.Done():
		return ledger.PostResult{}, ctx.Err()
	}
	<-r.done
	return r.res, r.err
}

// PostAll posts documents as Post does each, and together: they go into
// one transaction (or consecutive ones of up to
// Options.MaxBatchMovements), with whatever other posters are posting.
// Each document is still all or nothing, and gets its own change
// sequence number, in the order of docs; a document the rules refuse
// gets its error and takes no part. The results and errors are in the
// order of docs. A poster that has the documents of one file at hand
// (the sets of an 846) saves the transactions that group commit would
// otherwise start with the first of them to arrive.
func (s *Store) PostAll(ctx context.Context, docs []ledger.Document) ([]ledger.PostResult, []error) {
	results, errs := make([]ledger.PostResult, len(docs)), make([]error, len(docs))
	if s.closed.Load() {
		for i := range errs {
			errs[i] = ledger.ErrClosed
		}
		return results, errs
	}
	// The documents are prepared on all cores.
	reqs := make([]*request, len(docs))
	now := s.opts.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(docs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(docs); i = int(next.Add(1) - 1) {
				if errs[i] = ctx.Err(); errs[i] == nil {
					reqs[i], errs[i] = newRequest(docs[i], now)
				}
			}
		})
	}
	wg.Wait()
	var group []*request
	var groups [][]*request
	n := 0
	for _, r := range reqs {
		if r == nil {
			continue
		}
		if len(group) > 0 && n+len(r.prep.Movements) > s.opts.MaxBatchMovements {
			groups, group, n = append(groups, group), nil, 0
		}
		group, n = append(group, r), n+len(r.prep.Movements)
	}
	if len(group) > 0 {
		groups = append(groups, group)
	}
	sent := 0
send:
	for _, g := range groups {
		select {
		case s.groups <- g:
			sent += len(g)
		case <-s.quit:
			break send
		case <-ctx.Done():
			break send
		}
	}
	for i, r := range reqs {
		if r == nil {
			continue
		}
		if sent == 0 {
			errs[i] = ledger.ErrClosed
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
			}
			continue
		}
		sent--
		<-r.done
		results[i], errs[i] = r.res, r.err
	}
	return results, errs
}

// gatherWait is how long a committer waits for stragglers when it has
// gathered fewer documents than it committed recently.
const gatherWait = time.Millisecond

// committer takes posting requests and commits them in groups: whatever
// has queued up while the previous transaction was running goes into the
// next, so concurrent posters share one transaction, its locks and its
// commit. When several have been posting (one of the last eight
// transactions had more documents than have queued now), it waits up to
// gatherWait for the others to come back: a transaction costs round
// trips and a WAL flush whatever it holds.
func (s *Store) committer() {
	timer := time.NewTimer(gatherWait)
	timer.Stop()
	var recent [8]int
	for c := 0; ; c++ {
		last := max(recent[0], recent[1], recent[2], recent[3], recent[4], recent[5], recent[6], recent[7], 1)
		var batch []*request
		select {
		case first := <-s.reqs:
			batch = []*request{first}
		case batch = <-s.groups:
		case <-s.quit:
			return
		}
		n := 0
		for _, r := range batch {
			n += len(r.prep.Movements)
		}
		waited := false
	gather:
		for n < s.opts.MaxBatchMovements {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
				n += len(r.prep.Movements)
				continue
			default:
			}
			if waited || len(batch) >= last {
				break
			}
			waited = true
			timer.Reset(gatherWait)
			for len(batch) < last && n < s.opts.MaxBatchMovements {
				select {
				case r := <-s.reqs:
					batch = append(batch, r)
					n += len(r.prep.Movements)
				case <-timer.C:
					break gather
				case <-s.quit:
					break gather
				}
			}
			timer.Stop()
		}
		recent[c%len(recent)] = len(batch)
		s.commit(batch)
	}
}

// commit posts a batch in one transaction, again from the start when it
// lost a race (retryable), and answers every request.
func (s *Store) commit(batch []*request) {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.tryCommit(batch)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			break
		}
		time.Sleep(time.Duration(attempt) * time.Millisecond)
	}
	if err == nil {
		s.committed.fire()
	}
	for _, r := range batch {
		if err != nil {
			r.res, r.err = ledger.PostResult{}, fmt.Errorf("ledger: commit: %w", err)
		}
		close(r.done)
	}
}

// tryCommit runs the batch's transaction, in two or three round trips:
//
//  1. begin; lock the change sequence (ledger_head, until commit), which
//     every posting transaction of every node takes first: the ledger's
//     writer lock; then read which source keys are recorded, and the
//     stored positions the movements touch;
//  2. when needed, the allocations and, for snapshots, the sums of the
//     stored movements effective after them;
//  3. apply the documents with the ledger's rules (ledger.Stepper), in
//     memory;
//  4. write new positions, movements, changed positions and allocations
//     (set-based from arrays; a large transaction's movements by COPY),
//     postings and the sequence, and commit.
//
// Documents that fail the rules get their error and take no part in the
// writes. Holding the sequence lock from the start serializes posting
// transactions across all nodes: what step 1 reads cannot change before
// the commit, postings commit in sequence order (the sequence is
// gap-free and ordered for readers), and no transaction waits on another
// in a cycle. The unique constraints (source keys, positions) stay the
// guarantee underneath: should a write slip past the lock, its insert
// fails and the transaction runs again. Concurrent posters of one Store
// share a transaction (group commit), which is what keeps the throughput
// up.
func (s *Store) tryCommit(batch []*request) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CommitTimeout)
	defer cancel()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			// A connection left in a transaction is closed by Release.
			rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
			conn.Exec(rctx, "ROLLBACK")
			rcancel()
		}
	}()

	// 1. One round trip: begin; which source keys are recorded; lock the
	// stored positions of the movements; lock the change sequence.
	// Source keys are looked up one by one, or first as a range per
	// document (keyRange).
	nk, np := 0, 0
	for _, r := range batch {
		nk, np = nk+len(r.keys), np+len(r.poss)
	}
	var keys, lo, hi []string
	var ranged []*request
	posSet := make(map[ledger.Position]struct{}, np)
	for _, r := range batch {
		if r.hi != "" {
			lo, hi, ranged = append(lo, r.lo), append(hi, r.hi), append(ranged, r)
		} else {
			keys = append(keys, r.keys...)
		}
		for _, p := range r.poss {
			posSet[p] = struct{}{}
		}
	}
	in := &ledger.StepInput{
		Positions:   make(map[ledger.Position]ledger.PositionState, len(posSet)),
		Allocations: map[ledger.OrderAllocation]int64{},
		Later:       map[ledger.SnapshotTime]ledger.Quantities{},
	}
	ids := make(map[ledger.Position]int64, len(posSet))
	ps := make([]ledger.Position, 0, len(posSet))
	for p := range posSet {
		ps = append(ps, p)
	}
	var side *pgxpool.Conn // a large transaction's second connection, for reads
	if nk >= copyMin {
		side = sideConn(ctx, s.pool)
	}
	stored, hits, seq, lastID, err := begin(ctx, conn, side, keys, lo, hi, ps, ids, in.Positions)
	if side != nil {
		side.Release() // one left in a transaction is closed
	}
	if err != nil {
		return err
	}
	if len(hits) > 0 {
		// Documents with recorded keys in their range: their keys one by one.
		keys = keys[:0]
		for _, i := range hits {
			keys = append(keys, ranged[i].keys...)
		}
		more, err := readSourceKeys(conn.Query(ctx, sourceKeysSQL, keys))
		if err != nil {
			return err
		}
		for k := range more {
			stored[k] = struct{}{}
		}
	}

	// 2. Allocations, and the movements after each snapshot's time, of
	// what is not a duplicate.
	dups := make([][]bool, len(batch))
	allocSet := map[ledger.OrderAllocation]struct{}{}
	snapSet := map[ledger.SnapshotTime]struct{}{}
	for i, r := range batch {
		as, ss := r.allocs, r.snaps
		if len(stored) > 0 {
			d, anyDup := make([]bool, len(r.prep.Movements)), false
			for j := range r.prep.Movements {
				_, d[j] = stored[r.prep.Movements[j].SourceKey]
				anyDup = anyDup || d[j]
			}
			dups[i] = d
			if anyDup { // what the duplicates alone need is not read
				_, as, ss = r.prep.Needs(func(j int) bool { return d[j] })
			}
		}
		for _, a := range as {
			allocSet[a] = struct{}{}
		}
		for _, sn := range ss {
			if st, ok := in.Positions[sn.Position]; !ok || !st.Latest.IsZero() && !st.Latest.After(sn.At) {
				continue // a new position, or none of its movements is after the snapshot
			}
			snapSet[sn] = struct{}{}
		}
	}
	// A large transaction copies its movements while the rules run, and
	// numbers its new positions first (in key order: their ids and keys
	// then grow together, and the indexes take them at their right edge).
	var fresh []ledger.Position
	big := false
	if n := writable(batch, dups); n >= copyMin {
		big = true
		for _, p := range ps {
			if _, ok := ids[p]; !ok {
				fresh = append(fresh, p)
			}
		}
		slices.SortFunc(fresh, comparePositions)
	}
	if err := load(ctx, conn, allocSet, snapSet, ids, in, fresh); err != nil {
		return err
	}

	// 3. The rules.
	in.Recorded = s.opts.Now()
	in.Seq, in.ID = uint64(seq)+1, uint64(lastID)+1
	var st *ledger.Stepper
	var outs []*ledger.StepOutput
	results := make([]ledger.PostResult, len(batch))
	errs := make([]error, len(batch))
	var mv *copyStream
	copied := 0 // documents whose movements mv holds
	if big {
		mv = startCopy(ctx, conn, "ledger_movements", movementColumns)
		defer mv.wait() // on failure, before the rollback
	}
	for again := true; again; {
		// A document that fails spends the Stepper: step the others again.
		again = false
		st = ledger.NewStepper(in)
		outs = outs[:0]
		for i, r := range batch {
			if errs[i] != nil {
				continue
			}
			out, err := st.Step(r.prep, dups[i])
			if err != nil {
				errs[i], again = err, true
				break
			}
			results[i] = out.Result
			if len(out.Movements) > 0 {
				outs = append(outs, out)
				// Stepped again after a later document failed, the
				// documents before it come out as they did: copied once.
				if mv != nil && len(outs) > copied {
					if err := mv.movements(out.Movements, ids); err != nil {
						return err
					}
					copied++
				}
			}
		}
	}
	if mv != nil {
		mv.finish()
	}

	// 4. Write and commit.
	positions, states, allocs := st.Changed()
	if err := write(ctx, conn, positions, states, in.Positions, ids, allocs, outs, mv, st.Seq()-1, st.ID()-1); err != nil {
		return err
	}
	committed = true
	for i, r := range batch {
		r.res, r.err = results[i], errs[i]
	}
	return nil
}

// writable returns how many movements of the batch are not duplicates:
// what its transaction writes at most.
func writable(batch []*request, dups [][]bool) int {
	n := 0
	for i, r := range batch {
		for j := range r.prep.Movements {
			if !r.prep.Repeats[j] && (dups[i] == nil || !dups[i][j]) {
				n++
			}
		}
	}
	return n
}

// comparePositions orders positions by SKU, then location (bytes).
func comparePositions(a, b ledger.Position) int {
	return cmp.Or(strings.Compare(a.SKU, b.SKU), strings.Compare(a.Location, b.Location))
}
