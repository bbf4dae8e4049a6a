package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pipe is a transaction sent as pipelined batches on one connection:
// BEGIN goes with the first batch and COMMIT with the last, so that a
// read-then-write transaction costs two round trips instead of one per
// statement plus two. PostgreSQL skips the rest of a batch after a
// statement fails, COMMIT included, so a batch that ends with COMMIT
// commits only when every statement before it succeeded; what must be
// checked before committing is read from an earlier batch.
type Pipe struct {
	conn  *pgxpool.Conn
	async bool
	begun bool
}

// BeginPipe acquires a connection of pool for a pipelined transaction.
// With async, its commit does not wait for the WAL flush
// (synchronous_commit off): only for writes that a crash of the database
// may lose because they are done again (a claim, a mark), and that the
// next synchronous commit of any session flushes with it (the WAL is
// flushed in order) before anything that depends on them leaves the
// gateway. Release ends it.
func BeginPipe(ctx context.Context, pool *pgxpool.Pool, async bool) (*Pipe, error) {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &Pipe{conn: c, async: async}, nil
}

// Conn is the pipe's connection, for statements sent one at a time
// within the transaction once its first batch was sent.
func (p *Pipe) Conn() *pgxpool.Conn { return p.conn }

// Batch returns a new batch of p: starting with BEGIN when p has sent
// nothing yet.
func (p *Pipe) Batch() *pgx.Batch {
	b := &pgx.Batch{}
	if !p.begun {
		b.Queue("BEGIN")
		if p.async {
			b.Queue("SET LOCAL synchronous_commit = off")
		}
	}
	return b
}

// Send sends b (made by Batch) and reads past what Batch queued: the
// results are those of the statements the caller queued. The caller
// closes them.
func (p *Pipe) Send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	br := p.conn.SendBatch(ctx, b)
	if !p.begun {
		p.begun = true
		n := 1
		if p.async {
			n = 2
		}
		for range n {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return nil, err
			}
		}
	}
	return br, nil
}

// Commit sends b (made by Batch) followed by COMMIT; read reads the
// results of the statements the caller queued (nil: none to read).
// The transaction commits when those statements all succeeded, whatever
// read returns: the COMMIT has gone with them. So read only collects
// results; what could refuse the commit is checked from an earlier
// batch.
func (p *Pipe) Commit(ctx context.Context, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	b.Queue("COMMIT")
	br, err := p.Send(ctx, b)
	if err != nil {
		return err
	}
	if read != nil {
		if err := read(br); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// rollbackTimeout bounds the ROLLBACK of a pipe released mid-way.
const rollbackTimeout = 10 * time.Second

// Release ends p: a transaction still open (after an error, or with
// nothing to write) is rolled back, and the connection returns to the
// pool (closed, when even the rollback failed).
func (p *Pipe) Release() {
	if p.conn.Conn().PgConn().TxStatus() != 'I' {
		ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
		if _, err := p.conn.Exec(ctx, "ROLLBACK"); err != nil {
			p.conn.Conn().Close(ctx) // the pool drops a closed connection
		}
		cancel()
	}
	p.conn.Release()
}
