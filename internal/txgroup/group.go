package txgroup

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Group shares bbolt write transactions between concurrent callers of
// [Group.Update]. The zero value is not usable: use [New].
type Group struct {
	db *bolt.DB

	mu      sync.Mutex
	pending []*call
	leading bool // a caller is committing batches
}

// call is one function waiting for its commit.
type call struct {
	fn   func(*bolt.Tx) error
	err  error
	done chan struct{}
}

// New returns a group committing to db.
func New(db *bolt.DB) *Group { return &Group{db: db} }

// Update runs fn in a read-write transaction, possibly shared with other
// callers' functions, and returns once that transaction has committed (nil)
// or fn's own error, or the commit's error. fn may run more than once: see
// the package documentation.
//
// The first caller to find no commit in progress becomes the leader: it
// commits whatever is queued, batch after batch, until the queue is empty.
// The others wait for their batch.
func (g *Group) Update(fn func(*bolt.Tx) error) error {
	c := &call{fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if g.leading {
		g.mu.Unlock()
		<-c.done
		return c.err
	}
	g.leading = true
	for len(g.pending) > 0 {
		batch := g.pending
		g.pending = nil
		g.mu.Unlock()
		g.commit(batch)
		g.mu.Lock()
	}
	g.leading = false
	g.mu.Unlock()
	<-c.done
	return c.err
}

// commit runs a batch in one transaction. A function that fails is taken
// out and answered with its error, and the others run again in a fresh
// transaction, so each behaves as if it had run alone.
func (g *Group) commit(batch []*call) {
	for len(batch) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, c := range batch {
				if err := c.run(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			batch[failed].finish(err)
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		for _, c := range batch {
			c.finish(err)
		}
		return
	}
}

// run calls the function; a panic is its error, so that the other callers
// of its batch are still answered.
func (c *call) run(tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("txgroup: update function panicked: %v", r)
		}
	}()
	return c.fn(tx)
}

func (c *call) finish(err error) {
	c.err = err
	close(c.done)
}
