package outbox

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/internal/txgroup"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketMessages = []byte("messages") // id → Message JSON
	bucketBodies   = []byte("bodies")   // id → bytes
	bucketDue      = []byte("due")      // next attempt (unix nanos) + id → nothing
	bucketAckDue   = []byte("ackdue")   // ack deadline (unix nanos) + id → nothing
	bucketControls = []byte("controls") // partner 0 kind → last number
	bucketByGroup  = []byte("bygroup")  // partner 0 GS06 → id
	bucketByICN    = []byte("byicn")    // partner 0 ISA13 → id
	bucketByName   = []byte("byname")   // partner 0 name → id (pickup files)
	bucketByKey    = []byte("bykey")    // idempotency key → id
	// The health and list indexes: a message's state and ack state, and
	// the ids by each (Backlog and the overdue count read these, not
	// every message).
	bucketStateOf = []byte("stateof") // id → state 0 ack state
	bucketByState = []byte("bystate") // state 0 id → nothing
	bucketByAck   = []byte("byack")   // ack state 0 id → nothing
)

// Options tune a Store.
type Options struct {
	// MaxAttempts before a message is dead (default 8).
	MaxAttempts int
	// BaseDelay is the first retry delay (default 30 s); each attempt
	// doubles it, up to MaxDelay (default 1 h), with ±20% jitter.
	BaseDelay, MaxDelay time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store is the outbox.
type Store struct {
	db     *bolt.DB
	tx     *txgroup.Group // every write goes through it: concurrent writes share commits
	opts   Options
	notify chan struct{}
	// changes receives a value after a message's delivery or ack state
	// changed (see Changes).
	changes chan struct{}
}

// Open opens (creating if needed) the outbox in dir. Messages a crash left
// Sending are scheduled again at once.
func Open(dir string, opts *Options) (*Store, error) {
	s := &Store{notify: make(chan struct{}, 1), changes: make(chan struct{}, 1)}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxAttempts <= 0 {
		s.opts.MaxAttempts = 8
	}
	if s.opts.BaseDelay <= 0 {
		s.opts.BaseDelay = 30 * time.Second
	}
	if s.opts.MaxDelay <= 0 {
		s.opts.MaxDelay = time.Hour
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	db, err := bolt.Open(filepath.Join(dir, "outbox.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second,
		// As the ledger: the freelist is rebuilt at open instead of written
		// by every commit, and the map is large enough that growing the
		// file rarely waits for readers.
		FreelistType: bolt.FreelistMapType, NoFreelistSync: true, InitialMmapSize: 256 << 20})
	if err != nil {
		return nil, fmt.Errorf("outbox: opening database: %w", err)
	}
	s.db = db
	s.tx = txgroup.New(db)
	if err := db.Update(s.init); err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return s, nil
}

func (s *Store) init(tx *bolt.Tx) error {
	unindexed := tx.Bucket(bucketStateOf) == nil // a file of before the indexes
	for _, b := range [][]byte{bucketMessages, bucketBodies, bucketDue, bucketAckDue, bucketControls, bucketByGroup, bucketByICN, bucketByName, bucketByKey,
		bucketStateOf, bucketByState, bucketByAck} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	var interrupted, index []*Message
	err := tx.Bucket(bucketMessages).ForEach(func(_, v []byte) error {
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if m.State == Sending {
			interrupted = append(interrupted, &m)
		}
		if unindexed {
			index = append(index, &Message{ID: m.ID, State: m.State, AckState: m.AckState})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range index {
		if err := indexState(tx, m); err != nil {
			return err
		}
	}
	now := s.opts.Now().UTC()
	for _, m := range interrupted {
		m.State, m.LastError = Failed, "interrupted by a restart"
		if m.SupersededBy != 0 {
			// A newer message replaced it while it was being sent.
			if err := s.supersede(tx, m); err != nil {
				return err
			}
			continue
		}
		if err := s.schedule(tx, m, now); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Notify returns a channel that receives a value when a message becomes
// due at once (enqueued or retried), so a dispatcher need not poll.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// Changes returns a channel that receives a value after a message's
// delivery or acknowledgement state changed, so whoever follows the fate
// of what it sent (the inventory advice's record of what each channel
// believes) need not poll. Several changes may be told as one.
func (s *Store) Changes() <-chan struct{} { return s.changes }

func (s *Store) changed() {
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

func (s *Store) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func timeKey(t time.Time, id uint64) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
	return binary.BigEndian.AppendUint64(k, id)
}

func pairKey(partner, v string) []byte { return []byte(partner + "\x00" + v) }

func getMessage(tx *bolt.Tx, id uint64) (*Message, error) {
	v := tx.Bucket(bucketMessages).Get(idKey(id))
	if v == nil {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	var m Message
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	return &m, nil
}

func putMessage(tx *bolt.Tx, m *Message) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := indexState(tx, m); err != nil {
		return err
	}
	return tx.Bucket(bucketMessages).Put(idKey(m.ID), v)
}

// indexState keeps the state indexes of m in step: a write only when
// its state or ack state changed.
func indexState(tx *bolt.Tx, m *Message) error {
	of := tx.Bucket(bucketStateOf)
	id := idKey(m.ID)
	cur := string(m.State) + "\x00" + string(m.AckState)
	old := of.Get(id)
	if old != nil && string(old) == cur {
		return nil
	}
	byState, byAck := tx.Bucket(bucketByState), tx.Bucket(bucketByAck)
	if old != nil {
		st, ack, _ := strings.Cut(string(old), "\x00")
		if err := byState.Delete(indexKey(st, m.ID)); err != nil {
			return err
		}
		if ack != "" {
			if err := byAck.Delete(indexKey(ack, m.ID)); err != nil {
				return err
			}
		}
	}
	if err := byState.Put(indexKey(string(m.State), m.ID), nil); err != nil {
		return err
	}
	if m.AckState != "" {
		if err := byAck.Put(indexKey(string(m.AckState), m.ID), nil); err != nil {
			return err
		}
	}
	return of.Put(id, []byte(cur))
}

func indexKey(v string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(v), 0), id)
}

// schedule sets m's next attempt to at, keeps the due index in step, and
// stores m.
func (s *Store) schedule(tx *bolt.Tx, m *Message, at time.Time) error {
	due := tx.Bucket(bucketDue)
	if !m.NextAttempt.IsZero() {
		due.Delete(timeKey(m.NextAttempt, m.ID))
	}
	m.NextAttempt = at
	if !at.IsZero() {
		if err := due.Put(timeKey(at, m.ID), nil); err != nil {
			return err
		}
	}
	m.Updated = s.opts.Now().UTC()
	return putMessage(tx, m)
}

// backoff returns the delay before attempt n+1 after n failed attempts.
func (s *Store) backoff(n int) time.Duration {
	d := s.opts.BaseDelay
	for i := 1; i < n && d < s.opts.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxDelay)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}
