package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/transports/as2"
)

// boltRecords returns a bbolt AS2 store with n received messages (every
// other with an MDN, every third failed), n/10 messages awaiting their
// MDN and n/20 negative MDN reasons; times with nanoseconds.
func boltRecords(t *testing.T, n int) *as2.Store {
	t.Helper()
	ctx := context.Background()
	src, err := as2.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	at := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)
	for i := range n {
		r := &as2.ReceivedRecord{Partner: fmt.Sprintf("partner-%d", i%4), MessageID: fmt.Sprintf("<m%05d@partner>", i),
			Processed: i%3 != 0, Disposition: "automatic-action/MDN-sent-automatically; processed", InboxID: uint64(i + 1),
			MIC: as2.MIC{Value: fmt.Sprintf("mic%d", i), Alg: "sha-256"}, Text: "ok", At: at.Add(time.Duration(i) * time.Second)}
		if i%2 == 0 {
			r.MDNType, r.MDN, r.MDNMessageID = "multipart/signed", []byte(fmt.Sprintf("MDN\x00%d\xff", i)), fmt.Sprintf("<mdn%d@us>", i)
		}
		if err := src.PutReceived(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n / 10 {
		p := &as2.PendingRecord{OutboxID: uint64(i + 1), Partner: "partner-1", MessageID: fmt.Sprintf("<out%05d@us>", i),
			MIC: as2.MIC{Value: "x", Alg: "sha-256"}, SignedMDN: true, SentAt: at}
		if err := src.PutPending(ctx, p); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := src.SettlePending(ctx, p, fmt.Sprintf("processed/error: %d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return src
}

// TestCopyFromBbolt: every record is copied and verified; the copy
// answers as the source does; a second run copies nothing; a record
// changed in PostgreSQL is a mismatch.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	const n = 1200
	src := boltRecords(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	want := n + n/20 + n/20
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != want || r.Copied != want || r.Present != 0 || r.Verified != want {
		t.Fatalf("first run: %v %v", r, err)
	}
	got, err := dst.Received(ctx, "partner-2", "<m00006@partner>")
	if err != nil || got == nil || string(got.MDN) != "MDN\x006\xff" || got.At.Nanosecond() != 123456789 {
		t.Errorf("a copied record: %+v %v", got, err)
	}
	if reason, err := dst.TakeNegative(ctx, 3); err != nil || reason != "processed/error: 2" {
		t.Errorf("a copied negative MDN: %q %v", reason, err)
	}
	if reason, err := src.TakeNegative(ctx, 3); err != nil || reason != "processed/error: 2" {
		t.Fatalf("taking it in bbolt too: %q %v", reason, err)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != want-1 || r.Verified != want-1 {
		t.Errorf("second run: %v %v", r, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE as2_received SET mdn = mdn || '\x00'::bytea WHERE message_id = '<m00010@partner>'`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("an MDN changed in PostgreSQL: %v, want ErrCopyMismatch", err)
	}
}

// TestCopyFromContinues: a run interrupted after some pages is
// continued by the next, which copies only the rest.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	const n = 1200
	src := boltRecords(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	// The state an interruption after the first page leaves.
	for _, q := range []string{`DELETE FROM as2_pending`, `DELETE FROM as2_negative`,
		`DELETE FROM as2_received WHERE (partner, message_id) NOT IN
			(SELECT partner, message_id FROM as2_received ORDER BY partner, message_id LIMIT 500)`} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	want := n + n/20 + n/20
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != want-copyPage || r.Present != copyPage || r.Verified != want {
		t.Errorf("continuing: %v %v", r, err)
	}
}
