package inbox

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// contractStore is what the reader contract needs of a backend: the
// Reader, and the writes that make messages.
type contractStore interface {
	Reader
	Receive(ctx context.Context, a Arrival, body io.Reader) (*Message, error)
	Claim() (*Message, error)
	Finish(id uint64, o Outcome) error
	Replay(id uint64) (*Message, error)
}

func TestReaderContractBolt(t *testing.T) {
	testReaderContract(t, func(t *testing.T) contractStore {
		s, _ := openTest(t)
		return s
	})
}

// testReaderContract checks a Reader against a brute-force reading of
// the same messages: every filter, paged two at a time, gives exactly the
// matching messages newest first; counters agree; updates move messages
// between index values.
func testReaderContract(t *testing.T, open func(t *testing.T) contractStore) {
	s := open(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	partners := []string{"acme", "beta", ""}
	var all []*Message
	for i := 0; i < 80; i++ {
		// Arrival times mostly grow, with some late arrivals.
		at := base.Add(time.Duration(i)*17*time.Minute - time.Duration(rng.IntN(3))*time.Hour)
		_, err := s.Receive(ctx, Arrival{Partner: partners[i%3], Transport: "test", Name: fmt.Sprintf("f%03d.edi", i), Time: at},
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
		o := Outcome{State: Done, Result: &Result{DocType: "x12", Documents: []string{"x12/846", "acme|1|2|3"},
			Controls: []string{fmt.Sprintf("%09d/%d/%04d", 1000+c.ID%5, 2000+c.ID%3, c.ID)}}}
		switch rng.IntN(4) {
		case 0:
			o = Outcome{State: Failed, Errors: []Problem{{Msg: "bad"}}, Result: &Result{DocType: "csv"}}
		case 1:
			o.Result.Documents = []string{"x12/997"}
		}
		if err := s.Finish(c.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	// A failed message replayed and done now: it must leave the failed index.
	failed, err := s.List(Filter{State: Failed, Limit: 1})
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
		s.Finish(c.ID, Outcome{State: Done})
	}
	if err := s.Finish(failed[0].ID, Outcome{State: Done, Result: &Result{DocType: "x12", Controls: []string{"000009999/9999/0001"}}}); err != nil {
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
	slices.SortFunc(all, func(a, b *Message) int { // newest first
		if c := b.ReceivedAt.Compare(a.ReceivedAt); c != 0 {
			return c
		}
		return int(b.ID) - int(a.ID)
	})

	filters := []Filter{
		{},
		{State: Failed},
		{State: Done},
		{State: Received},
		{Partner: "acme"},
		{Partner: ""},
		{Partner: "beta", State: Done},
		{Control: "1002"},
		{Control: "000001002"},
		{Control: "9999"},
		{Control: "7"},
		{DocType: "x12/997"},
		{DocType: "csv"},
		{Since: base.Add(5 * time.Hour), Until: base.Add(15 * time.Hour)},
		{Partner: "acme", Since: base.Add(10 * time.Hour)},
		{State: Done, Until: base.Add(8 * time.Hour)},
		{Text: "f01"},
		{Text: "f0", State: Failed},
		{Control: "1002", State: Done},
		{DocType: "x12/846", Partner: "beta", Since: base.Add(3 * time.Hour)},
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			var want []uint64
			for _, m := range all {
				if f.matches(m) {
					want = append(want, m.ID)
				}
			}
			// The index holds exactly the matching messages: nothing
			// stale is read (Text, and a second condition beside the
			// index's, are checked on the records).
			if f.Text == "" && indexExact(&f) {
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
	want := map[string]map[State]int{}
	hours := map[time.Time]map[State]int{}
	for _, m := range all {
		if want[m.Partner] == nil {
			want[m.Partner] = map[State]int{}
		}
		want[m.Partner][m.State]++
		h := m.ReceivedAt.Truncate(time.Hour)
		if hours[h] == nil {
			hours[h] = map[State]int{}
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
	got := map[time.Time]map[State]int{}
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

// TestIndexRebuiltOnOpen: a store written before the indexes (or by
// another index version) is indexed when opened.
func TestIndexRebuiltOnOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	receive(t, s, "acme", "a.edi", "one")
	receive(t, s, "beta", "b.edi", "two")
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIndex, bucketCounts, bucketIndexed, bucketMeta} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, s)
	if ms, err := s.List(Filter{Partner: "beta"}); err != nil || len(ms) != 1 || ms[0].Name != "b.edi" {
		t.Errorf("after reopening: %v %v", ms, err)
	}
	if c, err := s.Counts(); err != nil || c["acme"][Received] != 1 {
		t.Errorf("counts %v %v", c, err)
	}
	// A build one record per transaction, interrupted after the first
	// (the progress key left as a crash would), goes on at the next build.
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIndex, bucketCounts, bucketIndexed} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		meta.Delete(keyIndexVer)
		return meta.Put(keyIndexProgress, idKey(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := buildIndex(s.db, 1); err != nil {
		t.Fatal(err)
	}
	if ms, err := s.List(Filter{}); err != nil || len(ms) != 1 || ms[0].Name != "b.edi" {
		t.Errorf("an interrupted build goes on from its progress (message 1 was not to be read again): %v %v", ms, err)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keyIndexProgress) != nil || string(tx.Bucket(bucketMeta).Get(keyIndexVer)) != indexVersion {
			t.Errorf("build not marked done")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
