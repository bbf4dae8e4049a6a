package as2

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dockside-edi/dockside/internal/txgroup"
)

var (
	bucketReceived = []byte("received") // partner 0 Message-ID → receivedRecord
	bucketPending  = []byte("pending")  // our Message-ID → pendingRecord
	bucketNegative = []byte("negative") // outbox id → reason of a negative asynchronous MDN
)

// Store is what the AS2 station remembers, in a bbolt file of the data
// folder: the MDN given for each received Message-ID (so that a resend is
// answered with it and not processed twice) and our messages awaiting an
// asynchronous MDN. Records written by concurrent exchanges share
// commits (internal/txgroup); each write returns once committed.
type Store struct {
	db    *bolt.DB
	group *txgroup.Group
}

// OpenStore opens (creating if needed) the store as2.db in dir.
func OpenStore(dir string) (*Store, error) {
	db, err := bolt.Open(filepath.Join(dir, "as2.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("as2: opening store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketReceived, bucketPending, bucketNegative} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("as2: opening store: %w", err)
	}
	return &Store{db: db, group: txgroup.New(db)}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// receivedRecord is the outcome of one received message.
type receivedRecord struct {
	Partner      string    `json:"partner"`
	MessageID    string    `json:"message_id"`
	Processed    bool      `json:"processed"`
	Disposition  string    `json:"disposition"`
	InboxID      uint64    `json:"inbox_id,omitempty"`
	MIC          MIC       `json:"mic,omitempty"`
	Text         string    `json:"text,omitempty"`     // of the MDN
	MDNType      string    `json:"mdn_type,omitempty"` // Content-Type of the MDN; "" when none was asked for
	MDN          []byte    `json:"mdn,omitempty"`
	MDNMessageID string    `json:"mdn_message_id,omitempty"`
	AsyncURL     string    `json:"async_url,omitempty"`
	At           time.Time `json:"at"`
}

// pendingRecord is one of our messages awaiting an asynchronous MDN.
type pendingRecord struct {
	OutboxID  uint64    `json:"outbox_id"`
	Partner   string    `json:"partner"`
	MessageID string    `json:"message_id"`
	MIC       MIC       `json:"mic"`
	SignedMDN bool      `json:"signed_mdn"`
	SentAt    time.Time `json:"sent_at"`
}

// encodeReceived is a record as stored: its JSON without the MDN, then
// a zero byte and the MDN's bytes as they are (JSON never holds a zero
// byte; the MDN in base64 inside the JSON would take a third more room
// and time). Records written before hold the MDN in the JSON.
func encodeReceived(r *receivedRecord) ([]byte, error) {
	meta := *r
	meta.MDN = nil
	v, err := json.Marshal(&meta)
	if err != nil {
		return nil, err
	}
	if r.MDN == nil {
		return v, nil
	}
	out := make([]byte, 0, len(v)+1+len(r.MDN))
	return append(append(append(out, v...), 0), r.MDN...), nil
}

// decodeReceived reads what encodeReceived wrote, or the JSON of older
// records. It copies what it keeps: v may be bbolt's memory.
func decodeReceived(v []byte) (*receivedRecord, error) {
	r := new(receivedRecord)
	meta, mdn, split := bytes.Cut(v, []byte{0})
	if err := json.Unmarshal(meta, r); err != nil {
		return nil, err
	}
	if split {
		r.MDN = bytes.Clone(mdn)
	}
	return r, nil
}

func receivedKey(partner, messageID string) []byte {
	return []byte(partner + "\x00" + messageID)
}

// received returns the record of a partner's Message-ID, or nil.
func (s *Store) received(partner, messageID string) (*receivedRecord, error) {
	var r *receivedRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReceived).Get(receivedKey(partner, messageID))
		if v == nil {
			return nil
		}
		var err error
		r, err = decodeReceived(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("as2: store: %w", err)
	}
	return r, nil
}

// putReceived records the outcome of a received message.
func (s *Store) putReceived(r *receivedRecord) error {
	v, err := encodeReceived(r)
	if err != nil {
		return err
	}
	err = s.group.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReceived).Put(receivedKey(r.Partner, r.MessageID), v)
	})
	if err != nil {
		return fmt.Errorf("as2: store: %w", err)
	}
	return nil
}

// putPending records that our message awaits an asynchronous MDN.
func (s *Store) putPending(p *pendingRecord) error {
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = s.group.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).Put([]byte(p.MessageID), v)
	})
	if err != nil {
		return fmt.Errorf("as2: store: %w", err)
	}
	return nil
}

// pending returns the pending record of our Message-ID, or nil.
func (s *Store) pending(messageID string) (*pendingRecord, error) {
	var p *pendingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPending).Get([]byte(messageID))
		if v == nil {
			return nil
		}
		p = new(pendingRecord)
		return json.Unmarshal(v, p)
	})
	if err != nil {
		return nil, fmt.Errorf("as2: store: %w", err)
	}
	return p, nil
}

// settlePending removes a pending record; with a non-empty reason (a
// negative MDN) it keeps the reason for the outbox message's next
// attempt.
func (s *Store) settlePending(p *pendingRecord, reason string) error {
	err := s.group.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPending).Delete([]byte(p.MessageID)); err != nil {
			return err
		}
		if reason == "" {
			return nil
		}
		return tx.Bucket(bucketNegative).Put(binary.BigEndian.AppendUint64(nil, p.OutboxID), []byte(reason))
	})
	if err != nil {
		return fmt.Errorf("as2: store: %w", err)
	}
	return nil
}

// takeNegative returns and forgets the negative asynchronous MDN recorded
// for an outbox message, or "".
func (s *Store) takeNegative(outboxID uint64) (string, error) {
	var reason string
	k := binary.BigEndian.AppendUint64(nil, outboxID)
	err := s.db.View(func(tx *bolt.Tx) error {
		reason = string(tx.Bucket(bucketNegative).Get(k))
		return nil
	})
	if err != nil || reason == "" {
		return "", err
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketNegative).Delete(k) })
	return reason, err
}

// PendingMDN is one of our messages awaiting its asynchronous MDN.
type PendingMDN struct {
	OutboxID  uint64
	Partner   string
	MessageID string
	SentAt    time.Time
}

// Pending lists our messages that have awaited their asynchronous MDN
// since before the given time (the gateway may retry them in the
// outbox; the Message-ID stays the same).
func (s *Store) Pending(before time.Time) ([]PendingMDN, error) {
	var out []PendingMDN
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(_, v []byte) error {
			var p pendingRecord
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if p.SentAt.Before(before) {
				out = append(out, PendingMDN{OutboxID: p.OutboxID, Partner: p.Partner, MessageID: p.MessageID, SentAt: p.SentAt})
			}
			return nil
		})
	})
	return out, err
}

// Prune forgets received messages recorded before the given time: a
// resend of one of them after that is processed again (the inbox still
// records it as a duplicate of the same bytes). It returns how many it
// removed.
func (s *Store) Prune(before time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReceived)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if r, err := decodeReceived(v); err != nil || r.At.Before(before) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}
