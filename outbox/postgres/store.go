package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the outbox.
var Migrations = pgstore.MustLoad("outbox", migrationFiles, "migrations")

// Options tune a Store.
type Options struct {
	// Options are the outbox's: attempts, retry delays, clock (the
	// defaults of outbox.Open).
	outbox.Options
	// Lease is how long a claim holds without renewal (default 1 min);
	// the node renews its claims every third of it. After a node dies,
	// its messages wait this long before another node sends them.
	Lease time.Duration
	// Node names this node in claims (default: host name and a random
	// suffix).
	Node string
	// Log, when set, receives errors of the lease renewal.
	Log *slog.Logger
}

// opTimeout bounds one call (outbox.Storage takes no context).
const opTimeout = time.Minute

func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// Store is the outbox in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	opts Options

	mu     sync.Mutex
	claims map[uint64]int // message id → attempt, for the claims this node holds

	notify  chan struct{}
	changes chan struct{}
	stop    chan struct{}
	done    sync.WaitGroup
	closed  sync.Once
}

var _ outbox.Storage = (*Store)(nil)

// Open returns the outbox in the database of pool, which must be
// migrated (Migrations), and starts renewing this node's claims. Close
// stops that; it does not close the pool.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	s := &Store{pool: pool, claims: map[uint64]int{}, notify: make(chan struct{}, 1), changes: make(chan struct{}, 1), stop: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	o := &s.opts
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 30 * time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Node == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		o.Node = host + "-" + hex.EncodeToString(b[:])
	}
	s.done.Add(1)
	go s.renewLoop()
	return s, nil
}

// Node returns the name this node claims messages under.
func (s *Store) Node() string { return s.opts.Node }

// Close stops renewing claims. Claims still held stay in the database
// and are taken over after their lease, as a crash's are.
func (s *Store) Close() error {
	s.closed.Do(func() { close(s.stop) })
	s.done.Wait()
	return nil
}

// renewLoop renews this node's claims every third of the lease.
func (s *Store) renewLoop() {
	defer s.done.Done()
	t := time.NewTicker(s.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		ids := make([]int64, 0, len(s.claims))
		for id := range s.claims {
			ids = append(ids, int64(id))
		}
		s.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		ctx, cancel := opContext()
		_, err := s.pool.Exec(ctx, `UPDATE outbox_messages SET lease_until = now() + $3::interval
			WHERE id = ANY($1) AND claimed_by = $2 AND state = 'sending'`, ids, s.opts.Node, s.opts.Lease)
		cancel()
		if err != nil && s.opts.Log != nil {
			s.opts.Log.Error("outbox: renewing claims", "node", s.opts.Node, "err", err)
		}
	}
}

// Notify implements outbox.Storage.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// Changes implements outbox.Storage.
func (s *Store) Changes() <-chan struct{} { return s.changes }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (s *Store) now() time.Time { return s.opts.Now().UTC() }

// nullTime is t for a nullable column: NULL when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func decode(id int64, v []byte) (*outbox.Message, error) {
	m := &outbox.Message{}
	if err := json.Unmarshal(v, m); err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	m.ID = uint64(id)
	return m, nil
}

func getForUpdate(ctx context.Context, tx pgx.Tx, id uint64) (*outbox.Message, string, error) {
	var v []byte
	var claimedBy *string
	err := tx.QueryRow(ctx, `SELECT record, claimed_by FROM outbox_messages WHERE id = $1 FOR UPDATE`, int64(id)).Scan(&v, &claimedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", fmt.Errorf("message %d: %w", id, outbox.ErrNotFound)
	}
	if err != nil {
		return nil, "", err
	}
	m, err := decode(int64(id), v)
	if claimedBy == nil {
		return m, "", err
	}
	return m, *claimedBy, err
}

