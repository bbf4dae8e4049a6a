package inbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/internal/txgroup"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketMessages     = []byte("messages")     // id → Message JSON
	bucketQueue        = []byte("queue")        // partner 0 id → nothing: waiting to be claimed
	bucketProcessing   = []byte("processing")   // id → nothing: claimed
	bucketHashes       = []byte("hashes")       // partner 0 sha256 → id of the first live message with that content
	bucketInterchanges = []byte("interchanges") // partner 0 interchange key → id
	bucketBlobRefs     = []byte("blobrefs")     // sha256 → number of messages whose bytes are kept
	bucketKeys         = []byte("keys")         // partner 0 idempotency key → id of the live message sent with it
	bucketBodies       = []byte("bodies")       // sha256 → bytes of a small file (Receive), kept while blobrefs counts it
)

// Options tune a Store.
type Options struct {
	// MaxSize bounds one received file (default 1 GiB).
	MaxSize int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store is the inbox: records in bbolt, bytes in a blobs folder.
type Store struct {
	db    *bolt.DB
	tx    *txgroup.Group // every write goes through it: concurrent writes share commits
	blobs string
	opts  Options

	copyBufs    sync.Pool    // *[]byte of 32 KiB that Receive copies through (io.Copy would allocate one per file)
	smallBufs   sync.Pool    // *[]byte of inlineSize+1 that Receive reads a file's start into
	blobMu      sync.RWMutex // receives share it; Purge holds it alone
	lastPartner []byte       // the partner served by the last claim; only claim transactions use it
	notify      chan struct{}
}

// Open opens (creating if needed) the inbox in dir, and puts back in the
// queue every message a crash or a stop left in processing, counting the
// interruption in the message's Interrupted.
func Open(dir string, opts *Options) (*Store, error) {
	s := &Store{blobs: filepath.Join(dir, "blobs"), notify: make(chan struct{}, 1)}
	s.smallBufs.New = func() any { b := make([]byte, inlineSize+1); return &b }
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxSize <= 0 {
		s.opts.MaxSize = 1 << 30
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if err := os.MkdirAll(s.blobs, 0o750); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "inbox.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second,
		// As the ledger: the freelist is rebuilt at open instead of written
		// by every commit, and the map is large enough that growing the
		// file rarely waits for readers.
		FreelistType: bolt.FreelistMapType, NoFreelistSync: true, InitialMmapSize: 256 << 20})
	if err != nil {
		return nil, fmt.Errorf("inbox: opening database: %w", err)
	}
	s.db = db
	s.tx = txgroup.New(db)
	if err := buildIndex(db, indexBatch); err != nil {
		db.Close()
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if err := db.Update(s.init); err != nil {
		db.Close()
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return s, nil
}

// init creates the buckets and requeues interrupted claims.
func (s *Store) init(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketMessages, bucketQueue, bucketProcessing, bucketHashes, bucketInterchanges, bucketBlobRefs, bucketKeys, bucketBodies} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	proc := tx.Bucket(bucketProcessing)
	var ids []uint64
	proc.ForEach(func(k, _ []byte) error {
		ids = append(ids, binary.BigEndian.Uint64(k))
		return nil
	})
	for _, id := range ids {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		m.State = Received
		m.Interrupted++
		if err := putMessage(tx, m); err != nil {
			return err
		}
		proc.Delete(idKey(id))
		tx.Bucket(bucketQueue).Put(queueKey(m.Partner, id), nil)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Notify returns a channel that receives a value whenever a message joins
// the queue, so that idle workers can wait instead of polling.
func (s *Store) Notify() <-chan struct{} { return s.notify }

func (s *Store) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func idKey(id uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, id)
	return k
}

func queueKey(partner string, id uint64) []byte {
	k := make([]byte, 0, len(partner)+9)
	k = append(k, partner...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, id)
}

func pairKey(partner, v string) []byte {
	return []byte(partner + "\x00" + v)
}

// splitQueueKey returns the partner and id of a queue key.
func splitQueueKey(k []byte) ([]byte, uint64) {
	i := bytes.LastIndexByte(k[:len(k)-8], 0)
	return k[:i], binary.BigEndian.Uint64(k[len(k)-8:])
}

func getMessage(tx *bolt.Tx, id uint64) (*Message, error) {
	v := tx.Bucket(bucketMessages).Get(idKey(id))
	if v == nil {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	var m Message
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("message %d: decoding record: %w", id, err)
	}
	return &m, nil
}

func putMessage(tx *bolt.Tx, m *Message) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketMessages).Put(idKey(m.ID), v); err != nil {
		return err
	}
	return reindex(tx, m)
}
