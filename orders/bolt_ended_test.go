package orders_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// pendingInFile lists the pending marks the file holds (committed), as
// a crash would leave them.
func pendingInFile(t *testing.T, s *orders.Bolt) []string {
	t.Helper()
	es, err := s.Entries(context.Background(), orders.PartPending, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range es {
		keys = append(keys, string(e.Key))
	}
	return keys
}

func markedRecord(number string, qty int64) *orders.Record {
	return &orders.Record{OrderState: mapping.OrderState{Partner: "shopmart", Number: number, Open: true,
		Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: qty}}}}
}

// TestBoltEndsPostedMarksWithTheNextCommit: a posted outcome without a
// record ends its mark for readers at once; the file loses it with the
// store's next commit (a Begin of another order here), or on its own
// shortly after, or at Close. A Begin of the same order in between
// writes a new mark that the old one's removal does not take away.
func TestBoltEndsPostedMarksWithTheNextCommit(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "orders.db")
	s, err := orders.OpenBolt(file)
	if err != nil {
		t.Fatal(err)
	}
	begin := func(number string, qty int64) {
		t.Helper()
		if err := s.Begin(ctx, []orders.Change{{Next: markedRecord(number, qty), Keys: []string{"doc-" + number}}}); err != nil {
			t.Fatal(err)
		}
	}
	end := func(number string) {
		t.Helper()
		if err := s.End(ctx, []orders.Outcome{{Kind: mapping.KindOrder, Partner: "shopmart", Number: number, Posted: true}}); err != nil {
			t.Fatal(err)
		}
	}
	mark := func(number string) *orders.Change {
		t.Helper()
		m, err := s.Mark(ctx, mapping.KindOrder, "shopmart", number)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	begin("SO-1", 5)
	end("SO-1")
	if m := mark("SO-1"); m != nil {
		t.Fatalf("ended mark still read: %+v", m)
	}
	if marked, _ := s.Marked(ctx); len(marked) != 0 {
		t.Fatalf("Marked lists an ended mark: %+v", marked)
	}
	if got := pendingInFile(t, s); len(got) != 1 {
		t.Fatalf("file holds %q right after End; want the mark, removed with the next commit", got)
	}
	if r, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || r.Lines[0].Quantity != 5 {
		t.Fatalf("the posted record is not kept: %+v %v", r, err)
	}

	// The next commit (another order's Begin) takes the ended mark along.
	begin("SO-2", 7)
	if got := pendingInFile(t, s); len(got) != 1 || got[0] != string(orders.KindKey(mapping.KindOrder, "shopmart", "SO-2")) {
		t.Fatalf("file holds %q after the next Begin; want SO-2's mark only", got)
	}

	// SO-2 ended, then marked again before any other commit: the new
	// mark stays, in the file and for readers, whatever commits follow.
	end("SO-2")
	begin("SO-2", 9)
	if m := mark("SO-2"); m == nil || m.Next.Lines[0].Quantity != 9 {
		t.Fatalf("new mark not read: %+v", m)
	}
	begin("SO-3", 1)
	end("SO-3")
	waitFor(t, func() bool { return len(pendingInFile(t, s)) == 1 })
	if got := pendingInFile(t, s); got[0] != string(orders.KindKey(mapping.KindOrder, "shopmart", "SO-2")) {
		t.Fatalf("file holds %q; want SO-2's new mark only", got)
	}
	if m := mark("SO-2"); m == nil {
		t.Fatal("the new mark of SO-2 was removed with the old one")
	}

	// An ended mark no commit follows is removed at Close.
	end("SO-2")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = orders.OpenBolt(file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := pendingInFile(t, s); len(got) != 0 {
		t.Fatalf("file holds %q after Close", got)
	}
}

// TestBoltEndedMarkLeftByACrashIsSettled: a crash before the commit that
// removes an ended mark leaves it in the file; the book settles it
// against the ledger at the next read (posted: the record stays) and
// the 945's lines stay applied once.
func TestBoltEndedMarkLeftByACrashIsSettled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := orders.OpenBolt(filepath.Join(dir, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	prev := markedRecord("SO-1", 5)
	if err := s.Put(ctx, prev); err != nil {
		t.Fatal(err)
	}
	if err := s.Begin(ctx, []orders.Change{{Next: markedRecord("SO-1", 9), Prev: prev, Keys: []string{"doc-2"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.End(ctx, []orders.Outcome{{Kind: mapping.KindOrder, Partner: "shopmart", Number: "SO-1", Posted: true}}); err != nil {
		t.Fatal(err)
	}
	// The crash: the file as committed now, copied aside.
	crashed := filepath.Join(dir, "crashed.db")
	if err := s.CopyTo(crashed); err != nil {
		t.Fatal(err)
	}
	c, err := orders.OpenBolt(crashed)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m, _ := c.Mark(ctx, mapping.KindOrder, "shopmart", "SO-1"); m == nil {
		t.Fatal("the crashed file holds no mark: the test shows nothing")
	}
	b := orders.NewBook(c, func(_ context.Context, key string) (bool, error) { return key == "doc-2", nil }, nil)
	r, err := b.Get(ctx, mapping.KindOrder, "shopmart", "SO-1")
	if err != nil || r.Lines[0].Quantity != 9 {
		t.Fatalf("settled record: %+v %v; want the posted one (9)", r, err)
	}
	if marked, _ := c.Marked(ctx); len(marked) != 0 {
		t.Fatalf("marks left after settling: %+v", marked)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBoltEndedMarksUnderConcurrentBegins: orders begun and ended over
// and over from several goroutines, their commits shared: once Begin
// returns, the file holds the order's new mark (what a crash must find),
// whatever other orders' commits removed meanwhile.
func TestBoltEndedMarksUnderConcurrentBegins(t *testing.T) {
	ctx := context.Background()
	s, err := orders.OpenBolt(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const workers, rounds = 8, 150
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			number := fmt.Sprintf("SO-%d", w)
			key := orders.KindKey(mapping.KindOrder, "shopmart", number)
			for i := range rounds {
				if err := s.Begin(ctx, []orders.Change{{Next: markedRecord(number, int64(i+1)), Keys: []string{"doc"}}}); err != nil {
					errs <- err
					return
				}
				if v, err := s.Entry(orders.PartPending, key); err != nil || v == nil {
					errs <- fmt.Errorf("%s round %d: the file lost the mark Begin wrote (%v)", number, i, err)
					return
				}
				if err := s.End(ctx, []orders.Outcome{{Kind: mapping.KindOrder, Partner: "shopmart", Number: number, Posted: true}}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
