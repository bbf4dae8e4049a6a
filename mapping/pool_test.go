package mapping

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// TestPoolPanicRaisedByWait: a panic while mapping (here injected
// through the Done hook), on a pool's worker or in a serial pool's
// Submit, does not crash the program; Wait raises it again in the
// caller, as a *PoolPanic, once every document is done.
func TestPoolPanicRaisedByWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		pool func() *Pool
	}{
		{"workers", func() *Pool { return NewPool(2) }},
		{"serial", NewSerialPool},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(loadExamples(t).Profiles()[0])
			pool := tc.pool()
			var done atomic.Int32
			pool.Done = func(documents.Document) {
				if done.Add(1) == 2 {
					panic("injected")
				}
			}
			for range 5 {
				pool.Submit(m, &documents.Inventory846{}, Source{Partner: "p"})
			}
			got := func() (r any) {
				defer func() { r = recover() }()
				pool.Wait()
				return nil
			}()
			p, ok := got.(*PoolPanic)
			if !ok {
				t.Fatalf("Wait: recovered %#v, want a *PoolPanic", got)
			}
			if p.Value != "injected" || !strings.Contains(p.Error(), "injected") || len(p.Stack) == 0 {
				t.Fatalf("panic %+v", p)
			}
			if n := done.Load(); n != 5 {
				t.Fatalf("%d documents done when Wait returned, want 5", n)
			}
		})
	}
}
