package inbox

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Claim takes the next waiting message and marks it processing. Partners
// take turns: the claim goes to the first waiting message of the partner
// after the one served last. It returns ErrEmptyQueue when none waits.
func (s *Store) Claim() (*Message, error) {
	var m *Message
	err := s.tx.Update(func(tx *bolt.Tx) error {
		var err error
		m, err = s.claim(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, ErrEmptyQueue
	}
	return m, nil
}

// claim claims the next waiting message in tx; nil when none waits.
func (s *Store) claim(tx *bolt.Tx) (*Message, error) {
	k := nextInTurn(tx.Bucket(bucketQueue).Cursor(), s.lastPartner)
	if k == nil {
		return nil, nil // not an error: the claims sharing this commit go on
	}
	partner, id := splitQueueKey(k)
	m, err := getMessage(tx, id)
	if err != nil {
		return nil, err
	}
	m.ApplyClaim(s.opts.Now().UTC(), false)
	if err := tx.Bucket(bucketQueue).Delete(k); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketProcessing).Put(idKey(id), nil); err != nil {
		return nil, err
	}
	s.lastPartner = append(s.lastPartner[:0], partner...)
	return m, putMessage(tx, m)
}

// nextInTurn returns the first queue key of the partner after last, or of
// the first partner when none comes after it.
func nextInTurn(c *bolt.Cursor, last []byte) []byte {
	if last != nil {
		// Partner keys end with 0 then the id: partner + 1 sorts after every
		// key of that partner.
		seek := append(append([]byte(nil), last...), 1)
		if k, _ := c.Seek(seek); k != nil {
			return k
		}
	}
	k, _ := c.First()
	return k
}

// Outcome is how a claim ended.
type Outcome struct {
	State       State // Done, Failed or Duplicate
	Errors      []Problem
	Result      *Result
	DuplicateOf uint64
}

// Finish ends the claim of message id.
func (s *Store) Finish(id uint64, o Outcome) error {
	if o.State != Done && o.State != Failed && o.State != Duplicate {
		return fmt.Errorf("inbox: finishing message %d as %q: %w", id, o.State, ErrState)
	}
	return s.tx.Update(func(tx *bolt.Tx) error { return s.finish(tx, id, o) })
}

// FinishAndClaim is Finish then Claim in one commit: a worker that ends
// one message and takes the next pays one commit instead of two. It
// returns the claimed message, or nil when none waits (the finish is
// recorded either way). When the finish fails, nothing is claimed. After
// a crash the claimed message is back in the queue at Open, as any claim
// cut short.
func (s *Store) FinishAndClaim(id uint64, o Outcome) (*Message, error) {
	return s.FinishAndClaimMarked(id, o, nil)
}

// FinishAndClaimMarked implements InterchangeMarker: FinishAndClaim
// that, when the claimed message has a partner and its body is kept in
// the database, also marks the interchange keyOf names from the body's
// first bytes, in the same commit (keyOf "" or nil: no mark).
func (s *Store) FinishAndClaimMarked(id uint64, o Outcome, keyOf func(head []byte) string) (*Message, error) {
	if o.State != Done && o.State != Failed && o.State != Duplicate {
		return nil, fmt.Errorf("inbox: finishing message %d as %q: %w", id, o.State, ErrState)
	}
	var next *Message
	err := s.tx.Update(func(tx *bolt.Tx) error {
		next = nil
		if err := s.finish(tx, id, o); err != nil {
			return err
		}
		var err error
		if next, err = s.claim(tx); err != nil || next == nil || keyOf == nil || next.Partner == "" {
			return err
		}
		body := tx.Bucket(bucketBodies).Get([]byte(next.SHA256))
		if body == nil {
			return nil // kept in a file: marked as the file is read
		}
		key := keyOf(body[:min(len(body), HeadSize)])
		if key == "" {
			return nil
		}
		dup, err := mark(tx, next, key)
		next.Premark = &Premark{Key: key, DupOf: dup}
		return err
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// finish ends the claim of message id in tx.
func (s *Store) finish(tx *bolt.Tx, id uint64, o Outcome) error {
	m, err := getMessage(tx, id)
	if err != nil {
		return err
	}
	if err := m.ApplyOutcome(o, s.opts.Now().UTC()); err != nil {
		return err
	}
	tx.Bucket(bucketProcessing).Delete(idKey(id))
	if o.State == Failed {
		// A resend of a failed message is new work, not a duplicate.
		forget(tx.Bucket(bucketHashes), pairKey(m.Partner, m.SHA256), id)
		if m.Interchange != "" {
			forget(tx.Bucket(bucketInterchanges), pairKey(m.Partner, m.Interchange), id)
		}
		if m.Key != "" {
			forget(tx.Bucket(bucketKeys), pairKey(m.Partner, m.Key), id)
		}
	}
	return putMessage(tx, m)
}

// forget deletes k from b if it points to id.
func forget(b *bolt.Bucket, k []byte, id uint64) {
	if v := b.Get(k); v != nil && bytes.Equal(v, idKey(id)) {
		b.Delete(k)
	}
}

// MarkInterchange records that message id carries the interchange key
// (sender, receiver, ISA13, date, time). When another live message of the
// same partner already carried it, it returns that message's id: the
// caller finishes id as a Duplicate of it.
func (s *Store) MarkInterchange(id uint64, key string) (dupOf uint64, err error) {
	err = s.tx.Update(func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		dupOf, err = mark(tx, m, key)
		return err
	})
	return dupOf, err
}

// mark records key as message m's interchange in tx, unless another
// message that has not failed holds it: then it returns that message.
func mark(tx *bolt.Tx, m *Message, key string) (dupOf uint64, err error) {
	b := tx.Bucket(bucketInterchanges)
	k := pairKey(m.Partner, key)
	if v := b.Get(k); v != nil {
		if first := binary.BigEndian.Uint64(v); first != m.ID {
			if prev, err := getMessage(tx, first); err == nil && prev.State != Failed {
				return first, nil
			}
		}
	}
	m.Interchange = key
	if err := b.Put(k, idKey(m.ID)); err != nil {
		return 0, err
	}
	return 0, putMessage(tx, m)
}

// SetPartner records the partner of a message identified after it arrived
// (from its ISA sender, say).
func (s *Store) SetPartner(id uint64, partner string) error {
	return s.tx.Update(func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		m.Partner = partner
		return putMessage(tx, m)
	})
}

// unnamedReplay marks a replay pending whose caller gave no name.
const unnamedReplay = "-"

// Limits of a message's history.
const (
	maxHistory       = 50 // attempts kept: the first and the latest
	maxAttemptErrors = 20 // errors kept per past attempt
)

// attemptOf is the attempt of claimed message m ending with o at now (the
// claim set m.UpdatedAt when it started).
func attemptOf(m *Message, o Outcome, now time.Time) Attempt {
	a := Attempt{N: m.Attempts, Started: m.UpdatedAt, Finished: now, Replay: m.ReplayedBy != "", State: o.State, ErrorCount: len(o.Errors)}
	if m.ReplayedBy != unnamedReplay {
		a.By = m.ReplayedBy
	}
	a.Errors = append([]Problem(nil), o.Errors[:min(len(o.Errors), maxAttemptErrors)]...)
	if o.Result != nil {
		a.Movements = o.Result.Movements
	}
	return a
}

func appendAttempt(h []Attempt, a Attempt) []Attempt {
	h = append(h, a)
	if len(h) > maxHistory {
		h = append(h[:1], h[len(h)-maxHistory+1:]...)
	}
	return h
}

// Replay puts a failed message back in the queue, to be processed again
// (after its partner's profile was fixed, say), with its count of
// interrupted attempts reset.
func (s *Store) Replay(id uint64) (*Message, error) { return s.ReplayBy(id, "") }

// ReplayBy is Replay on behalf of who (an operator's name), which the
// attempt's history records.
func (s *Store) ReplayBy(id uint64, who string) (*Message, error) {
	var m *Message
	err := s.tx.Update(func(tx *bolt.Tx) error {
		var err error
		if m, err = getMessage(tx, id); err != nil {
			return err
		}
		if err := m.ApplyReplay(who, s.opts.Now().UTC()); err != nil {
			return err
		}
		if err := tx.Bucket(bucketQueue).Put(queueKey(m.Partner, id), nil); err != nil {
			return err
		}
		return putMessage(tx, m)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return m, nil
}
