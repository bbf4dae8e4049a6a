package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// benchPartners are the generated inbox's partners: the demo's three and
// five more, with a skewed share of the traffic.
var benchPartners = []string{"acme-3pl", "acme-3pl", "acme-3pl", "northwind", "northwind", "shopmart", "p5", "p6", "p7", "p8"}

// benchInbox opens the inbox the search benchmarks read: n messages
// (DOCKSIDE_BENCH_MESSAGES, default 100,000) generated in the folder
// DOCKSIDE_BENCH_INBOX (kept, and reused when it already holds n
// messages: the web package's scale benchmark reads it too), or in a
// temporary folder.
func benchInbox(b *testing.B) (*Store, int) {
	n := 100_000
	if v := os.Getenv("DOCKSIDE_BENCH_MESSAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	dir := os.Getenv("DOCKSIDE_BENCH_INBOX")
	if dir == "" {
		dir = b.TempDir()
	}
	s, err := Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var have int
	s.db.View(func(tx *bolt.Tx) error {
		have = tx.Bucket(bucketMessages).Stats().KeyN
		return nil
	})
	if have != n {
		if have != 0 {
			b.Fatalf("%s holds %d messages, not %d: remove it", dir, have, n)
		}
		start := time.Now()
		if err := generateInbox(s, n, time.Now().UTC()); err != nil {
			b.Fatal(err)
		}
		info, _ := os.Stat(filepath.Join(dir, "inbox.db"))
		b.Logf("generated %d messages in %v (inbox.db %d MiB)", n, time.Since(start).Round(time.Second), info.Size()>>20)
	}
	return s, n
}

// generateInbox writes n message records (no bytes: searches do not read
// them) received over the 60 days before now, in arrival order, through
// the same write path as Receive and Finish (putMessage: record and
// indexes), in transactions of 20,000 without fsync. One in 20 failed,
// one in 30 a duplicate, the newest 50 waiting; the rest done. X12
// messages carry three control numbers; a third are CSV.
func generateInbox(s *Store, n int, now time.Time) error {
	s.db.NoSync = true
	defer func() { s.db.NoSync = false }()
	span := 60 * 24 * time.Hour
	start := now.Add(-span)
	for done := 0; done < n; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketMessages)
			for i := 0; i < 20_000 && done < n; i, done = i+1, done+1 {
				id, err := b.NextSequence()
				if err != nil {
					return err
				}
				at := start.Add(time.Duration(int64(span) / int64(n) * int64(done)))
				m := &Message{ID: id, Partner: benchPartners[id%uint64(len(benchPartners))], Transport: "sftp",
					Name: fmt.Sprintf("IN_%08d.edi", id), Size: 2048, SHA256: fmt.Sprintf("%064x", id), ReceivedAt: at,
					UpdatedAt: at.Add(time.Second), State: Done, Attempts: 1}
				switch {
				case done >= n-50:
					m.State, m.Attempts = Received, 0
				case id%20 == 7 || id%20 == 13:
					m.State = Failed
					m.Errors = []Problem{{Place: m.Name + ": line 16, segment 14 (LIN)", Msg: `LIN03 "AC-9999": not found in table "items"`}}
				case id%30 == 11:
					m.State, m.DuplicateOf = Duplicate, id-1
				}
				if id%3 == 0 {
					m.Name = fmt.Sprintf("STOCK_%08d.csv", id)
					m.Result = &Result{DocType: "csv", Movements: 40}
				} else {
					kind := "846"
					if id%3 == 2 {
						kind = "997"
					}
					m.Interchange = fmt.Sprintf("ZZ|SENDER|ZZ|DOCKSIDE|%09d|261201|1200", id)
					m.Result = &Result{DocType: "x12", Documents: []string{"x12/" + kind},
						Controls: []string{fmt.Sprintf("%09d/%d/%04d", id, id, 1)}, Movements: 40}
				}
				if m.State == Failed || m.State == Received {
					m.Result = nil
				}
				if err := putMessage(tx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.db.Sync()
}

// BenchmarkSearch measures one page (50 messages) of each search the
// dashboard offers over a generated inbox, and the counters behind the
// overview and partner health. Set DOCKSIDE_BENCH_MESSAGES=1000000 for
// the figures in docs/performance.md.
func BenchmarkSearch(b *testing.B) {
	s, n := benchInbox(b)
	ctx := context.Background()
	var newest time.Time
	if p, err := s.Search(ctx, Filter{Limit: 1}); err != nil || len(p.Messages) != 1 {
		b.Fatal(p, err)
	} else {
		newest = p.Messages[0].ReceivedAt
	}
	mid := uint64(n / 2)
	cases := []struct {
		name string
		f    Filter
	}{
		{"newest", Filter{}},
		{"older-page-mid", Filter{Before: mid}},
		{"state-failed", Filter{State: Failed}},
		{"state-failed-older", Filter{State: Failed, Before: mid}},
		{"state-received", Filter{State: Received}},
		{"partner", Filter{Partner: "shopmart"}},
		{"partner-failed", Filter{Partner: "p6", State: Failed}},
		{"control", Filter{Control: strconv.Itoa(n/3*3 + 1)}},
		{"doc-type-997", Filter{DocType: "x12/997"}},
		{"last-day", Filter{Since: newest.Add(-24 * time.Hour)}},
		{"a-day-30-days-ago", Filter{Since: newest.Add(-30 * 24 * time.Hour), Until: newest.Add(-29 * 24 * time.Hour)}},
		{"partner-a-week-ago-failed", Filter{Partner: "northwind", State: Failed, Since: newest.Add(-8 * 24 * time.Hour), Until: newest.Add(-7 * 24 * time.Hour)}},
		{"text-scan-bounded", Filter{Text: "no-such-name", MaxScan: 10_000}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.f.Limit = 50
			got := 0
			for b.Loop() {
				p, err := s.Search(ctx, c.f)
				if err != nil {
					b.Fatal(err)
				}
				got = len(p.Messages)
			}
			b.ReportMetric(float64(got), "msgs")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
		})
	}
	// What every filtered list did before the indexes: read and decode
	// every record (a filter that matches nothing). Run it alone with
	// -benchtime 1x: at 1,000,000 messages it takes seconds.
	b.Run("full-scan-before", func(b *testing.B) {
		for b.Loop() {
			err := s.db.View(func(tx *bolt.Tx) error {
				f := Filter{Partner: "nobody"}
				return tx.Bucket(bucketMessages).ForEach(func(_, v []byte) error {
					var m Message
					if err := json.Unmarshal(v, &m); err != nil {
						return err
					}
					f.matches(&m)
					return nil
				})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
	})
	b.Run("counts", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Counts(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
	})
	b.Run("hourly-24h", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Hourly(newest.Add(-24*time.Hour), time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
	})
}