// put writes m's record and columns; a message no longer Sending loses
// its claim.
func put(ctx context.Context, tx pgx.Tx, m *outbox.Message) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE outbox_messages SET state = $2, next_attempt = $3, ack_state = $4, ack_deadline = $5, record = $6,
		claimed_by = CASE WHEN $2 = 'sending' THEN claimed_by END, lease_until = CASE WHEN $2 = 'sending' THEN lease_until END
		WHERE id = $1`, int64(m.ID), string(m.State), nullTime(m.NextAttempt), string(m.AckState), nullTime(m.AckDeadline), v)
	return err
}

// schedule sets m's next attempt (zero: none) and its update time.
func (s *Store) schedule(m *outbox.Message, at time.Time) {
	m.NextAttempt = at
	m.Updated = s.now()
}

// backoff returns the delay before attempt n+1 after n failed attempts,
// as outbox.Store does.
func (s *Store) backoff(n int) time.Duration {
	d := s.opts.BaseDelay
	for i := 1; i < n && d < s.opts.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxDelay)
	jitter := time.Duration((mrand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}

// supersede makes m Superseded: no attempt and no acknowledgement are
// expected any more.
func (s *Store) supersede(m *outbox.Message) {
	if m.AckState == outbox.AckPending {
		m.AckState = ""
	}
	m.State, m.ConfirmBy = outbox.Superseded, time.Time{}
	s.schedule(m, time.Time{})
}

// startAckClock starts the acknowledgement clock of a message just
// delivered that expects an ack within AckWithin of its delivery.
func startAckClock(m *outbox.Message) {
	if m.AckWithin <= 0 || !m.AckDeadline.IsZero() || m.AckState != outbox.AckPending {
		return
	}
	m.AckDeadline = m.DeliveredAt.Add(m.AckWithin)
}

// Enqueue implements outbox.Storage. With m.Key set, the key's unique
// constraint decides: a second enqueue, on any node, stores nothing and
// returns the first message's id.
func (s *Store) Enqueue(m *outbox.Message, body []byte) (uint64, error) {
	return s.EnqueueContext(context.Background(), m, body)
}

var _ outbox.ContextEnqueuer = (*Store)(nil)

// EnqueueContext implements outbox.ContextEnqueuer: Enqueue, fenced in
// its transaction (clusterpg.FenceIfTerm) when ctx carries a leadership
// term, so a deposed leader's advice never reaches the outbox.
func (s *Store) EnqueueContext(ctx context.Context, m *outbox.Message, body []byte) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	now := s.now()
	var existing uint64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		existing = 0
		if err := clusterpg.FenceIfTerm(ctx, tx); err != nil {
			return err
		}
		m.ID, m.Size, m.Created, m.State, m.Attempts = 0, len(body), now, outbox.Queued, 0
		if !m.AckDeadline.IsZero() || m.AckWithin > 0 {
			m.AckState = outbox.AckPending // with AckWithin, the clock starts at delivery
		}
		s.schedule(m, now)
		v, err := json.Marshal(m)
		if err != nil {
			return err
		}
		var key any
		if m.Key != "" {
			key = m.Key
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO outbox_messages (key, partner, kind, state, next_attempt, ack_state, ack_deadline, record)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING RETURNING id`,
			key, m.Partner, m.Kind, string(m.State), m.NextAttempt, string(m.AckState), nullTime(m.AckDeadline), v).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			var first int64
			if err := tx.QueryRow(ctx, `SELECT id FROM outbox_messages WHERE key = $1`, m.Key).Scan(&first); err != nil {
				return err
			}
			existing = uint64(first)
			return nil
		}
		if err != nil {
			return err
		}
		m.ID = uint64(id)
		var b pgx.Batch
		b.Queue(`INSERT INTO outbox_bodies (id, body) VALUES ($1, $2)`, id, body)
		ref := func(kind, value string) {
			b.Queue(`INSERT INTO outbox_refs (partner, ref, value, id) VALUES ($1, $2, $3, $4)
				ON CONFLICT (partner, ref, value) DO UPDATE SET id = excluded.id`, m.Partner, kind, value, id)
		}
		if m.Interchange != "" {
			ref("i", m.Interchange)
		}
		for _, g := range m.Groups {
			ref("g", g)
		}
		if m.Name != "" {
			ref("n", m.Name)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue: %w", err)
	}
	if existing != 0 {
		return existing, nil
	}
	signal(s.notify)
	return m.ID, nil
}

