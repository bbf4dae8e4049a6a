package outbox

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AckReport is a partner's acknowledgement of something we sent: a 997 or
// 999 names our group (AK102 = GS06), a TA1 our interchange (TA101).
type AckReport struct {
	Partner     string
	Group       string // GS06 acknowledged, for a 997/999
	Interchange string // ISA13 acknowledged, for a TA1
	State       AckState
	Detail      string // e.g. "AK9*R*1*1*0" or the error codes
	Message     uint64 // inbox id of the acknowledgement
}

// RecordAck matches an acknowledgement to the outbound message it answers
// and records its verdict. It returns the matched message id, or 0 when
// nothing we sent matches.
func (s *Store) RecordAck(r AckReport) (uint64, error) {
	var id uint64
	err := s.tx.Update(func(tx *bolt.Tx) error {
		id = 0
		var v []byte
		if r.Group != "" {
			v = tx.Bucket(bucketByGroup).Get(pairKey(r.Partner, r.Group))
		}
		if v == nil && r.Interchange != "" {
			v = tx.Bucket(bucketByICN).Get(pairKey(r.Partner, r.Interchange))
		}
		if v == nil {
			return nil
		}
		id = beUint64(v)
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		if !m.AckDeadline.IsZero() {
			tx.Bucket(bucketAckDue).Delete(timeKey(m.AckDeadline, id))
		}
		m.AckState, m.AckDetail, m.AckMessage = r.State, r.Detail, r.Message
		m.AckAt = s.opts.Now().UTC()
		if m.State == Sent {
			// Their ack proves they have it: no receipt is awaited, and
			// no attempt follows when its deadline passes.
			m.State, m.DeliveredAt, m.ConfirmBy = Delivered, m.AckAt, time.Time{}
			return s.schedule(tx, m, time.Time{})
		}
		return putMessage(tx, m)
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: recording ack: %w", err)
	}
	if id != 0 {
		s.changed()
	}
	return id, nil
}

// MarkOverdue turns every pending acknowledgement whose deadline has
// passed into Overdue, and returns those messages.
func (s *Store) MarkOverdue() ([]*Message, error) {
	now := s.opts.Now().UTC()
	var out []*Message
	err := s.tx.Update(func(tx *bolt.Tx) error {
		out = nil // a shared commit may run this again
		b := tx.Bucket(bucketAckDue)
		c := b.Cursor()
		var keys [][]byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if int64(beUint64(k[:8])) > now.UnixNano() {
				break
			}
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			b.Delete(k)
			m, err := getMessage(tx, beUint64(k[8:]))
			if err != nil {
				return err
			}
			if m.AckState != AckPending {
				continue
			}
			m.AckState = AckOverdue
			m.Updated = now
			if err := putMessage(tx, m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if len(out) > 0 {
		s.changed()
	}
	return out, err
}

// NextAckDeadline returns the earliest pending ack deadline, or zero.
func (s *Store) NextAckDeadline() time.Time {
	var t time.Time
	s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketAckDue).Cursor().First(); k != nil {
			t = time.Unix(0, int64(beUint64(k[:8]))).UTC()
		}
		return nil
	})
	return t
}
