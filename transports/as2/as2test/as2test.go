// Package as2test is the contract suite of as2.Records (the AS2
// station's Message-IDs, MDNs and messages awaiting an asynchronous
// MDN): every implementation passes Run.
package as2test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/transports/as2"
)

// Run runs the contract suite; open returns a new, empty store, which
// the suite closes.
func Run(t *testing.T, open func(t *testing.T) as2.Records) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s as2.Records)
	}{
		{"received records go in and out whole", roundTrip},
		{"a processed Message-ID stays", processedStays},
		{"one of concurrent outcomes wins", concurrentOutcomes},
		{"pending MDNs and negative reasons", pending},
		{"prune", prune},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var at = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func roundTrip(t *testing.T, s as2.Records) {
	ctx := context.Background()
	recs := []*as2.ReceivedRecord{
		{Partner: "acme", MessageID: "<a@x>", Processed: true, Disposition: "processed", InboxID: 7,
			MIC: as2.MIC{Value: "abc=", Alg: "sha-256"}, Text: "stored", MDNType: "multipart/signed",
			MDN: []byte("--b\r\n\x00binary\x00\r\n--b--\r\n"), MDNMessageID: "<mdn@x>", AsyncURL: "https://x/mdn", At: at},
		{Partner: "acme", MessageID: "<b@x>", Disposition: "processed/error: decryption-failed", At: at},
		{Partner: "acme", MessageID: "<c@x>", Processed: true, MDN: []byte{}, At: at},
		{Partner: "other", MessageID: "<a@x>", Processed: true, InboxID: 9, At: at}, // another partner's id
	}
	for _, r := range recs {
		if err := s.PutReceived(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range recs {
		got, err := s.Received(ctx, want.Partner, want.MessageID)
		if err != nil || got == nil {
			t.Fatalf("%s: %v, %v", want.MessageID, got, err)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) || !bytes.Equal(got.MDN, want.MDN) {
			t.Errorf("%s:\n got %s\nwant %s", want.MessageID, gj, wj)
		}
	}
	if got, err := s.Received(ctx, "acme", "<unknown@x>"); got != nil || err != nil {
		t.Errorf("an unknown Message-ID: %+v, %v", got, err)
	}
}

func processedStays(t *testing.T, s as2.Records) {
	ctx := context.Background()
	failed := &as2.ReceivedRecord{Partner: "acme", MessageID: "<a@x>", Disposition: "processed/error: decryption-failed", At: at}
	if err := s.PutReceived(ctx, failed); err != nil {
		t.Fatal(err)
	}
	done := &as2.ReceivedRecord{Partner: "acme", MessageID: "<a@x>", Processed: true, InboxID: 1, At: at.Add(time.Minute)}
	if err := s.PutReceived(ctx, done); err != nil {
		t.Fatalf("a resend processed after a failure: %v", err)
	}
	again := &as2.ReceivedRecord{Partner: "acme", MessageID: "<a@x>", Processed: true, InboxID: 2, At: at.Add(2 * time.Minute)}
	if err := s.PutReceived(ctx, again); !errors.Is(err, as2.ErrReceivedBefore) {
		t.Errorf("a second processed outcome: %v, want ErrReceivedBefore", err)
	}
	late := &as2.ReceivedRecord{Partner: "acme", MessageID: "<a@x>", Disposition: "failed", At: at.Add(3 * time.Minute)}
	if err := s.PutReceived(ctx, late); !errors.Is(err, as2.ErrReceivedBefore) {
		t.Errorf("a failure after the processed outcome: %v, want ErrReceivedBefore", err)
	}
	if got, _ := s.Received(ctx, "acme", "<a@x>"); got == nil || got.InboxID != 1 {
		t.Errorf("the record kept: %+v", got)
	}
}

// concurrentOutcomes: the same Message-ID processed by several exchanges
// at once (two nodes given one message twice): exactly one outcome is
// recorded, the others are told so.
func concurrentOutcomes(t *testing.T, s as2.Records) {
	ctx := context.Background()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.PutReceived(ctx, &as2.ReceivedRecord{Partner: "acme", MessageID: "<race@x>", Processed: true, InboxID: uint64(i + 1), At: at})
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won = i + 1
		case !errors.Is(err, as2.ErrReceivedBefore):
			t.Errorf("exchange %d: %v", i, err)
		}
	}
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d outcomes recorded, want 1", wins)
	}
	if got, _ := s.Received(ctx, "acme", "<race@x>"); got == nil || got.InboxID != uint64(won) {
		t.Errorf("record %+v, want the winner's (%d)", got, won)
	}
}