// prepare sets what enqueuing at now sets on m, whose body is body, and
// returns its record.
func (s *Store) prepare(m *outbox.Message, body []byte, now time.Time) ([]byte, error) {
	m.ID, m.Size, m.Created, m.State, m.Attempts = 0, len(body), now, outbox.Queued, 0
	if !m.AckDeadline.IsZero() || m.AckWithin > 0 {
		m.AckState = outbox.AckPending // with AckWithin, the clock starts at delivery
	}
	s.schedule(m, now)
	return json.Marshal(m)
}

// refsOf returns the references of m (outbox_refs: kind and value), each
// once: its interchange, groups and file name.
func refsOf(m *outbox.Message) (kinds, values []string) {
	seen := map[string]bool{}
	add := func(kind, value string) {
		if value != "" && !seen[kind+value] {
			seen[kind+value] = true
			kinds, values = append(kinds, kind), append(values, value)
		}
	}
	add("i", m.Interchange)
	for _, g := range m.Groups {
		add("g", g)
	}
	add("n", m.Name)
	return kinds, values
}

// enqueueSQL inserts a message ($1 key … $8 record) with its body ($9)
// and references ($10 kinds, $11 values) in one statement, and returns
// its id; no row when the key is another message's.
const enqueueSQL = `WITH m AS (
	INSERT INTO outbox_messages (key, partner, kind, state, next_attempt, ack_state, ack_deadline, record)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING RETURNING id),
b AS (INSERT INTO outbox_bodies (id, body) SELECT id, $9 FROM m),
r AS (INSERT INTO outbox_refs (partner, ref, value, id) SELECT $2, u.ref, u.value, m.id
	FROM m, unnest($10::text[], $11::text[]) AS u(ref, value)
	ON CONFLICT (partner, ref, value) DO UPDATE SET id = excluded.id)
SELECT id FROM m`

// EnqueueNumbered implements outbox.NumberedEnqueuer: the numbers are
// reserved and the messages queued in one transaction and two round
// trips (the counter advanced; then the messages, their bodies and
// references, and COMMIT). When build fails, nothing is reserved nor
// queued and its error is returned as it is. Messages already stored
// under their key keep their id, as in Enqueue.
//
// The commit does not wait for its WAL flush (synchronous_commit off),
// so that the partner's counter row, which every node's
// acknowledgements to that partner queue behind, is held for two round
// trips rather than also a flush. Nothing of it leaves before a
// synchronous commit has flushed it (the WAL is flushed in order): a
// message is sent only after Due claimed it, and the gateway finishes
// the inbox message that queued it (a synchronous commit) before it
// counts as processed. A crash of the database before then loses the
// numbers and the messages together, and processing the inbox message
// again queues them again.
func (s *Store) EnqueueNumbered(partner, kind string, n int, build func(first int64) ([]*outbox.Message, []byte, error)) (first int64, ids []uint64, err error) {
	if n < 1 || n > maxControl {
		return 0, nil, fmt.Errorf("outbox: reserving %d control numbers", n)
	}
	ctx, cancel := opContext()
	defer cancel()
	now := s.now()
	var buildErr error
	stored := false
	err = func() error {
		p, err := pgstore.BeginPipe(ctx, s.pool, true)
		if err != nil {
			return err
		}
		defer p.Release()
		b := p.Batch()
		b.Queue(reserveSQL, partner, kind, int64(n), int64(maxControl))
		br, err := p.Send(ctx, b)
		if err != nil {
			return err
		}
		var last int64
		err = br.QueryRow().Scan(&last)
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s %s: %w", partner, kind, outbox.ErrControlExhausted)
		}
		if err != nil {
			return err
		}
		first = last - int64(n) + 1
		ms, body, err := build(first)
		if err != nil {
			buildErr = err
			return err
		}
		b = p.Batch()
		for _, m := range ms {
			v, err := s.prepare(m, body, now)
			if err != nil {
				return err
			}
			var key any
			if m.Key != "" {
				key = m.Key
			}
			kinds, values := refsOf(m)
			b.Queue(enqueueSQL, key, m.Partner, m.Kind, string(m.State), m.NextAttempt, string(m.AckState), nullTime(m.AckDeadline), v,
				body, kinds, values)
			if m.Key != "" {
				// A statement of its own: it sees the row of another
				// transaction that the insert waited for.
				b.Queue(`SELECT id FROM outbox_messages WHERE key = $1`, m.Key)
			}
		}
		return p.Commit(ctx, b, func(br pgx.BatchResults) error {
			for _, m := range ms {
				var id int64
				err := br.QueryRow().Scan(&id)
				inserted := err == nil
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
				if m.Key != "" {
					if err := br.QueryRow().Scan(&id); err != nil {
						return err
					}
				}
				if inserted {
					m.ID, stored = uint64(id), true
				}
				ids = append(ids, uint64(id))
			}
			return nil
		})
	}()
	switch {
	case buildErr != nil:
		return 0, nil, buildErr
	case err != nil:
		return 0, nil, fmt.Errorf("outbox: enqueue: %w", err)
	}
	if stored {
		signal(s.notify)
	}
	return first, ids, nil
}

