package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/transports/sftp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the out/ folders.
var Migrations = pgstore.MustLoad("sftp_out", migrationFiles, "migrations")

// DefaultChunkSize is the size of the chunks a file's bytes are kept in.
const DefaultChunkSize = 1 << 20

// opTimeout bounds each query made outside a caller's context (a chunk
// read during a download, a page of a listing).
const opTimeout = 30 * time.Second

// maxPage bounds the rows of one listing query.
const maxPage = 1000

// Options configure a Store; nil takes the defaults.
type Options struct {
	// ChunkSize is the size of the chunks new files are written in
	// (default DefaultChunkSize, 1 MiB). A file keeps the size it was
	// written with, so nodes may differ.
	ChunkSize int
}

// Store is the out/ folders in PostgreSQL.
type Store struct {
	pool  *pgxpool.Pool
	chunk int
}

var _ sftp.OutFolder = (*Store)(nil)

// Open returns the out/ folders in the database of pool, which must be
// migrated (Migrations). The pool stays its owner's to close.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("sftp out/: %w", err)
	}
	s := &Store{pool: pool, chunk: DefaultChunkSize}
	if opts != nil && opts.ChunkSize > 0 {
		s.chunk = opts.ChunkSize
	}
	return s, nil
}

func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// checkName checks the partner and name of a file asked for: a name the
// partner could never have been sent does not exist.
func checkName(partner, name string) error {
	err := sftp.CheckOutName(partner, name)
	if errors.Is(err, sftp.ErrBadName) {
		return fmt.Errorf("%w: %q", sftp.ErrNoSuchFile, name)
	}
	return err
}

// Put implements sftp.OutFolder: the row and every chunk in one
// transaction.
func (s *Store) Put(ctx context.Context, partner, name string, body []byte) error {
	if err := sftp.CheckOutName(partner, name); err != nil {
		return err
	}
	return s.put(ctx, partner, name, body, nil)
}

// put writes a file, modified at the database's clock or at modified.
func (s *Store) put(ctx context.Context, partner, name string, body []byte, modified *time.Time) error {
	h := sha256.Sum256(body)
	chunk := s.chunk
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id, version int64
		if err := tx.QueryRow(ctx, `INSERT INTO sftp_out_files AS f (partner, name, size, chunk, sha256, modified)
			VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
			ON CONFLICT (partner, name) DO UPDATE SET version = f.version + 1, size = excluded.size, chunk = excluded.chunk,
				sha256 = excluded.sha256, modified = excluded.modified
			RETURNING id, version`, partner, name, int64(len(body)), chunk, hex.EncodeToString(h[:]), modified).Scan(&id, &version); err != nil {
			return err
		}
		var b pgx.Batch
		b.Queue(`DELETE FROM sftp_out_chunks WHERE file = $1 AND version <> $2`, id, version)
		for n, off := 0, 0; off < len(body); n, off = n+1, off+chunk {
			b.Queue(`INSERT INTO sftp_out_chunks (file, version, n, data) VALUES ($1, $2, $3, $4)`,
				id, version, n, body[off:min(off+chunk, len(body))])
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("sftp out/: putting %s for %s: %w", name, partner, err)
	}
	return nil
}

// Stat implements sftp.OutFolder.
func (s *Store) Stat(ctx context.Context, partner, name string) (sftp.OutFile, error) {
	f, _, err := s.find(ctx, partner, name)
	return f.OutFile, err
}

// file is a row of sftp_out_files.
type file struct {
	sftp.OutFile
	id, version int64
	chunk       int64
}

// find reads a file's row.
func (s *Store) find(ctx context.Context, partner, name string) (file, bool, error) {
	if err := checkName(partner, name); err != nil {
		return file{}, false, err
	}
	f := file{OutFile: sftp.OutFile{Name: name}}
	err := s.pool.QueryRow(ctx, `SELECT id, version, size, chunk, sha256, modified FROM sftp_out_files WHERE partner = $1 AND name = $2`,
		partner, name).Scan(&f.id, &f.version, &f.Size, &f.chunk, &f.SHA256, &f.ModTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return file{}, false, fmt.Errorf("%w: %s", sftp.ErrNoSuchFile, name)
	}
	if err != nil {
		return file{}, false, fmt.Errorf("sftp out/: %s of %s: %w", name, partner, err)
	}
	return f, true, nil
}

