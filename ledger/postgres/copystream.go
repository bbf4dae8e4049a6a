package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5/pgxpool"
)

// copyStream feeds one COPY ... FROM STDIN (FORMAT binary) on a
// connection while its rows are still being made: the posting
// transaction encodes each document's movements as soon as the rules
// have applied it, and the server takes them in while the next document
// is stepped. Rows go into chunks handed to the connection's writer;
// adding rows never waits for the server.
type copyStream struct {
	mu     sync.Mutex
	more   *sync.Cond
	chunks [][]byte // encoded, not yet read by the connection
	closed bool
	head   []byte // the chunk being read

	buf  []byte // the chunk being encoded
	rows int64

	done chan struct{}
	n    int64 // rows the server took; set when done is closed
	err  error // the COPY's error; set when done is closed
}

// copyChunkSize is the size at which an encoded chunk is handed to the
// connection.
const copyChunkSize = 256 << 10

// binaryCopyHeader starts the binary COPY format: signature, flags,
// header extension length.
var binaryCopyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// startCopy starts copying into table's columns on conn, which is then
// busy until wait returns.
func startCopy(ctx context.Context, conn *pgxpool.Conn, table string, columns []string) *copyStream {
	s := &copyStream{done: make(chan struct{}), buf: make([]byte, 0, copyChunkSize+4096)}
	s.more = sync.NewCond(&s.mu)
	s.buf = append(s.buf, binaryCopyHeader...)
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", table, strings.Join(columns, ", "))
	pg := conn.Conn().PgConn()
	go func() {
		defer close(s.done)
		tag, err := pg.CopyFrom(ctx, s, sql)
		s.n, s.err = tag.RowsAffected(), err
	}()
	return s
}

// Read implements io.Reader for the connection: the chunks in order,
// then io.EOF once closed.
func (s *copyStream) Read(p []byte) (int, error) {
	if len(s.head) == 0 {
		s.mu.Lock()
		for len(s.chunks) == 0 && !s.closed {
			s.more.Wait()
		}
		if len(s.chunks) == 0 {
			s.mu.Unlock()
			return 0, io.EOF
		}
		s.head, s.chunks[0] = s.chunks[0], nil
		s.chunks = s.chunks[1:]
		s.mu.Unlock()
	}
	n := copy(p, s.head)
	s.head = s.head[n:]
	return n, nil
}

// flush hands the chunk being encoded to the connection when it is full
// (or, with force, whatever it holds).
func (s *copyStream) flush(force bool) {
	if len(s.buf) < copyChunkSize && !(force && len(s.buf) > 0) {
		return
	}
	s.mu.Lock()
	s.chunks = append(s.chunks, s.buf)
	s.more.Signal()
	s.mu.Unlock()
	s.buf = make([]byte, 0, copyChunkSize+4096)
}

// finish ends the rows (the format's trailer) and lets the connection
// end the COPY. Calling it again does nothing.
func (s *copyStream) finish() {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	s.buf = binary.BigEndian.AppendUint16(s.buf, 0xffff)
	s.flush(true)
	s.mu.Lock()
	s.closed = true
	s.more.Signal()
	s.mu.Unlock()
}

// wait finishes the stream and waits for the COPY to end; it returns
// the rows the server took.
func (s *copyStream) wait() (int64, error) {
	s.finish()
	<-s.done
	return s.n, s.err
}

// Binary COPY fields.

func (s *copyStream) row(fields int) {
	s.buf = binary.BigEndian.AppendUint16(s.buf, uint16(fields))
	s.rows++
}

func (s *copyStream) int64(v int64) {
	s.buf = binary.BigEndian.AppendUint32(s.buf, 8)
	s.buf = binary.BigEndian.AppendUint64(s.buf, uint64(v))
}

func (s *copyStream) int16(v int16) {
	s.buf = binary.BigEndian.AppendUint32(s.buf, 2)
	s.buf = binary.BigEndian.AppendUint16(s.buf, uint16(v))
}