var _ outbox.NumberedEnqueuer = (*Store)(nil)

// Body implements outbox.Storage.
func (s *Store) Body(id uint64) ([]byte, error) {
	ctx, cancel := opContext()
	defer cancel()
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM outbox_bodies WHERE id = $1`, int64(id)).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, outbox.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: message %d: %w", id, err)
	}
	return body, nil
}

// Due implements outbox.Storage: it claims, with FOR UPDATE SKIP LOCKED,
// the claims whose lease ran out (another node died sending them) and
// the messages whose next attempt is due, marks them Sending under this
// node with a lease, and returns those to attempt.
func (s *Store) Due(limit int) ([]*outbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	now := s.now()
	var out []*outbox.Message
	touched := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out, touched = nil, 0
		var claimed []int64
		take := func(m *outbox.Message) error {
			m.State = outbox.Sending
			m.Attempts++
			s.schedule(m, time.Time{})
			if err := put(ctx, tx, m); err != nil {
				return err
			}
			claimed = append(claimed, int64(m.ID))
			out = append(out, m)
			return nil
		}
		// Claims of a node that stopped renewing them.
		rows, _ := tx.Query(ctx, `SELECT id, record, claimed_by FROM outbox_messages
			WHERE state = 'sending' AND lease_until < now() ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		var interrupted []*outbox.Message
		var id int64
		var v []byte
		var by *string
		_, err := pgx.ForEachRow(rows, []any{&id, &v, &by}, func() error {
			m, err := decode(id, v)
			if err != nil {
				return err
			}
			node := ""
			if by != nil {
				node = *by
			}
			m.LastError = fmt.Sprintf("interrupted: the claim of node %s ran out", node)
			interrupted = append(interrupted, m)
			return nil
		})
		if err != nil {
			return err
		}
		for _, m := range interrupted {
			touched++
			if m.SupersededBy != 0 {
				// A newer message replaced it while it was being sent.
				s.supersede(m)
				if err := put(ctx, tx, m); err != nil {
					return err
				}
				continue
			}
			if err := take(m); err != nil {
				return err
			}
		}
		if len(out) < limit {
			rows, _ := tx.Query(ctx, `SELECT id, record FROM outbox_messages
				WHERE next_attempt <= $1 ORDER BY next_attempt, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit-len(out))
			var due []*outbox.Message
			_, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
				m, err := decode(id, v)
				if err != nil {
					return err
				}
				due = append(due, m)
				return nil
			})
			if err != nil {
				return err
			}
			for _, m := range due {
				touched++
				if m.State == outbox.Sent { // its receipt did not come in time
					m.LastError = fmt.Sprintf("no receipt by %s", m.ConfirmBy.Format(time.RFC3339))
					m.ConfirmBy = time.Time{}
					if m.SupersededBy != 0 {
						s.supersede(m)
						if err := put(ctx, tx, m); err != nil {
							return err
						}
						continue
					}
					if m.Attempts >= s.opts.MaxAttempts {
						m.State = outbox.Dead
						s.schedule(m, time.Time{})
						if err := put(ctx, tx, m); err != nil {
							return err
						}
						continue
					}
				}
				if err := take(m); err != nil {
					return err
				}
			}
		}
		if len(claimed) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE outbox_messages SET claimed_by = $2, lease_until = now() + $3::interval WHERE id = ANY($1)`,
			claimed, s.opts.Node, s.opts.Lease)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: due: %w", err)
	}
	s.mu.Lock()
	for _, m := range out {
		s.claims[m.ID] = m.Attempts
	}
	s.mu.Unlock()
	if touched > 0 {
		signal(s.changes)
	}
	return out, nil
}

