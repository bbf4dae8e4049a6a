package inboxtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// testReader checks a Reader against a brute-force reading of
// the same messages: every filter, paged two at a time, gives exactly the
// matching messages newest first; counters agree; updates move messages
// between index values.
func testReader(t *testing.T, open Open) {
	s := open(t, nil, 0)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	partners := []string{"acme", "beta", ""}
	var all []*inbox.Message
	for i := 0; i < 80; i++ {
		// inbox.Arrival times mostly grow, with some late arrivals.
		at := base.Add(time.Duration(i)*17*time.Minute - time.Duration(rng.IntN(3))*time.Hour)
		_, err := s.Receive(ctx, inbox.Arrival{Partner: partners[i%3], Transport: "test", Name: fmt.Sprintf("f%03d.edi", i), Time: at},
			strings.NewReader(fmt.Sprintf("body %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if i%7 == 6 {
			continue // left waiting
		}
		c, err := s.Claim()
		if err != nil {
			t.Fatal(err)
		}
		o := inbox.Outcome{State: inbox.Done, Result: &inbox.Result{DocType: "x12", Documents: []string{"x12/846", "acme|1|2|3"},
			Controls: []string{fmt.Sprintf("%09d/%d/%04d", 1000+c.ID%5, 2000+c.ID%3, c.ID)}}}
		switch rng.IntN(4) {
		case 0:
			o = inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Msg: "bad"}}, Result: &inbox.Result{DocType: "csv"}}
		case 1:
			o.Result.Documents = []string{"x12/997"}
		}
		if err := s.Finish(c.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	// A failed message replayed and done now: it must leave the failed index.
	failed, err := s.List(inbox.Filter{State: inbox.Failed, Limit: 1})
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed: %v %v", failed, err)
	}
	if _, err := s.Replay(failed[0].ID); err != nil {
		t.Fatal(err)
	}
	for {
		c, err := s.Claim()
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == failed[0].ID {
			break
		}
		s.Finish(c.ID, inbox.Outcome{State: inbox.Done})
	}
	if err := s.Finish(failed[0].ID, inbox.Outcome{State: inbox.Done, Result: &inbox.Result{DocType: "x12", Controls: []string{"000009999/9999/0001"}}}); err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); ; id++ {
		m, err := s.Get(id)
		if err != nil {
			break
		}
		all = append(all, m)
	}
	if len(all) != 80 {
		t.Fatalf("%d messages", len(all))
	}
	slices.SortFunc(all, func(a, b *inbox.Message) int { // newest first
		if c := b.ReceivedAt.Compare(a.ReceivedAt); c != 0 {
			return c
		}
		return int(b.ID) - int(a.ID)
	})

	filters := []inbox.Filter{
		{},
		{State: inbox.Failed},
		{State: inbox.Done},
		{State: inbox.Received},
		{Partner: "acme"},
		{Partner: ""},
		{Partner: "beta", State: inbox.Done},
		{Control: "1002"},
		{Control: "000001002"},
		{Control: "9999"},
		{Control: "7"},
		{DocType: "x12/997"},
		{DocType: "csv"},
		{Since: base.Add(5 * time.Hour), Until: base.Add(15 * time.Hour)},
		{Partner: "acme", Since: base.Add(10 * time.Hour)},
		{State: inbox.Done, Until: base.Add(8 * time.Hour)},
		{Text: "f01"},
		{Text: "f0", State: inbox.Failed},
		{Control: "1002", State: inbox.Done},
		{DocType: "x12/846", Partner: "beta", Since: base.Add(3 * time.Hour)},
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			var want []uint64
			for _, m := range all {
				if f.Match(m) {
					want = append(want, m.ID)
				}
			}
			// The index holds exactly the matching messages: nothing
			// stale is read (Text, and a second condition beside the
			// index's, are checked on the records).
			if f.Text == "" && narrow(&f) {
				pf := f
				pf.Limit = 1000
				if p, err := s.Search(ctx, pf); err != nil || p.Scanned != len(want) || p.Next != 0 {
					t.Errorf("one page: scanned %d for %d matches, next %d, %v", p.Scanned, len(want), p.Next, err)
				}
			}
			if n, capped, err := s.Count(ctx, f, 0); err != nil || n != len(want) || capped {
				t.Errorf("count %d (capped %v), want %d: %v", n, capped, len(want), err)
			}
			if len(want) > 1 {
				if n, capped, err := s.Count(ctx, f, 1); err != nil || n != 1 || !capped {
					t.Errorf("count up to 1: %d (capped %v): %v", n, capped, err)
				}
			}
			// Two at a time, then with a scan budget of 3.
			for _, budget := range []int{0, 3} {
				var got []uint64
				pf := f
				pf.Limit, pf.MaxScan = 2, budget
				for pages := 0; ; pages++ {
					if pages > 200 {
						t.Fatal("paging does not end")
					}
					p, err := s.Search(ctx, pf)
					if err != nil {
						t.Fatal(err)
					}
					if len(p.Messages) > 2 || (budget > 0 && p.Scanned > budget) {
						t.Fatalf("page of %d, scanned %d", len(p.Messages), p.Scanned)
					}
					for _, m := range p.Messages {
						got = append(got, m.ID)
					}
					if p.Next == 0 {
						break
					}
					pf.Before = p.Next
				}
				if !slices.Equal(got, want) {
					t.Errorf("budget %d: got %v\nwant %v", budget, got, want)
				}
			}
		})
	}

	counts, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[inbox.State]int{}
	hours := map[time.Time]map[inbox.State]int{}
	for _, m := range all {
		if want[m.Partner] == nil {
			want[m.Partner] = map[inbox.State]int{}
		}
		want[m.Partner][m.State]++
		h := m.ReceivedAt.Truncate(time.Hour)
		if hours[h] == nil {
			hours[h] = map[inbox.State]int{}
		}
		hours[h][m.State]++
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("counts %v\nwant %v", counts, want)
	}
	hc, err := s.Hourly(base.Add(-5*time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[time.Time]map[inbox.State]int{}
	for _, h := range hc {
		got[h.Start] = h.ByState
	}
	if fmt.Sprint(got) != fmt.Sprint(hours) {
		t.Errorf("hourly %v\nwant %v", got, hours)
	}
	if late, err := s.Hourly(base.Add(10*time.Hour), base.Add(11*time.Hour)); err != nil || len(late) > 1 ||
		(len(late) == 1 && !late[0].Start.Equal(base.Add(10*time.Hour))) {
		t.Errorf("hourly 10:00-11:00: %v %v", late, err)
	}
}
