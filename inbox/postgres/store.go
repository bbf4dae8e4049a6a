package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the inbox.
var Migrations = pgstore.MustLoad("inbox", migrationFiles, "migrations")

// Options tune a Store.
type Options struct {
	// MaxSize bounds one received file (default 1 GiB).
	MaxSize int64
	// Now is the clock of the records (default time.Now). Leases use the
	// database's clock, which every node shares.
	Now func() time.Time
	// Lease is how long a claim holds without renewal (default 1 min);
	// the node renews its claims every third of it. After a node dies,
	// its messages wait this long before another node takes them.
	Lease time.Duration
	// Poll is how often Notify wakes to look for work other nodes
	// received (default 1 s).
	Poll time.Duration
	// Node names this node in claims (default: host name and a random
	// suffix).
	Node string
}

// opTimeout bounds one database call of the methods that take no context.
const opTimeout = 30 * time.Second

// chunkSize is the size of one row of inbox_bodies.
const chunkSize = 1 << 20

// Store is the inbox in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	opts Options

	mu          sync.Mutex
	claims      map[uint64]int // message id → attempt, for the claims this node holds
	lastPartner *string        // the partner served by this node's last claim

	notify chan struct{}
	stop   chan struct{}
	done   sync.WaitGroup
	closed sync.Once
}

var _ inbox.Storage = (*Store)(nil)

// Open returns the inbox in the database of pool, which must be migrated
// (Migrations), and starts renewing this node's claims. Close stops it;
// it does not close the pool.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	s := &Store{pool: pool, claims: map[uint64]int{}, notify: make(chan struct{}, 1), stop: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxSize <= 0 {
		s.opts.MaxSize = 1 << 30
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.Lease <= 0 {
		s.opts.Lease = time.Minute
	}
	if s.opts.Poll <= 0 {
		s.opts.Poll = time.Second
	}
	if s.opts.Node == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		s.opts.Node = host + "-" + hex.EncodeToString(b[:])
	}
	s.done.Add(2)
	go s.renewLoop()
	go s.pollLoop()
	return s, nil
}

// Close stops renewing claims and polling. Claims still held stay in
// the database and are taken over after their lease, as a crash's are.
func (s *Store) Close() error {
	s.closed.Do(func() { close(s.stop) })
	s.done.Wait()
	return nil
}

// Notify implements inbox.Storage.
func (s *Store) Notify() <-chan struct{} { return s.notify }

func (s *Store) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *Store) pollLoop() {
	defer s.done.Done()
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.wake()
		}
	}
}

// renewLoop extends the leases of this node's claims every third of a
// lease.
func (s *Store) renewLoop() {
	defer s.done.Done()
	t := time.NewTicker(s.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			ids := make([]int64, 0, len(s.claims))
			for id := range s.claims {
				ids = append(ids, int64(id))
			}
			s.mu.Unlock()
			if len(ids) == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.Lease/3)
			// A failed renewal is retried at the next tick; a claim lost
			// meanwhile is refused at Finish.
			s.pool.Exec(ctx, `UPDATE inbox_queue SET lease_until = now() + $1 WHERE id = ANY($2) AND claimed_by = $3`,
				s.opts.Lease, ids, s.opts.Node)
			cancel()
		}
	}
}

func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

func (s *Store) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// getForUpdate reads message id in tx, locking its row.
func getForUpdate(ctx context.Context, tx pgx.Tx, id uint64) (*inbox.Message, error) {
	return scanMessage(tx.QueryRow(ctx, `SELECT record FROM inbox_messages WHERE id = $1 FOR UPDATE`, int64(id)), id)
}

func scanMessage(row pgx.Row, id uint64) (*inbox.Message, error) {
	var raw []byte
	if err := row.Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("message %d: %w", id, inbox.ErrNotFound)
		}
		return nil, fmt.Errorf("inbox: message %d: %w", id, err)
	}
	return decode(raw, id)
}

// put writes the record of m and the columns derived from it.
func put(ctx context.Context, tx pgx.Tx, m *inbox.Message) error {
	args, err := putArgs(m)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, putSQL, args...)
	return err
}

const putSQL = `UPDATE inbox_messages SET partner = $2, state = $3, received_at = $4, updated_at = $5,
	purged = $6, controls = $7, doc_types = $8, record = $9 WHERE id = $1`

func putArgs(m *inbox.Message) ([]any, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	controls, docTypes := inbox.SearchKeys(m)
	if controls == nil {
		controls = []string{}
	}
	if docTypes == nil {
		docTypes = []string{}
	}
	return []any{int64(m.ID), m.Partner, string(m.State), m.ReceivedAt, m.UpdatedAt, m.Purged, controls, docTypes, raw}, nil
}

// update runs fn on message id in a transaction, its row locked, and
// writes the record back when fn returns nil.
func (s *Store) update(id uint64, fn func(ctx context.Context, tx pgx.Tx, m *inbox.Message) error) error {
	ctx, cancel := opContext()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m, err := getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(ctx, tx, m); err != nil {
			return err
		}
		return put(ctx, tx, m)
	})
}
