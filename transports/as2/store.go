package as2

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dockside-edi/dockside/internal/txgroup"
)

var (
	bucketReceived = []byte("received") // partner 0 Message-ID → ReceivedRecord
	bucketPending  = []byte("pending")  // our Message-ID → PendingRecord
	bucketNegative = []byte("negative") // outbox id → reason of a negative asynchronous MDN
)

// Store is the Records in a bbolt file of the data folder (as2.db).
// Records written by concurrent exchanges share commits
// (internal/txgroup); each write returns once committed.
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

var _ Records = (*Store)(nil)

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// ReceivedRecord is the outcome of one received message: what a resend
// of its Message-ID is answered with.
type ReceivedRecord struct {
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

// PendingRecord is one of our messages awaiting an asynchronous MDN.
type PendingRecord struct {
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
func encodeReceived(r *ReceivedRecord) ([]byte, error) {
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
func decodeReceived(v []byte) (*ReceivedRecord, error) {
	r := new(ReceivedRecord)
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

// Received implements Records.
func (s *Store) Received(_ context.Context, partner, messageID string) (*ReceivedRecord, error) {
	var r *ReceivedRecord
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

// PutReceived implements Records.
func (s *Store) PutReceived(_ context.Context, r *ReceivedRecord) error {
	v, err := encodeReceived(r)
	if err != nil {
		return err
	}
	k := receivedKey(r.Partner, r.MessageID)
	err = s.group.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReceived)
		if old := b.Get(k); old != nil {
			if prev, err := decodeReceived(old); err == nil && prev.Processed {
				return fmt.Errorf("message %s of %s: %w", r.MessageID, r.Partner, ErrReceivedBefore)
			}
		}
		return b.Put(k, v)
	})
	if err != nil {
		return fmt.Errorf("as2: store: %w", err)
	}
	return nil
}

// PutPending implements Records.
func (s *Store) PutPending(_ context.Context, p *PendingRecord) error {
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

// Awaiting implements Records.
func (s *Store) Awaiting(_ context.Context, messageID string) (*PendingRecord, error) {
	var p *PendingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPending).Get([]byte(messageID))
		if v == nil {
			return nil
		}
		p = new(PendingRecord)
		return json.Unmarshal(v, p)
	})
	if err != nil {
		return nil, fmt.Errorf("as2: store: %w", err)
	}
	return p, nil
}

// SettlePending implements Records.
func (s *Store) SettlePending(_ context.Context, p *PendingRecord, reason string) error {
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

// TakeNegative implements Records: the reason is read and deleted in
// one transaction, so it is taken once.
func (s *Store) TakeNegative(_ context.Context, outboxID uint64) (string, error) {
	var reason string
	k := binary.BigEndian.AppendUint64(nil, outboxID)
	err := s.group.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNegative)
		reason = string(b.Get(k)) // copied before the delete
		if reason == "" {
			return nil
		}
		return b.Delete(k)
	})
	if err != nil {
		return "", fmt.Errorf("as2: store: %w", err)
	}
	return reason, nil
}

// PendingMDN is one of our messages awaiting its asynchronous MDN, as
// Pending lists them.
type PendingMDN struct {
	OutboxID  uint64
	Partner   string
	MessageID string
	SentAt    time.Time
}

// Pending implements Records.
func (s *Store) Pending(_ context.Context, before time.Time) ([]PendingMDN, error) {
	var out []PendingMDN
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(_, v []byte) error {
			var p PendingRecord
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

// Prune implements Records.
func (s *Store) Prune(_ context.Context, before time.Time) (int, error) {
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