// update runs fn on message id, locked, and writes it back.
func (s *Store) update(id uint64, fn func(m *outbox.Message, claimedBy string) error) error {
	ctx, cancel := opContext()
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m, by, err := getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(m, by); err != nil {
			return err
		}
		return put(ctx, tx, m)
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	signal(s.changes)
	return nil
}

// attempt checks that this node holds the claim of a Sending message:
// claimed here, and not taken over by another node since.
func (s *Store) attempt(m *outbox.Message, claimedBy string) error {
	if m.State != outbox.Sending {
		return fmt.Errorf("message %d is %s: %w", m.ID, m.State, outbox.ErrState)
	}
	s.mu.Lock()
	attempt, mine := s.claims[m.ID]
	s.mu.Unlock()
	if !mine || claimedBy != s.opts.Node || attempt != m.Attempts {
		return fmt.Errorf("message %d: attempt %d is claimed by node %s, not this one (%s): %w", m.ID, m.Attempts, claimedBy, s.opts.Node, outbox.ErrState)
	}
	return nil
}

func (s *Store) release(id uint64) {
	s.mu.Lock()
	delete(s.claims, id)
	s.mu.Unlock()
}

// Succeeded implements outbox.Storage. It refuses (outbox.ErrState) an
// attempt this node no longer holds.
func (s *Store) Succeeded(id uint64, r outbox.Receipt) error {
	defer s.release(id)
	return s.update(id, func(m *outbox.Message, by string) error {
		if err := s.attempt(m, by); err != nil {
			return err
		}
		m.Receipt, m.LastError, m.ConfirmBy = r.Text, "", time.Time{}
		if !r.Pending {
			m.State, m.DeliveredAt = outbox.Delivered, s.now()
			startAckClock(m)
			s.schedule(m, time.Time{})
			return nil
		}
		m.State = outbox.Sent
		if r.ConfirmWithin > 0 {
			m.ConfirmBy = s.now().Add(r.ConfirmWithin)
		}
		s.schedule(m, m.ConfirmBy)
		return nil
	})
}

// Failed implements outbox.Storage. It refuses (outbox.ErrState) an
// attempt this node no longer holds.
func (s *Store) Failed(id uint64, cause error) error {
	defer s.release(id)
	return s.update(id, func(m *outbox.Message, by string) error {
		if err := s.attempt(m, by); err != nil {
			return err
		}
		m.LastError = cause.Error()
		if m.SupersededBy != 0 {
			s.supersede(m)
			return nil
		}
		if m.Attempts >= s.opts.MaxAttempts || errors.Is(cause, outbox.ErrPermanent) {
			m.State = outbox.Dead
			s.schedule(m, time.Time{})
			return nil
		}
		m.State = outbox.Failed
		s.schedule(m, s.now().Add(s.backoff(m.Attempts)))
		return nil
	})
}

