package outbox

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Enqueue stores a message and its bytes; it is due at once. Set
// m.AckDeadline to expect the partner's acknowledgement by then. When m.Key
// is set and a message with that key exists, nothing is stored and the
// existing message's id is returned.
func (s *Store) Enqueue(m *Message, body []byte) (uint64, error) {
	now := s.opts.Now().UTC()
	existing := uint64(0)
	err := s.tx.Update(func(tx *bolt.Tx) error {
		var err error
		existing, err = s.enqueue(tx, m, body, now) // a shared commit may run this again
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue: %w", err)
	}
	if existing != 0 {
		return existing, nil
	}
	s.wake()
	return m.ID, nil
}

// enqueue stores m and its body in tx; when m.Key is taken, it stores
// nothing and returns the id of the message stored with it.
func (s *Store) enqueue(tx *bolt.Tx, m *Message, body []byte, now time.Time) (existing uint64, err error) {
	if m.Key != "" {
		if v := tx.Bucket(bucketByKey).Get([]byte(m.Key)); v != nil {
			return beUint64(v), nil
		}
	}
	return 0, s.store(tx, m, body, now)
}

// store stores new message m and its body in tx.
func (s *Store) store(tx *bolt.Tx, m *Message, body []byte, now time.Time) error {
	id, err := tx.Bucket(bucketMessages).NextSequence()
	if err != nil {
		return err
	}
	m.ID, m.Size, m.Created, m.State, m.Attempts = id, len(body), now, Queued, 0
	if err := tx.Bucket(bucketBodies).Put(idKey(id), body); err != nil {
		return err
	}
	if err := s.indexControls(tx, m); err != nil {
		return err
	}
	if m.Key != "" {
		if err := tx.Bucket(bucketByKey).Put([]byte(m.Key), idKey(id)); err != nil {
			return err
		}
	}
	if !m.AckDeadline.IsZero() {
		m.AckState = AckPending
		if err := tx.Bucket(bucketAckDue).Put(timeKey(m.AckDeadline, id), nil); err != nil {
			return err
		}
	} else if m.AckWithin > 0 {
		m.AckState = AckPending // the clock starts at delivery
	}
	return s.schedule(tx, m, now)
}

func (s *Store) indexControls(tx *bolt.Tx, m *Message) error {
	if m.Interchange != "" {
		if err := tx.Bucket(bucketByICN).Put(pairKey(m.Partner, m.Interchange), idKey(m.ID)); err != nil {
			return err
		}
	}
	for _, g := range m.Groups {
		if err := tx.Bucket(bucketByGroup).Put(pairKey(m.Partner, g), idKey(m.ID)); err != nil {
			return err
		}
	}
	if m.Name != "" {
		return tx.Bucket(bucketByName).Put(pairKey(m.Partner, m.Name), idKey(m.ID))
	}
	return nil
}

// Body returns a message's bytes.
func (s *Store) Body(id uint64) ([]byte, error) {
	var body []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBodies).Get(idKey(id))
		if v == nil {
			return fmt.Errorf("message %d: %w", id, ErrNotFound)
		}
		body = append([]byte(nil), v...)
		return nil
	})
	return body, err
}

// Due returns up to limit messages whose next attempt is at or before now,
// and marks them Sending with one more attempt.
func (s *Store) Due(limit int) ([]*Message, error) {
	now := s.opts.Now().UTC()
	var out []*Message
	touched := 0
	err := s.tx.Update(func(tx *bolt.Tx) error {
		out = nil // a shared commit may run this again
		c := tx.Bucket(bucketDue).Cursor()
		var ids []uint64
		defer func() { touched = len(ids) }()
		for k, _ := c.First(); k != nil && len(ids) < limit; k, _ = c.Next() {
			if int64(beUint64(k[:8])) > now.UnixNano() {
				break
			}
			ids = append(ids, beUint64(k[8:]))
		}
		for _, id := range ids {
			m, err := getMessage(tx, id)
			if err != nil {
				return err
			}
			if m.State == Sent { // its receipt did not come in time
				m.LastError = fmt.Sprintf("no receipt by %s", m.ConfirmBy.Format(time.RFC3339))
				m.ConfirmBy = time.Time{}
				if m.SupersededBy != 0 {
					if err := s.supersede(tx, m); err != nil {
						return err
					}
					continue
				}
				if m.Attempts >= s.opts.MaxAttempts {
					m.State = Dead
					if err := s.schedule(tx, m, time.Time{}); err != nil {
						return err
					}
					continue
				}
			}
			m.State = Sending
			m.Attempts++
			if err := s.schedule(tx, m, time.Time{}); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err == nil && touched > 0 {
		s.changed()
	}
	return out, err
}

// Succeeded records a successful attempt: Delivered, or Sent when the
// receipt is pending.
func (s *Store) Succeeded(id uint64, r Receipt) error {
	return s.update(id, func(tx *bolt.Tx, m *Message) error {
		if m.State != Sending {
			return fmt.Errorf("message %d is %s: %w", id, m.State, ErrState)
		}
		m.Receipt, m.LastError, m.ConfirmBy = r.Text, "", time.Time{}
		if !r.Pending {
			m.State, m.DeliveredAt = Delivered, s.opts.Now().UTC()
			if err := s.startAckClock(tx, m); err != nil {
				return err
			}
			return s.schedule(tx, m, time.Time{})
		}
		m.State = Sent
		if r.ConfirmWithin > 0 {
			m.ConfirmBy = s.opts.Now().UTC().Add(r.ConfirmWithin)
		}
		return s.schedule(tx, m, m.ConfirmBy)
	})
}

// Confirm records the delivery of a Sent message (a pickup, an async MDN).
func (s *Store) Confirm(id uint64, receipt string) error {
	return s.update(id, func(tx *bolt.Tx, m *Message) error {
		if m.State != Sent && m.State != Sending && m.State != Delivered {
			return fmt.Errorf("message %d is %s: %w", id, m.State, ErrState)
		}
		if m.State != Delivered {
			m.DeliveredAt = s.opts.Now().UTC()
		}
		m.State, m.ConfirmBy = Delivered, time.Time{}
		if receipt != "" {
			m.Receipt = receipt
		}
		if err := s.startAckClock(tx, m); err != nil {
			return err
		}
		return s.schedule(tx, m, time.Time{})
	})
}

// ConfirmByName confirms the message of a partner with the given file name
// (a pickup from its SFTP out folder). It returns the message id, or 0
// when no message has that name.
func (s *Store) ConfirmByName(partner, name, receipt string) (uint64, error) {
	var id uint64
	s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketByName).Get(pairKey(partner, name)); v != nil {
			id = beUint64(v)
		}
		return nil
	})
	if id == 0 {
		return 0, nil
	}
	return id, s.Confirm(id, receipt)
}

