package mapping

import (
	"sync"

	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// Outcome is what mapping one document gave.
type Outcome struct {
	Result *Result
	Err    error
}

// Pool maps documents on several goroutines while their producer goes on
// (the X12 reader decoding the next set): a file's sets are independent,
// and the machine has more than one core. Submit blocks while as many
// documents as workers are being mapped, which bounds the decoded
// documents held in memory.
type Pool struct {
	// Done, when not nil, is called with each document once it is mapped
	// (to give its memory back to a documents.Pool, say); the results
	// keep no reference to it.
	Done func(documents.Document)

	slots    chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	outcomes []Outcome
}

// NewPool returns a pool of n workers (at least 1).
func NewPool(n int) *Pool {
	return &Pool{slots: make(chan struct{}, max(n, 1))}
}

// Submit maps doc with m on a worker and returns the job's index in
// Wait's outcomes.
func (p *Pool) Submit(m *Mapper, doc documents.Document, src Source) int {
	p.mu.Lock()
	i := len(p.outcomes)
	p.outcomes = append(p.outcomes, Outcome{})
	p.mu.Unlock()
	p.slots <- struct{}{}
	p.wg.Add(1)
	go func() {
		defer func() { <-p.slots; p.wg.Done() }()
		res, err := m.Document(doc, src)
		if p.Done != nil {
			p.Done(doc)
		}
		p.mu.Lock()
		p.outcomes[i] = Outcome{Result: res, Err: err}
		p.mu.Unlock()
	}()
	return i
}

// Wait waits for every submitted document and returns the outcomes in
// submission order.
func (p *Pool) Wait() []Outcome {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outcomes
}