// Confirm implements outbox.Storage.
func (s *Store) Confirm(id uint64, receipt string) error {
	return s.update(id, func(m *outbox.Message, _ string) error {
		if m.State != outbox.Sent && m.State != outbox.Sending && m.State != outbox.Delivered {
			return fmt.Errorf("message %d is %s: %w", id, m.State, outbox.ErrState)
		}
		if m.State != outbox.Delivered {
			m.DeliveredAt = s.now()
		}
		m.State, m.ConfirmBy = outbox.Delivered, time.Time{}
		if receipt != "" {
			m.Receipt = receipt
		}
		startAckClock(m)
		s.schedule(m, time.Time{})
		return nil
	})
}

// ref returns the message a partner's reference points to, or 0.
func (s *Store) ref(ctx context.Context, partner, kind, value string) (uint64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM outbox_refs WHERE partner = $1 AND ref = $2 AND value = $3`, partner, kind, value).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uint64(id), err
}

// ConfirmByName implements outbox.Storage.
func (s *Store) ConfirmByName(partner, name, receipt string) (uint64, error) {
	ctx, cancel := opContext()
	defer cancel()
	id, err := s.ref(ctx, partner, "n", name)
	if err != nil || id == 0 {
		return 0, err
	}
	return id, s.Confirm(id, receipt)
}

// Retry implements outbox.Storage.
func (s *Store) Retry(id uint64) error {
	err := s.update(id, func(m *outbox.Message, _ string) error {
		if m.State != outbox.Failed && m.State != outbox.Dead && m.State != outbox.Sent {
			return fmt.Errorf("message %d is %s: %w", id, m.State, outbox.ErrState)
		}
		m.State = outbox.Queued
		if m.Attempts >= s.opts.MaxAttempts {
			m.Attempts = s.opts.MaxAttempts - 1
		}
		s.schedule(m, s.now())
		return nil
	})
	if err == nil {
		signal(s.notify)
	}
	return err
}

// Supersede implements outbox.Storage.
func (s *Store) Supersede(id, by uint64) (outbox.State, error) {
	var st outbox.State
	err := s.update(id, func(m *outbox.Message, _ string) error {
		switch m.State {
		case outbox.Queued, outbox.Failed, outbox.Dead:
			m.SupersededBy = by
			s.supersede(m)
		case outbox.Sending, outbox.Sent:
			m.SupersededBy = by
		}
		st = m.State
		return nil
	})
	return st, err
}

// Lookup implements outbox.Storage.
func (s *Store) Lookup(key string) (uint64, error) {
	ctx, cancel := opContext()
	defer cancel()
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM outbox_messages WHERE key = $1`, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: lookup: %w", err)
	}
	return uint64(id), nil
}

// Get implements outbox.Storage.
func (s *Store) Get(id uint64) (*outbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT record FROM outbox_messages WHERE id = $1`, int64(id)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, outbox.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: message %d: %w", id, err)
	}
	return decode(int64(id), v)
}

// List implements outbox.Storage; each filter field is served by an
// index on (field, id).
func (s *Store) List(f outbox.Filter) ([]*outbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	before := int64(1 << 62)
	if f.Before > 0 && f.Before < 1<<62 {
		before = int64(f.Before)
	}
	// Only the filters given, so that the planner sees which index
	// serves them.
	where, args := "id < $1", []any{before}
	for _, c := range []struct{ col, v string }{{"state", string(f.State)}, {"partner", f.Partner}, {"ack_state", string(f.AckState)}, {"kind", f.Kind}} {
		if c.v != "" {
			args = append(args, c.v)
			where += fmt.Sprintf(" AND %s = $%d", c.col, len(args))
		}
	}
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT id, record FROM outbox_messages WHERE %s ORDER BY id DESC LIMIT $%d`, where, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: listing: %w", err)
	}
	var out []*outbox.Message
	var id int64
	var v []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error {
		m, err := decode(id, v)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: listing: %w", err)
	}
	return out, nil
}