func (s *copyStream) text(v string) {
	s.buf = binary.BigEndian.AppendUint32(s.buf, uint32(len(v)))
	s.buf = append(s.buf, v...)
}

func (s *copyStream) bytes(v []byte) {
	s.buf = binary.BigEndian.AppendUint32(s.buf, uint32(len(v)))
	s.buf = append(s.buf, v...)
}

func (s *copyStream) null() { s.buf = binary.BigEndian.AppendUint32(s.buf, 0xffffffff) }

// movements adds the rows of ms (movementColumns), their positions' ids
// from ids.
func (s *copyStream) movements(ms []ledger.Movement, ids map[ledger.Position]int64) error {
	for i := range ms {
		m := &ms[i]
		pos, ok := ids[ledger.Position{SKU: m.SKU, Location: m.Location}]
		if !ok {
			return fmt.Errorf("movement %d: position %q at %q has no id", m.ID, m.SKU, m.Location)
		}
		s.row(len(movementColumns))
		s.int64(int64(m.ID))
		s.int64(int64(m.Seq))
		s.text(m.SourceKey)
		s.int64(pos)
		s.int16(int16(m.Kind))
		s.int16(int16(m.Bucket))
		s.int16(movementFlags(m))
		s.int64(m.Quantity)
		s.int64(m.Effective.UnixNano())
		if m.Expected.IsZero() {
			s.null()
		} else {
			s.int64(m.Expected.UnixNano())
		}
		// The reference goes straight into the row: its length first.
		at := len(s.buf)
		s.buf = append(s.buf, 0, 0, 0, 0)
		s.buf = encodeRef(s.buf, m)
		binary.BigEndian.PutUint32(s.buf[at:], uint32(len(s.buf)-at-4))
		s.int64(m.Delta.OnHand)
		s.int64(m.Delta.Allocated)
		s.int64(m.Delta.InTransit)
		s.int64(m.Delta.Damaged)
		s.int64(m.Delta.Quarantined)
		s.flush(false)
	}
	return nil
}

// positions adds the rows of a's positions (positionColumnsCopy).
func (s *copyStream) positions(a *positionArrays) { s.positionRows(a, true) }

// positionRows adds a row per position of a: its id, with keys its SKU
// and location, then its figures, sequence, extra and latest.
func (s *copyStream) positionRows(a *positionArrays, keys bool) {
	cols := len(changedColumns)
	if keys {
		cols = len(positionColumnsCopy)
	}
	for i := range a.id {
		s.row(cols)
		s.int64(a.id[i])
		if keys {
			s.text(a.skus[i])
			s.text(a.locs[i])
		}
		s.int64(a.oh[i])
		s.int64(a.al[i])
		s.int64(a.it[i])
		s.int64(a.dm[i])
		s.int64(a.qu[i])
		s.int64(a.seq[i])
		s.bytes(a.extra[i])
		if a.latest[i] == nil {
			s.null()
		} else {
			s.int64(*a.latest[i])
		}
		s.flush(false)
	}
}

// changedColumns are the columns of the temporary table ledger_changed,
// in COPY order: a large transaction's new states of stored positions.
var changedColumns = []string{"id", "on_hand", "allocated", "in_transit", "damaged", "quarantined", "seq", "extra", "latest"}

// createChanged creates ledger_changed for the session, unless it has it:
// emptied at every commit (and gone with a rollback's rows).
const createChanged = `CREATE TEMP TABLE IF NOT EXISTS ledger_changed (
	id bigint, on_hand bigint, allocated bigint, in_transit bigint, damaged bigint, quarantined bigint, seq bigint,
	extra bytea, latest bigint) ON COMMIT DELETE ROWS`

// changed adds the rows of a's positions (changedColumns).
func (s *copyStream) changed(a *positionArrays) { s.positionRows(a, false) }
