package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var _ broadcast.PartnerLocker = (*Store)(nil)

// lockKeepAlive is how often a held partner lock speaks on its
// connection, well within the idle_in_transaction_session_timeout
// (pgstore.IdleInTransactionTimeout) that would end it.
const lockKeepAlive = 15 * time.Second

// LockPartner implements broadcast.PartnerLocker: the partner's row of
// broadcast_locks, held FOR UPDATE in a transaction on a connection of
// its own (not one of the pool's: the advice built under the lock takes
// the pool's connections, and locks held on all of them would wait for
// each other). It ends with Release, or when the connection does (a
// node that dies releases it with its connections).
func (s *Store) LockPartner(ctx context.Context, partner string) (broadcast.PartnerLock, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("broadcast: locking partner %s: %w", partner, err)
	}
	l := &partnerLock{conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	err = func() error {
		// The row is committed before it is locked, so Building sees it.
		if _, err := conn.Exec(ctx, `INSERT INTO broadcast_locks (partner) VALUES ($1) ON CONFLICT DO NOTHING`, partner); err != nil {
			return err
		}
		if l.tx, err = conn.Begin(ctx); err != nil {
			return err
		}
		_, err := l.tx.Exec(ctx, `SELECT partner FROM broadcast_locks WHERE partner = $1 FOR UPDATE`, partner)
		return err
	}()
	if err != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(closeCtx)
		return nil, fmt.Errorf("broadcast: locking partner %s: %w", partner, err)
	}
	go l.keepAlive()
	return l, nil
}

// Building implements broadcast.PartnerLocker: whether the partner's row
// is locked, asked without waiting.
func (s *Store) Building(ctx context.Context, partner string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	// A statement of its own (its lock ends with it).
	_, err := s.pool.Exec(ctx, `SELECT partner FROM broadcast_locks WHERE partner = $1 FOR KEY SHARE NOWAIT`, partner)
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("broadcast: is partner %s's advice being built: %w", partner, err)
	}
	return false, nil
}

// partnerLock is a held partner lock; mu keeps its connection to one
// user at a time.
type partnerLock struct {
	mu         sync.Mutex
	conn       *pgx.Conn
	tx         pgx.Tx
	lost       error
	stop, done chan struct{}
	once       sync.Once
}

func (l *partnerLock) keepAlive() {
	defer close(l.done)
	t := time.NewTicker(lockKeepAlive)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.Held(context.Background())
		}
	}
}

// Held implements broadcast.PartnerLock: the lock's transaction answers.
func (l *partnerLock) Held(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		if err := ctx.Err(); err != nil {
			return err // the caller's, not the lock's
		}
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		if _, err := l.tx.Exec(ctx, `SELECT 1`); err != nil {
			l.lost = err
		}
	}
	if l.lost != nil {
		return fmt.Errorf("%w: %w", broadcast.ErrLockLost, l.lost)
	}
	return nil
}

// Release implements broadcast.PartnerLock.
func (l *partnerLock) Release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.mu.Lock()
		defer l.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.tx.Rollback(ctx)
		l.conn.Close(ctx)
	})
}
