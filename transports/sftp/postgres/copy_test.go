package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/transports/sftp"
)

// diskFolders returns out/ folders on disk with n files over three
// partners (one empty, one of 2.5 MB), a temporary file being written
// (never copied) and a partner folder without out/.
func diskFolders(t *testing.T, n int) (*sftp.DiskOut, string) {
	t.Helper()
	root := t.TempDir()
	d := sftp.NewDiskOut(root)
	ctx := context.Background()
	for i := range n {
		body := []byte(fmt.Sprintf("ISA*997*%d~", i))
		switch i {
		case 0:
			body = nil
		case 1:
			body = bytes.Repeat([]byte("0123456789"), 250_000)
		}
		if err := d.Put(ctx, fmt.Sprintf("partner-%d", i%3), fmt.Sprintf("997-%03d.x12", i), body); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "partner-1", "out", ".997-999.x12.tmp-1"), []byte("half"), 0o640)
	os.MkdirAll(filepath.Join(root, "only-in", "in"), 0o750)
	return d, root
}

// TestCopyFromBbolt: every file is copied with its bytes and time and
// verified; a second run copies nothing; an interrupted run continues;
// a file changed or added in PostgreSQL is a mismatch.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	const n = 40
	src, root := diskFolders(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool, &Options{ChunkSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != n || r.Copied != n || r.Present != 0 || r.Verified != n {
		t.Fatalf("first run: %v %v", r, err)
	}
	rd, f, err := dst.Open(ctx, "partner-1", "997-001.x12")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.NewSectionReader(rd, 0, f.Size))
	rd.Close()
	want, _ := os.ReadFile(filepath.Join(root, "partner-1", "out", "997-001.x12"))
	fi, _ := os.Stat(filepath.Join(root, "partner-1", "out", "997-001.x12"))
	if err != nil || !bytes.Equal(got, want) || !f.ModTime.Equal(fi.ModTime().Truncate(time.Microsecond)) {
		t.Errorf("a copied file: %d bytes (%v), modified %v; on disk %d bytes, %v", len(got), err, f.ModTime, len(want), fi.ModTime())
	}
	if r, err := CopyFrom(ctx, src, dst); err != nil || r.Copied != 0 || r.Present != n || r.Verified != n {
		t.Errorf("second run: %v %v", r, err)
	}
	// An interrupted run: two files missing.
	if _, err := pool.Exec(ctx, `DELETE FROM sftp_out_files WHERE name IN ('997-005.x12', '997-006.x12')`); err != nil {
		t.Fatal(err)
	}
	if r, err := CopyFrom(ctx, src, dst); err != nil || r.Copied != 2 || r.Present != n-2 || r.Verified != n {
		t.Errorf("after an interruption: %v %v", r, err)
	}

	if _, err := pool.Exec(ctx, `UPDATE sftp_out_files SET sha256 = 'x' WHERE name = '997-007.x12'`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("a changed file: %v", err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM sftp_out_files WHERE name = '997-007.x12'`); err != nil {
		t.Fatal(err)
	}
	if err := dst.Put(ctx, "partner-9", "extra.x12", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("a file PostgreSQL has and the disk does not: %v", err)
	}
}

// TestCopyFromNoRoot: a gateway that never served SFTP has nothing to
// copy.
func TestCopyFromNoRoot(t *testing.T) {
	ctx := context.Background()
	dst, err := Open(ctx, pgstoretest.Migrated(t, &pg, Migrations), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, sftp.NewDiskOut(filepath.Join(t.TempDir(), "none")), dst)
	if err != nil || r.Source != 0 || r.Copied != 0 || r.Verified != 0 {
		t.Errorf("%v %v", r, err)
	}
}
