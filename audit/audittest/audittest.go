// Package audittest is the contract test suite of audit.Store: every
// implementation (bbolt in package audit, PostgreSQL in audit/postgres)
// runs the same Run.
package audittest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
)

// Open opens an empty store for t whose clock is now; the store is
// closed when t ends.
type Open func(t testing.TB, now func() time.Time) audit.Store

// Run checks a Store: entries come back newest first with ids and times,
// exactly as Record returned them; filters select exactly; paging covers
// every entry once; and an entry without an action or an actor is
// refused.
func Run(t *testing.T, open Open) {
	ctx := context.Background()
	// Nanoseconds in the clock: a store that keeps less must return from
	// Record the time it keeps.
	clock := time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.UTC)
	s := open(t, func() time.Time { return clock })
	actions := []string{audit.ActionReplay, audit.ActionRetry, audit.ActionReserve, audit.ActionRelease, audit.ActionReload, audit.ActionAdviceNow}
	var all []audit.Entry
	for i := range 30 {
		clock = clock.Add(time.Minute)
		e, err := s.Record(ctx, audit.Entry{Who: []string{"ops", "alice"}[i%2], Remote: "127.0.0.1", Action: actions[i%len(actions)],
			Target: fmt.Sprintf("message %d", i%4), Detail: "d", Error: []string{"", "it failed"}[i%5/4]})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || e.Time.Sub(clock).Abs() >= time.Microsecond || (len(all) > 0 && e.ID <= all[len(all)-1].ID) {
			t.Fatalf("recorded %+v", e)
		}
		all = append(all, e)
	}
	slices.Reverse(all)
	for _, f := range []audit.Filter{{}, {Action: audit.ActionRetry}, {Who: "alice"}, {Target: "message 2"}, {Who: "ops", Action: audit.ActionReload}, {Action: "nothing"}} {
		var want []audit.Entry
		for _, e := range all {
			if (f.Action == "" || e.Action == f.Action) && (f.Who == "" || e.Who == f.Who) && (f.Target == "" || e.Target == f.Target) {
				want = append(want, e)
			}
		}
		var got []audit.Entry
		pf := f
		pf.Limit = 4
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("paging does not end")
			}
			page, next, err := s.List(ctx, pf)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 4 {
				t.Fatalf("%d entries on a page of 4", len(page))
			}
			got = append(got, page...)
			if next == 0 {
				break
			}
			pf.Before = next
		}
		if !slices.EqualFunc(got, want, equal) {
			t.Errorf("%+v: got %v, want %v", f, got, want)
		}
	}
	full, _, err := s.List(ctx, audit.Filter{Limit: 1})
	if err != nil || len(full) != 1 || !equal(full[0], all[0]) {
		t.Errorf("newest entry %+v, want %+v (%v)", full, all[0], err)
	}
	for _, bad := range []audit.Entry{{Who: "ops"}, {Action: audit.ActionRetry}} {
		if _, err := s.Record(ctx, bad); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// equal compares entries, their times as instants.
func equal(a, b audit.Entry) bool {
	at, bt := a.Time, b.Time
	a.Time, b.Time = time.Time{}, time.Time{}
	return a == b && at.Equal(bt)
}

// Bench measures Record from b.RunParallel's goroutines and reports
// entries/s.
func Bench(b *testing.B, open Open) {
	s := open(b, nil)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Record(ctx, audit.Entry{Who: "ops", Remote: "127.0.0.1", Action: audit.ActionReplay, Target: "message 7", Detail: "replayed"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