// Open implements sftp.OutFolder.
func (s *Store) Open(ctx context.Context, partner, name string) (sftp.OutReader, sftp.OutFile, error) {
	f, _, err := s.find(ctx, partner, name)
	if err != nil {
		return nil, sftp.OutFile{}, err
	}
	return &reader{s: s, partner: partner, f: f}, f.OutFile, nil
}

// Remove implements sftp.OutFolder: the row, and its chunks with it.
func (s *Store) Remove(ctx context.Context, partner, name string) error {
	if err := checkName(partner, name); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM sftp_out_files WHERE partner = $1 AND name = $2`, partner, name)
	if err != nil {
		return fmt.Errorf("sftp out/: removing %s of %s: %w", name, partner, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", sftp.ErrNoSuchFile, name)
	}
	return nil
}

// List implements sftp.OutFolder: pages by name, each its own query.
func (s *Store) List(ctx context.Context, partner string) (sftp.OutList, error) {
	if err := sftp.CheckOutName(partner, "x"); err != nil {
		return nil, err
	}
	return &list{s: s, partner: partner}, nil
}

// list pages through a partner's files in name order.
type list struct {
	s       *Store
	partner string
	after   string
	eof     bool
}

// Next implements sftp.OutList.
func (l *list) Next(n int) ([]sftp.OutFile, error) {
	if l.eof {
		return nil, io.EOF
	}
	n = min(max(n, 1), maxPage)
	ctx, cancel := opContext()
	defer cancel()
	rows, err := l.s.pool.Query(ctx, `SELECT name, size, sha256, modified FROM sftp_out_files
		WHERE partner = $1 AND name > $2 ORDER BY name LIMIT $3`, l.partner, l.after, n)
	if err != nil {
		return nil, fmt.Errorf("sftp out/: listing for %s: %w", l.partner, err)
	}
	var out []sftp.OutFile
	var f sftp.OutFile
	if _, err := pgx.ForEachRow(rows, []any{&f.Name, &f.Size, &f.SHA256, &f.ModTime}, func() error {
		out = append(out, f)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("sftp out/: listing for %s: %w", l.partner, err)
	}
	if len(out) < n {
		l.eof = true
		return out, io.EOF
	}
	l.after = out[len(out)-1].Name
	return out, nil
}

// Close implements sftp.OutList.
func (l *list) Close() error { return nil }

// reader reads the chunks of the version it opened, one query per
// chunk, keeping the last two read (a client's reads come a little out
// of order around chunk boundaries).
type reader struct {
	s       *Store
	partner string
	f       file

	mu     sync.Mutex
	cached [2]struct {
		n    int64
		data []byte
	}
	next int // the cache slot to replace
}

// ReadAt implements io.ReaderAt.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("sftp out/: negative offset %d", off)
	}
	read := 0
	for read < len(p) && off < r.f.Size {
		n := off / r.f.chunk
		data, err := r.chunkAt(n)
		if err != nil {
			return read, err
		}
		k := copy(p[read:], data[off-n*r.f.chunk:])
		read += k
		off += int64(k)
	}
	if read < len(p) {
		return read, io.EOF
	}
	return read, nil
}

// chunkAt returns chunk n, from the cache or the database.
func (r *reader) chunkAt(n int64) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.cached {
		if c.data != nil && c.n == n {
			return c.data, nil
		}
	}
	ctx, cancel := opContext()
	defer cancel()
	var data []byte
	err := r.s.pool.QueryRow(ctx, `SELECT data FROM sftp_out_chunks WHERE file = $1 AND version = $2 AND n = $3`,
		r.f.id, r.f.version, n).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s of %s was replaced or removed while being read", sftp.ErrNoSuchFile, r.f.Name, r.partner)
	}
	if err != nil {
		return nil, fmt.Errorf("sftp out/: reading %s of %s: %w", r.f.Name, r.partner, err)
	}
	if want := min(r.f.chunk, r.f.Size-n*r.f.chunk); int64(len(data)) != want {
		return nil, fmt.Errorf("sftp out/: %s of %s: chunk %d has %d bytes, want %d", r.f.Name, r.partner, n, len(data), want)
	}
	r.cached[r.next].n, r.cached[r.next].data = n, data
	r.next = 1 - r.next
	return data, nil
}

// Close implements io.Closer.
func (r *reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cached[0].data, r.cached[1].data = nil, nil
	return nil
}
