package ledger

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// encoderMin is the number of movements in a commit from which their
// records are encoded on a goroutine of their own.
const encoderMin = 4096

// encoderBatch is how many movements the writer hands over at a time.
const encoderBatch = 256

// recordJob is a batch of one posting's movements, in ID order; end marks
// the posting's last batch (a chunk never spans two postings).
type recordJob struct {
	ms  []Movement
	end bool
}

// movementEncoder builds the movements' chunk records (chunk.go) on its
// own goroutine while the writer applies the next movements; the chunks
// are put when the transaction is flushed. Batches go back to the writer
// through free, to be filled again.
type movementEncoder struct {
	jobs   chan recordJob
	free   chan []Movement
	chunks []kv // built chunks, in ID order; read after done is closed
	done   chan struct{}
	closed bool
}

// newMovementEncoder starts the encoding goroutine.
func newMovementEncoder() *movementEncoder {
	e := &movementEncoder{jobs: make(chan recordJob, 4), free: make(chan []Movement, 6), done: make(chan struct{})}
	go e.run()
	return e
}

func (e *movementEncoder) run() {
	defer close(e.done)
	var c chunkBuilder
	for job := range e.jobs {
		for i := range job.ms {
			c.add(&job.ms[i])
			if c.full() {
				e.chunks = append(e.chunks, c.take())
			}
		}
		if job.end && c.n > 0 {
			e.chunks = append(e.chunks, c.take())
		}
		select {
		case e.free <- job.ms[:0]:
		default:
		}
	}
}

// batch returns an empty batch to fill.
func (e *movementEncoder) batch() []Movement {
	select {
	case b := <-e.free:
		return b
	default:
		return make([]Movement, 0, encoderBatch)
	}
}

// send hands a batch over.
func (e *movementEncoder) send(ms []Movement, end bool) { e.jobs <- recordJob{ms, end} }

// finish stops the goroutine and returns the chunks. It may be called
// more than once.
func (e *movementEncoder) finish() []kv {
	if !e.closed {
		e.closed = true
		close(e.jobs)
	}
	<-e.done
	return e.chunks
}

// take returns the chunk built so far as a key and value, and empties it.
func (c *chunkBuilder) take() kv {
	v := make([]byte, 0, binary.MaxVarintLen64+len(c.records))
	v = binary.AppendUvarint(v, uint64(c.n))
	v = append(v, c.records...)
	k := idKey(c.first)
	c.first, c.n, c.records = 0, 0, c.records[:0]
	return kv{k, v}
}

// putChunks writes built chunks.
func putChunks(b *bolt.Bucket, chunks []kv) error {
	for _, c := range chunks {
		if err := b.Put(c.key, c.val); err != nil {
			return err
		}
	}
	return nil
}
