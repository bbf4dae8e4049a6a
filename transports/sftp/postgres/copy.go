package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/transports/sftp"
)

// CopyFrom copies the files waiting in the partners' out/ folders of
// src (the SFTP root of a stopped bbolt gateway) that dst lacks, each
// with its bytes and modification time in one transaction, keeping what
// dst has. Then it verifies that dst holds exactly src's files: the
// same size, SHA-256 and time (to the microsecond), and no other. A
// second run, or one after an interrupted run, copies only what is
// missing. Files are read one at a time (a file whole in memory, as the
// outbox sent it); listings a page at a time. See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *sftp.DiskOut, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	partners, err := src.Partners()
	if err != nil {
		return r, err
	}
	slices.Sort(partners)
	for _, p := range partners {
		err := eachFile(ctx, src, p, func(f sftp.OutFile) error {
			r.Source++
			if _, err := dst.Stat(ctx, p, f.Name); err == nil {
				r.Present++
				return nil
			} else if !errors.Is(err, sftp.ErrNoSuchFile) {
				return err
			}
			body, at, err := readWhole(ctx, src, p, f.Name)
			if err != nil {
				return err
			}
			if err := dst.put(ctx, p, f.Name, body, &at); err != nil {
				return err
			}
			r.Copied++
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("sftp out/: copying the files of %s: %w", p, err)
		}
	}
	return r, verify(ctx, src, partners, dst, &r)
}

// eachFile calls fn for each file of a partner's out/ on disk.
func eachFile(ctx context.Context, src *sftp.DiskOut, partner string, fn func(sftp.OutFile) error) error {
	l, err := src.List(ctx, partner)
	if err != nil {
		return err
	}
	defer l.Close()
	for {
		page, err := l.Next(copyPage)
		for _, f := range page {
			if err := fn(f); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// copyPage is how many files are listed at once.
const copyPage = 500

// readWhole reads a file of out/ on disk and its modification time.
func readWhole(ctx context.Context, src *sftp.DiskOut, partner, name string) ([]byte, time.Time, error) {
	rd, f, err := src.Open(ctx, partner, name)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rd.Close()
	b := make([]byte, f.Size)
	if _, err := rd.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && f.Size == 0) {
		return nil, time.Time{}, fmt.Errorf("reading %s: %w", name, err)
	}
	return b, f.ModTime.Truncate(time.Microsecond), nil
}

// verify compares every file of src with dst, and the counts.
func verify(ctx context.Context, src *sftp.DiskOut, partners []string, dst *Store, r *pgstore.CopyReport) error {
	n := 0
	for _, p := range partners {
		err := eachFile(ctx, src, p, func(f sftp.OutFile) error {
			what := fmt.Sprintf("file out/%s of %s", f.Name, p)
			sum, at, err := hashFile(ctx, src, p, f.Name)
			if err != nil {
				return err
			}
			h, err := dst.Stat(ctx, p, f.Name)
			if errors.Is(err, sftp.ErrNoSuchFile) {
				return pgstore.Mismatch(r.Store, what, "missing in PostgreSQL")
			}
			if err != nil {
				return err
			}
			if h.Size != f.Size || h.SHA256 != sum || !h.ModTime.Equal(at.Truncate(time.Microsecond)) {
				return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %d bytes, SHA-256 %s, modified %v; the disk %d bytes, %s, %v",
					h.Size, h.SHA256, h.ModTime, f.Size, sum, at))
			}
			n++
			r.Verified++
			return nil
		})
		if err != nil {
			return fmt.Errorf("sftp out/: verifying: %w", err)
		}
	}
	var count int
	if err := dst.pool.QueryRow(ctx, `SELECT count(*) FROM sftp_out_files`).Scan(&count); err != nil {
		return fmt.Errorf("sftp out/: verifying: %w", err)
	}
	if count != n {
		return pgstore.Mismatch(r.Store, "files", fmt.Sprintf("PostgreSQL has %d, the disk %d", count, n))
	}
	return nil
}

// hashFile returns the SHA-256 of a file on disk, read in pieces, and
// its modification time.
func hashFile(ctx context.Context, src *sftp.DiskOut, partner, name string) (string, time.Time, error) {
	rd, f, err := src.Open(ctx, partner, name)
	if err != nil {
		return "", time.Time{}, err
	}
	defer rd.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(rd, 0, f.Size)); err != nil {
		return "", time.Time{}, fmt.Errorf("reading %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), f.ModTime, nil
}
