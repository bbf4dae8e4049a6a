package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestBoltContract(t *testing.T) {
	testStore(t, func(t *testing.T, now func() time.Time) Store {
		s, err := Open(filepath.Join(t.TempDir(), "audit.db"), now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestBoltKeepsEntriesAcrossOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(context.Background(), Entry{Who: "ops", Action: ActionReload}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := s.List(context.Background(), Filter{})
	if err != nil || len(got) != 1 || got[0].Action != ActionReload {
		t.Fatalf("after reopening: %v %v", got, err)
	}
}

// testStore checks a Store: entries come back newest first with ids and
// times, filters select exactly, paging covers every entry once, and an
// entry without an action or an actor is refused.
func testStore(t *testing.T, open func(t *testing.T, now func() time.Time) Store) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := open(t, func() time.Time { return clock })
	actions := []string{ActionReplay, ActionRetry, ActionReserve, ActionRelease, ActionReload, ActionAdviceNow}
	var all []Entry
	for i := range 30 {
		clock = clock.Add(time.Minute)
		e, err := s.Record(ctx, Entry{Who: []string{"ops", "alice"}[i%2], Remote: "127.0.0.1", Action: actions[i%len(actions)],
			Target: fmt.Sprintf("message %d", i%4), Detail: "d"})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || !e.Time.Equal(clock) || (len(all) > 0 && e.ID <= all[len(all)-1].ID) {
			t.Fatalf("recorded %+v", e)
		}
		all = append(all, e)
	}
	slices.Reverse(all)
	for _, f := range []Filter{{}, {Action: ActionRetry}, {Who: "alice"}, {Target: "message 2"}, {Who: "ops", Action: ActionReload}, {Action: "nothing"}} {
		var want []uint64
		for _, e := range all {
			if (f.Action == "" || e.Action == f.Action) && (f.Who == "" || e.Who == f.Who) && (f.Target == "" || e.Target == f.Target) {
				want = append(want, e.ID)
			}
		}
		var got []uint64
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
			for _, e := range page {
				got = append(got, e.ID)
			}
			if next == 0 {
				break
			}
			pf.Before = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: got %v, want %v", f, got, want)
		}
	}
	full, _, err := s.List(ctx, Filter{Limit: 1})
	if err != nil || len(full) != 1 || full[0] != all[0] {
		t.Errorf("newest entry %+v, want %+v (%v)", full, all[0], err)
	}
	for _, bad := range []Entry{{Who: "ops"}, {Action: ActionRetry}} {
		if _, err := s.Record(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
