package postgres

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5"
)

// request is one document waiting for a transaction.
type request struct {
	prep *ledger.Prepared
	res  ledger.PostResult
	err  error
	done chan struct{}
}

// Post records one document's movements in one transaction: all or
// nothing, with the semantics of (*ledger.Ledger).Post. Concurrent calls
// on one Store share transactions (and their commits); Stores of other
// processes on the same database serialize with this one on the touched
// positions and on the change sequence.
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
	prep, err := ledger.Prepare(doc, s.opts.Now())
	if err != nil {
		return ledger.PostResult{}, err
	}
	if len(prep.Movements) == 0 {
		return ledger.PostResult{}, nil
	}
	r := &request{prep: prep, done: make(chan struct{})}
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

// committer takes posting requests and commits them in groups: whatever
// has queued up while the previous transaction was running goes into the
// next, so concurrent posters share one transaction, its locks and its
// commit.
func (s *Store) committer() {
	defer close(s.stopped)
	for {
		var first *request
		select {
		case first = <-s.reqs:
		case <-s.quit:
			return
		}
		batch := []*request{first}
		n := len(first.prep.Movements)
	gather:
		for n < s.opts.MaxBatchMovements {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
				n += len(r.prep.Movements)
			default:
				break gather
			}
		}
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
	for _, r := range batch {
		if err != nil {
			r.res, r.err = ledger.PostResult{}, fmt.Errorf("ledger: commit: %w", err)
		}
		close(r.done)
	}
}

// tryCommit runs the batch's transaction:
//
//  1. which source keys are recorded already (the unique constraint on
//     ledger_movements is what guarantees it: a key another transaction
//     records meanwhile fails this one's insert, and it runs again);
//  2. lock the stored positions the new movements touch, in (SKU,
//     location) order, so two transactions never wait on each other in a
//     cycle (positions not found are created by the write: a transaction
//     that creates one first makes this one's insert fail, and it runs
//     again);
//  3. load their allocations and, for snapshots, the sums of the stored
//     movements effective after them;
//  4. lock the change sequence (ledger_head) and apply the documents with
//     the ledger's rules (ledger.Stepper), in memory;
//  5. write: new positions (from arrays), movements (COPY), changed
//     positions and allocations (set-based from arrays), postings, the
//     sequence; commit.
//
// Documents that fail the rules get their error and take no part in the
// writes. The sequence lock is held from step 4 to the commit: postings
// commit in sequence order, which makes the sequence gap-free and ordered
// for readers, at the price of serializing the write phase of all
// posters (one per transaction, whatever it holds).
func (s *Store) tryCommit(batch []*request) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CommitTimeout)
	defer cancel()
	t0 := time.Now()
	phase := func(name string) {
		if debugPhases {
			fmt.Printf("%s %v; ", name, time.Since(t0))
			t0 = time.Now()
		}
	}
	defer func() {
		if debugPhases {
			fmt.Printf("(%d docs)\n", len(batch))
		}
	}()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())

	// 1. Source keys recorded before.
	var keys []string
	for _, r := range batch {
		keys = append(keys, r.prep.SourceKeys()...)
	}
	stored, err := recordedKeys(ctx, tx, keys)
	if err != nil {
		return err
	}
	phase("dups")
	dups := make([][]bool, len(batch))
	posSet := map[ledger.Position]struct{}{}
	allocSet := map[ledger.OrderAllocation]struct{}{}
	snapSet := map[ledger.SnapshotTime]struct{}{}
	for i, r := range batch {
		if len(stored) > 0 {
			dups[i] = make([]bool, len(r.prep.Movements))
			for j := range r.prep.Movements {
				_, dups[i][j] = stored[r.prep.Movements[j].SourceKey]
			}
		}
		d := dups[i]
		ps, as, ss := r.prep.Needs(func(j int) bool { return d != nil && d[j] })
		for _, p := range ps {
			posSet[p] = struct{}{}
		}
		for _, a := range as {
			allocSet[a] = struct{}{}
		}
		for _, sn := range ss {
			snapSet[sn] = struct{}{}
		}
	}
	if len(posSet) == 0 {
		// Every movement a duplicate: nothing to write.
		for i, r := range batch {
			st := ledger.NewStepper(&ledger.StepInput{Recorded: s.opts.Now()})
			out, err := st.Step(r.prep, dups[i])
			if err != nil {
				r.err = err
				continue
			}
			r.res = out.Result
		}
		return nil
	}

	// 2. Lock the stored positions.
	in := &ledger.StepInput{
		Positions:   make(map[ledger.Position]ledger.PositionState, len(posSet)),
		Allocations: make(map[ledger.OrderAllocation]int64, len(allocSet)),
		Later:       make(map[ledger.SnapshotTime]ledger.Quantities, len(snapSet)),
	}
	ids := make(map[ledger.Position]int64, len(posSet))
	if err := lockPositions(ctx, tx, sortedPositions(posSet), ids, in.Positions); err != nil {
		return err
	}
	existing := make(map[ledger.Position]bool, len(ids))
	for p := range ids {
		existing[p] = true
	}
	phase("lock")

	// 3. Allocations, and the movements after each snapshot's time.
	if err := loadAllocations(ctx, tx, allocSet, ids, in.Allocations); err != nil {
		return err
	}
	if err := loadLater(ctx, tx, snapSet, ids, in.Later); err != nil {
		return err
	}
	phase("loads")

	// 4. The change sequence, then the rules.
	var seq, lastID int64
	if err := tx.QueryRow(ctx, `SELECT seq, last_id FROM ledger_head FOR UPDATE`).Scan(&seq, &lastID); err != nil {
		return fmt.Errorf("locking the change sequence: %w", err)
	}
	in.Recorded = s.opts.Now()
	in.Seq, in.ID = uint64(seq)+1, uint64(lastID)+1
	st := ledger.NewStepper(in)
	var outs []*ledger.StepOutput
	results := make([]ledger.PostResult, len(batch))
	errs := make([]error, len(batch))
	for i, r := range batch {
		out, err := st.Step(r.prep, dups[i])
		if err != nil {
			errs[i] = err
			continue
		}
		results[i] = out.Result
		if len(out.Movements) > 0 {
			outs = append(outs, out)
		}
	}

	// 5. Write.
	phase("step")
	positions, states, allocs := st.Changed()
	if err := insertPositions(ctx, tx, positions, states, ids); err != nil {
		return err
	}
	if len(outs) > 0 {
		if err := writeMovements(ctx, tx, outs, ids); err != nil {
			return err
		}
	}
	phase("copy")
	if err := writeRest(ctx, tx, positions, states, existing, ids, allocs, outs, st.Seq()-1, st.ID()-1); err != nil {
		return err
	}
	phase("write")
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	phase("commit")
	for i, r := range batch {
		r.res, r.err = results[i], errs[i]
	}
	return nil
}

var debugPhases = os.Getenv("LEDGER_PG_PHASES") != ""
