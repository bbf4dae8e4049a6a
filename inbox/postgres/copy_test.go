package postgres

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
)

// boltInbox builds a bbolt inbox with a message in every state: waiting,
// done (with its interchange), failed, a duplicate, one purged, one
// with an idempotency key, and one larger than a chunk.
func boltInbox(t *testing.T, dir string) *inbox.Store {
	t.Helper()
	clock := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC) // nanoseconds: PostgreSQL keeps microseconds
	src, err := inbox.Open(dir, &inbox.Options{Now: func() time.Time { clock = clock.Add(time.Minute); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	recv := func(partner, name, body, key string) *inbox.Message {
		m, err := src.Receive(ctx, inbox.Arrival{Partner: partner, Transport: "sftp", Name: name, Key: key,
			Meta: map[string]string{"path": "/in/" + name}}, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	finish := func(state inbox.State) {
		m, err := src.Claim()
		if err != nil {
			t.Fatal(err)
		}
		if state == inbox.Done {
			if _, err := src.MarkInterchange(m.ID, "acme|dockside|000000001"); err != nil {
				t.Fatal(err)
			}
		}
		o := inbox.Outcome{State: state}
		if state == inbox.Failed {
			o.Errors = []inbox.Problem{{Place: "failed.edi: segment 3", Msg: "bad"}}
		}
		if err := src.Finish(m.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	recv("acme", "done.edi", "ISA done", "")
	finish(inbox.Done)
	recv("acme", "failed.edi", "ISA failed", "")
	finish(inbox.Failed)
	recv("acme", "old.edi", "ISA old", "")
	finish(inbox.Done)
	if n, err := src.Purge(clock.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("purging: %d %v", n, err)
	}
	recv("acme", "again.edi", "ISA done", "") // a duplicate of done.edi
	recv("shopmart", "keyed.json", `{"sku":"A"}`, "key-1")
	recv("acme", "big.edi", strings.Repeat("x", 2*chunkSize+17), "")
	return src
}

// TestCopyFromBbolt: every message is copied with its id, record and
// bytes, and verified; a second run copies nothing; the copy then works
// as the source did (the queue, duplicates by content and key, new ids).
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	src := boltInbox(t, filepath.Join(t.TempDir(), "inbox"))
	defer src.Close()
	dst := node(t, migrated(t), false, nil)
	r, err := CopyFrom(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != 6 || r.Copied != 6 || r.Present != 0 || r.Verified != 6 {
		t.Errorf("first run: %v", r)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != 6 || r.Verified != 6 {
		t.Errorf("second run: %v %v", r, err)
	}
	// The copy's queue: the two waiting messages (again.edi is a
	// duplicate), partner after partner.
	var claimed []string
	for {
		m, err := dst.Claim()
		if errors.Is(err, inbox.ErrEmptyQueue) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		claimed = append(claimed, m.Name)
		if err := dst.Finish(m.ID, inbox.Outcome{State: inbox.Done}); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(claimed, " ") != "big.edi keyed.json" {
		t.Errorf("claimed from the copy: %v", claimed)
	}
	// Keys came along: the same content and the same idempotency key.
	dup, err := dst.Receive(ctx, inbox.Arrival{Partner: "acme", Name: "third.edi"}, strings.NewReader("ISA done"))
	if err != nil || dup.State != inbox.Duplicate || dup.DuplicateOf != 1 {
		t.Errorf("the done message's bytes again: %+v %v", dup, err)
	}
	keyed, err := dst.Receive(ctx, inbox.Arrival{Partner: "shopmart", Name: "k.json", Key: "key-1"}, strings.NewReader(`{"sku":"A"}`))
	if err != nil || keyed.ID != 5 {
		t.Errorf("the key again: %+v %v", keyed, err)
	}
	if dup.ID <= 6 {
		t.Errorf("new message id %d: ids after the copied ones", dup.ID)
	}
	if _, err := dst.Receive(ctx, inbox.Arrival{Partner: "acme", Name: "failed-again.edi"}, strings.NewReader("ISA failed")); err != nil {
		t.Fatal(err)
	}
	body, err := dst.Body(6)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	if !bytes.Equal(b, []byte(strings.Repeat("x", 2*chunkSize+17))) {
		t.Errorf("big.edi: %d bytes back", len(b))
	}
}

// TestCopyFromRefusesADifferentDatabase: a database that already holds
// other messages under the same ids is not taken for a copy.
func TestCopyFromRefusesADifferentDatabase(t *testing.T) {
	ctx := context.Background()
	src := boltInbox(t, filepath.Join(t.TempDir(), "inbox"))
	defer src.Close()
	dst := node(t, migrated(t), false, nil)
	if _, err := dst.Receive(ctx, inbox.Arrival{Partner: "acme", Name: "other.edi"}, strings.NewReader("something else")); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), "message 1") {
		t.Errorf("copying over other messages: %v, want ErrCopyMismatch naming message 1", err)
	}
}

// TestCopyFromContinues: a run interrupted after some batches (each
// commits whole, so a prefix of the messages is there) is continued by
// the next run, which copies only the rest.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	src := boltInbox(t, filepath.Join(t.TempDir(), "inbox"))
	defer src.Close()
	pool := migrated(t)
	dst := node(t, pool, false, nil)
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	// The state an interruption after message 3 leaves.
	for _, q := range []string{`DELETE FROM inbox_queue WHERE id > 3`, `DELETE FROM inbox_hashes WHERE id > 3`,
		`DELETE FROM inbox_interchanges WHERE id > 3`, `DELETE FROM inbox_keys WHERE id > 3`, `DELETE FROM inbox_messages WHERE id > 3`} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 3 || r.Present != 3 || r.Verified != 6 {
		t.Errorf("continuing: %v %v", r, err)
	}
}