func pending(t *testing.T, s as2.Records) {
	ctx := context.Background()
	for i := range 3 {
		p := &as2.PendingRecord{OutboxID: uint64(i + 1), Partner: "shop", MessageID: fmt.Sprintf("<m%d@us>", i),
			MIC: as2.MIC{Value: "x=", Alg: "sha-256"}, SignedMDN: i == 0, SentAt: at.Add(time.Duration(i) * time.Hour)}
		if err := s.PutPending(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Awaiting(ctx, "<m0@us>")
	if err != nil || got == nil || got.OutboxID != 1 || got.Partner != "shop" || !got.SignedMDN || got.MIC.Value != "x=" || !got.SentAt.Equal(at) {
		t.Fatalf("awaiting: %+v %v", got, err)
	}
	if got, err := s.Awaiting(ctx, "<unknown@us>"); got != nil || err != nil {
		t.Errorf("an unknown Message-ID: %+v %v", got, err)
	}
	old, err := s.Pending(ctx, at.Add(90*time.Minute))
	if err != nil || len(old) != 2 {
		t.Fatalf("pending before 13:30: %+v %v", old, err)
	}
	if err := s.SettlePending(ctx, got, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Awaiting(ctx, "<m0@us>"); got != nil {
		t.Errorf("settled, still awaiting: %+v", got)
	}
	if reason, _ := s.TakeNegative(ctx, 1); reason != "" {
		t.Errorf("a positive MDN left a reason %q", reason)
	}
	second, _ := s.Awaiting(ctx, "<m1@us>")
	if err := s.SettlePending(ctx, second, "processed/error: integrity-check-failed"); err != nil {
		t.Fatal(err)
	}
	if reason, err := s.TakeNegative(ctx, 2); reason != "processed/error: integrity-check-failed" || err != nil {
		t.Errorf("negative reason %q, %v", reason, err)
	}
	if reason, _ := s.TakeNegative(ctx, 2); reason != "" {
		t.Errorf("a negative reason taken twice: %q", reason)
	}
	if left, _ := s.Pending(ctx, at.Add(24*time.Hour)); len(left) != 1 || left[0].OutboxID != 3 {
		t.Errorf("left pending: %+v", left)
	}
}

func prune(t *testing.T, s as2.Records) {
	ctx := context.Background()
	for i := range 4 {
		r := &as2.ReceivedRecord{Partner: "acme", MessageID: fmt.Sprintf("<%d@x>", i), Processed: true, At: at.Add(time.Duration(i) * time.Hour)}
		if err := s.PutReceived(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Prune(ctx, at.Add(90*time.Minute)); n != 2 || err != nil {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	if got, _ := s.Received(ctx, "acme", "<0@x>"); got != nil {
		t.Errorf("a pruned record: %+v", got)
	}
	if got, _ := s.Received(ctx, "acme", "<3@x>"); got == nil {
		t.Errorf("a recent record was pruned")
	}
	// Forgotten, a Message-ID can be recorded again.
	if err := s.PutReceived(ctx, &as2.ReceivedRecord{Partner: "acme", MessageID: "<0@x>", Processed: true, At: at.Add(5 * time.Hour)}); err != nil {
		t.Errorf("recording a pruned Message-ID again: %v", err)
	}
}
