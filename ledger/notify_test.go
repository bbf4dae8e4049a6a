package ledger

import (
	"context"
	"testing"
)

func TestCommittedWakesReaders(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	wake := l.Committed()
	select {
	case <-wake:
		t.Fatal("closed before any commit")
	default:
	}
	// A document of duplicates records nothing: no wake.
	doc := Document{Key: "d1", Movements: []Movement{{SourceKey: "k1", SKU: "S", Location: "L", Kind: KindReceipt, Quantity: 1}}}
	if _, err := l.Post(ctx, doc); err != nil {
		t.Fatal(err)
	}
	<-wake // the first commit closed it
	again := l.Committed()
	if _, err := l.Post(ctx, doc); err != nil {
		t.Fatal(err)
	}
	select {
	case <-again:
		t.Error("a posting of duplicates woke readers")
	default:
	}
	doc.Movements[0].SourceKey = "k2"
	if _, err := l.Post(ctx, doc); err != nil {
		t.Fatal(err)
	}
	<-again
	last := l.Committed()
	l.Close()
	<-last // Close wakes readers
	<-l.Committed()
}