// Backlog implements outbox.Storage, from the state index.
func (s *Store) Backlog() (pending, dead int, err error) {
	ctx, cancel := opContext()
	defer cancel()
	err = s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state <> 'dead'), count(*) FILTER (WHERE state = 'dead')
		FROM outbox_messages WHERE state IN ('queued', 'sending', 'sent', 'failed', 'dead')`).Scan(&pending, &dead)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: backlog: %w", err)
	}
	return pending, dead, nil
}

// maxControl is the largest ISA13 (nine digits).
const maxControl = 999_999_999

// NextControl implements outbox.Storage.
func (s *Store) NextControl(partner, kind string) (int64, error) {
	return s.ReserveControls(partner, kind, 1)
}

// ReserveControls implements outbox.Storage: one statement that inserts
// or advances the partner's counter row and returns it; nodes reserving
// at once queue behind the row's lock, so none sees a number twice.
func (s *Store) ReserveControls(partner, kind string, n int) (int64, error) {
	if n < 1 || n > maxControl {
		return 0, fmt.Errorf("outbox: reserving %d control numbers", n)
	}
	ctx, cancel := opContext()
	defer cancel()
	var last int64
	err := s.pool.QueryRow(ctx, reserveSQL, partner, kind, int64(n), int64(maxControl)).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("outbox: %s %s: %w", partner, kind, outbox.ErrControlExhausted)
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: control numbers of %s: %w", partner, err)
	}
	return last - int64(n) + 1, nil
}

// reserveSQL advances the counter of $1 $2 by $3 unless that passes $4,
// and returns the last number reserved (no row: exhausted).
const reserveSQL = `INSERT INTO outbox_controls AS c (partner, kind, last) VALUES ($1, $2, $3)
	ON CONFLICT (partner, kind) DO UPDATE SET last = c.last + excluded.last WHERE c.last + excluded.last <= $4
	RETURNING last`

// RecordAck implements outbox.Storage.
func (s *Store) RecordAck(r outbox.AckReport) (uint64, error) {
	ctx, cancel := opContext()
	defer cancel()
	var id uint64
	var err error
	if r.Group != "" {
		id, err = s.ref(ctx, r.Partner, "g", r.Group)
	}
	if err == nil && id == 0 && r.Interchange != "" {
		id, err = s.ref(ctx, r.Partner, "i", r.Interchange)
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: recording ack: %w", err)
	}
	if id == 0 {
		return 0, nil
	}
	err = s.update(id, func(m *outbox.Message, _ string) error {
		m.AckState, m.AckDetail, m.AckMessage = r.State, r.Detail, r.Message
		m.AckAt = s.now()
		if m.State == outbox.Sent {
			// Their ack proves they have it.
			// No receipt is awaited, and no attempt follows when its
			// deadline passes.
			m.State, m.DeliveredAt, m.ConfirmBy = outbox.Delivered, m.AckAt, time.Time{}
			s.schedule(m, time.Time{})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: recording ack: %w", err)
	}
	return id, nil
}

// MarkOverdue implements outbox.Storage, from the index of pending
// acknowledgements; messages another node is marking are skipped.
func (s *Store) MarkOverdue() ([]*outbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	now := s.now()
	var out []*outbox.Message
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out = nil
		rows, _ := tx.Query(ctx, `SELECT id, record FROM outbox_messages WHERE ack_state = 'pending' AND ack_deadline <= $1
			ORDER BY ack_deadline, id FOR UPDATE SKIP LOCKED`, now)
		var id int64
		var v []byte
		_, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
			m, err := decode(id, v)
			if err != nil {
				return err
			}
			m.AckState, m.Updated = outbox.AckOverdue, now
			out = append(out, m)
			return nil
		})
		if err != nil {
			return err
		}
		for _, m := range out {
			if err := put(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: marking overdue acknowledgements: %w", err)
	}
	if len(out) > 0 {
		signal(s.changes)
	}
	return out, nil
}

// NextAckDeadline implements outbox.Storage.
func (s *Store) NextAckDeadline() time.Time {
	ctx, cancel := opContext()
	defer cancel()
	var t *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT min(ack_deadline) FROM outbox_messages WHERE ack_state = 'pending'`).Scan(&t); err != nil || t == nil {
		return time.Time{}
	}
	return t.UTC()
}
