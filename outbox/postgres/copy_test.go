package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/outbox"
)

// boltOutbox returns a bbolt outbox with n messages to three partners
// (keys, control numbers, file names, bodies up to 40 KiB), some
// delivered, some failed, some awaiting an acknowledgement, and
// reserved control numbers; times with nanoseconds.
func boltOutbox(t testing.TB, n int) *outbox.Store {
	t.Helper()
	clock := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)
	src, err := outbox.Open(t.TempDir(), &outbox.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	for i := range n {
		partner := fmt.Sprintf("partner-%d", i%3)
		icn, err := src.NextControl(partner, "isa")
		if err != nil {
			t.Fatal(err)
		}
		m := &outbox.Message{Partner: partner, Transport: "sftp", Kind: "846", Name: fmt.Sprintf("846_%05d.edi", i),
			Interchange: fmt.Sprintf("%09d", icn), Groups: []string{fmt.Sprint(i + 1)}, Meta: map[string]string{"n": fmt.Sprint(i)}}
		if i%2 == 0 {
			m.Key = fmt.Sprintf("advice|%d", i)
		}
		if i%5 == 0 {
			m.AckWithin = time.Hour
		}
		body := bytes.Repeat([]byte{byte(i), 0, 0xff}, 1+i%13_000)
		if _, err := src.Enqueue(m, body); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.ReserveControls("partner-1", "gs", 40); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Minute)
	due, err := src.Due(n / 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range due {
		if i%4 == 3 {
			err = src.Failed(m.ID, errors.New("connection refused"))
		} else {
			err = src.Succeeded(m.ID, outbox.Receipt{Text: "uploaded"})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return src
}

func openCopyTarget(t *testing.T) (*Store, func(q string, args ...any)) {
	t.Helper()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(context.Background(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	return node(t, pool, false, Options{}), exec
}

// TestCopyFromBbolt: every message (record and bytes), reference and
// counter is copied and verified; the copy answers as the source does
// (idempotency keys, control numbers, confirmations by name); new
// messages get new IDs; a second run copies nothing; bytes changed in
// PostgreSQL are a mismatch.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	const n = 500
	src := boltOutbox(t, n)
	dst, exec := openCopyTarget(t)
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != n || r.Copied != n || r.Present != 0 || r.Verified != n {
		t.Fatalf("first run: %v %v", r, err)
	}
	if id, err := dst.Lookup("advice|10"); err != nil || id != 11 {
		t.Errorf("idempotency key in the copy: %d %v, want 11", id, err)
	}
	if id, err := dst.Enqueue(&outbox.Message{Key: "advice|10", Partner: "partner-1"}, []byte("again")); err != nil || id != 11 {
		t.Errorf("enqueue of a copied key: %d %v, want 11", id, err)
	}
	for _, c := range []struct {
		partner, kind string
		want          int64
	}{{"partner-0", "isa", n/3 + 2}, {"partner-1", "gs", 41}, {"partner-2", "st", 1}} {
		if got, err := dst.NextControl(c.partner, c.kind); err != nil || got != c.want {
			t.Errorf("next %s of %s in the copy: %d %v, want %d", c.kind, c.partner, got, err, c.want)
		}
		if _, err := src.NextControl(c.partner, c.kind); err != nil { // keep both alike
			t.Fatal(err)
		}
	}
	hb, hp, herr := func() (int, int, error) { a, b, err := dst.Backlog(); return a, b, err }()
	wb, wp, werr := src.Backlog()
	if herr != nil || werr != nil || hb != wb || hp != wp {
		t.Errorf("backlog: PostgreSQL %d %d %v, bbolt %d %d %v", hb, hp, herr, wb, wp, werr)
	}
	id, err := dst.Enqueue(&outbox.Message{Partner: "partner-1", Kind: "846"}, []byte("new"))
	if err != nil || id <= n { // after the copied ones (the refused enqueue above took one)
		t.Errorf("a new message: id %d %v, want more than %d", id, err, n)
	}
	exec(`DELETE FROM outbox_bodies WHERE id = $1`, id)
	exec(`DELETE FROM outbox_messages WHERE id = $1`, id)
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != n || r.Verified != n {
		t.Errorf("second run: %v %v", r, err)
	}
	exec(`UPDATE outbox_bodies SET body = body || '\x00'::bytea WHERE id = 77`)
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("bytes changed in PostgreSQL: %v, want ErrCopyMismatch", err)
	}
}

// TestCopyFromContinues: a run interrupted after some batches (each
// commits whole: messages with their bytes) is continued by the next,
// which copies only the rest.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	const n = 500
	src := boltOutbox(t, n)
	dst, exec := openCopyTarget(t)
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	// The state an interruption after message 150 leaves.
	exec(`DELETE FROM outbox_refs`)
	exec(`DELETE FROM outbox_controls`)
	exec(`DELETE FROM outbox_bodies WHERE id > 150`)
	exec(`DELETE FROM outbox_messages WHERE id > 150`)
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != n-150 || r.Present != 150 || r.Verified != n {
		t.Errorf("continuing: %v %v", r, err)
	}
}
