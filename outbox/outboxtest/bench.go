package outboxtest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/outbox"
)

// fill enqueues n messages from 16 goroutines and delivers all but
// every hundredth; every thousandth's acknowledgement is overdue.
func fill(b *testing.B, s outbox.Storage, c *Clock, n int) {
	b.Helper()
	var wg sync.WaitGroup
	per := n / 16
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				k := g*per + i
				m := &outbox.Message{Partner: fmt.Sprintf("p%d", k%7), Transport: "folder", Kind: "997"}
				if k%1000 == 0 {
					m.AckDeadline = c.T.Add(time.Minute)
				}
				if _, err := s.Enqueue(m, []byte("ISA*00*...~")); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for {
		due, err := s.Due(500)
		if err != nil {
			b.Fatal(err)
		}
		if len(due) == 0 {
			break
		}
		for _, m := range due {
			var err error
			if m.ID%100 == 0 {
				err = s.Failed(m.ID, fmt.Errorf("refused"))
			} else {
				err = s.Succeeded(m.ID, outbox.Receipt{Text: "ok"})
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	c.Add(time.Hour)
	if _, err := s.MarkOverdue(); err != nil {
		b.Fatal(err)
	}
}

// BenchHealth measures what the health and metrics pages read of an
// outbox of n messages, most delivered: Backlog and the overdue
// acknowledgements (List by AckState, every page).
func BenchHealth(b *testing.B, open func(b *testing.B, opts outbox.Options) outbox.Storage, n int) {
	c := NewClock()
	s := open(b, outbox.Options{Now: c.Now, MaxAttempts: 3})
	fill(b, s, c, n)
	b.ResetTimer()
	for range b.N {
		pending, _, err := s.Backlog()
		if err != nil || pending == 0 {
			b.Fatalf("backlog %d, %v", pending, err)
		}
		overdue := 0
		f := outbox.Filter{AckState: outbox.AckOverdue, Limit: 1000}
		for {
			page, err := s.List(f)
			if err != nil {
				b.Fatal(err)
			}
			overdue += len(page)
			if len(page) < f.Limit {
				break
			}
			f.Before = page[len(page)-1].ID
		}
		if overdue == 0 {
			b.Fatal("no overdue acknowledgement")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/health")
}

// BenchSend measures messages enqueued, claimed and delivered, from
// GOMAXPROCS goroutines (-cpu).
func BenchSend(b *testing.B, open func(b *testing.B, opts outbox.Options) outbox.Storage) {
	s := open(b, outbox.Options{})
	body := make([]byte, 1024)
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Enqueue(&outbox.Message{Partner: "p", Transport: "folder", Kind: "846"}, body); err != nil {
				b.Error(err)
				return
			}
			due, err := s.Due(1)
			if err != nil {
				b.Error(err)
				return
			}
			for _, m := range due {
				if err := s.Succeeded(m.ID, outbox.Receipt{Text: "ok"}); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