// Failed records a failed attempt: retried after a backoff, or Dead after
// the last attempt or when cause wraps ErrPermanent.
func (s *Store) Failed(id uint64, cause error) error {
	return s.update(id, func(tx *bolt.Tx, m *Message) error {
		if m.State != Sending {
			return fmt.Errorf("message %d is %s: %w", id, m.State, ErrState)
		}
		m.LastError = cause.Error()
		if m.SupersededBy != 0 {
			return s.supersede(tx, m)
		}
		if m.Attempts >= s.opts.MaxAttempts || errors.Is(cause, ErrPermanent) {
			m.State = Dead
			return s.schedule(tx, m, time.Time{})
		}
		m.State = Failed
		return s.schedule(tx, m, s.opts.Now().UTC().Add(s.backoff(m.Attempts)))
	})
}

// Retry makes a failed or dead message due now (an operator's "retry now").
func (s *Store) Retry(id uint64) error {
	err := s.update(id, func(tx *bolt.Tx, m *Message) error {
		if m.State != Failed && m.State != Dead && m.State != Sent {
			return fmt.Errorf("message %d is %s: %w", id, m.State, ErrState)
		}
		m.State = Queued
		if m.Attempts >= s.opts.MaxAttempts {
			m.Attempts = s.opts.MaxAttempts - 1
		}
		return s.schedule(tx, m, s.opts.Now().UTC())
	})
	if err == nil {
		s.wake()
	}
	return err
}

func (s *Store) update(id uint64, fn func(*bolt.Tx, *Message) error) error {
	err := s.tx.Update(func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		return fn(tx, m)
	})
	if err == nil {
		s.changed()
	}
	return err
}

// startAckClock starts the acknowledgement clock of a message just
// delivered that expects an ack within AckWithin of its delivery.
func (s *Store) startAckClock(tx *bolt.Tx, m *Message) error {
	if m.AckWithin <= 0 || !m.AckDeadline.IsZero() || m.AckState != AckPending {
		return nil
	}
	m.AckDeadline = m.DeliveredAt.Add(m.AckWithin)
	return tx.Bucket(bucketAckDue).Put(timeKey(m.AckDeadline, m.ID), nil)
}

// Supersede replaces message id by the newer message by, which carries
// everything it would have: a message that is waiting, failed or dead
// becomes Superseded and is never sent; one being sent or awaiting its
// receipt is marked, so a failed attempt or a missing receipt supersedes
// it rather than sending it again. It returns the message's state after
// the call (Delivered: too late, it was delivered).
func (s *Store) Supersede(id, by uint64) (State, error) {
	var st State
	err := s.update(id, func(tx *bolt.Tx, m *Message) error {
		switch m.State {
		case Queued, Failed, Dead:
			m.SupersededBy = by
			if err := s.supersede(tx, m); err != nil {
				return err
			}
		case Sending, Sent:
			m.SupersededBy = by
			if err := putMessage(tx, m); err != nil {
				return err
			}
		}
		st = m.State
		return nil
	})
	return st, err
}

// supersede makes m Superseded: no attempt and no acknowledgement are
// expected any more.
func (s *Store) supersede(tx *bolt.Tx, m *Message) error {
	if !m.AckDeadline.IsZero() {
		if err := tx.Bucket(bucketAckDue).Delete(timeKey(m.AckDeadline, m.ID)); err != nil {
			return err
		}
	}
	if m.AckState == AckPending {
		m.AckState = ""
	}
	m.State, m.ConfirmBy = Superseded, time.Time{}
	return s.schedule(tx, m, time.Time{})
}

// Lookup returns the id of the message enqueued with the idempotency key,
// or 0 when there is none.
func (s *Store) Lookup(key string) (uint64, error) {
	var id uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketByKey).Get([]byte(key)); v != nil {
			id = beUint64(v)
		}
		return nil
	})
	return id, err
}

func beUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[7]) | uint64(b[6])<<8 | uint64(b[5])<<16 | uint64(b[4])<<24 |
		uint64(b[3])<<32 | uint64(b[2])<<40 | uint64(b[1])<<48 | uint64(b[0])<<56
}
