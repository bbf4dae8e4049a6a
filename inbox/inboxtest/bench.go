package inboxtest

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// Bench measures what the gateway does with every file: Receive (1 KiB,
// distinct bytes), Claim and Finish as done, from b.RunParallel's
// goroutines (GOMAXPROCS × -parallelism). It reports files/s.
func Bench(b *testing.B, open Open) {
	s := open(b, nil, 0)
	ctx := context.Background()
	var seq, empty atomic.Int64
	body := bytes.Repeat([]byte("x"), 1024)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := append([]byte(nil), body...)
		for pb.Next() {
			copy(buf, strconv.FormatInt(seq.Add(1), 10)+"|")
			if _, err := s.Receive(ctx, inbox.Arrival{Partner: "acme", Transport: "bench", Name: "f.edi"}, bytes.NewReader(buf)); err != nil {
				b.Error(err)
				return
			}
			// Every goroutine received before it claims, so a message
			// waits; but a store with SKIP LOCKED claims may pass over
			// rows another claim is locking and find none free for a
			// moment: claim again then.
			m, err := s.Claim()
			for errors.Is(err, inbox.ErrEmptyQueue) {
				empty.Add(1)
				m, err = s.Claim()
			}
			if err != nil {
				b.Error(err)
				return
			}
			if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Done}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(empty.Load())/float64(b.N), "empty-claims/op")
}
