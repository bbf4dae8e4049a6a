package mapping

import (
	"fmt"
	"runtime/debug"
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
// documents held in memory. A panic while mapping (a bug) is recovered
// on the worker and raised again by Wait, in the caller's goroutine, as
// a *PoolPanic, where the caller can recover it.
type Pool struct {
	// Done, when not nil, is called with each document once it is mapped
	// (to give its memory back to a documents.Pool, say); the results
	// keep no reference to it.
	Done func(documents.Document)

	slots    chan struct{} // nil: serial (NewSerialPool)
	wg       sync.WaitGroup
	mu       sync.Mutex
	outcomes []Outcome
	panicked *PoolPanic // the first panic of a worker
}

// PoolPanic is a panic of one of a Pool's workers, raised again by Wait.
type PoolPanic struct {
	Value any    // what was passed to panic
	Stack []byte // of the worker that panicked
}

// Error reports the panic's value.
func (p *PoolPanic) Error() string {
	return fmt.Sprintf("%v (in a mapping.Pool worker)", p.Value)
}

// NewPool returns a pool of n workers (at least 1).
func NewPool(n int) *Pool {
	return &Pool{slots: make(chan struct{}, max(n, 1))}
}

// NewSerialPool returns a pool that maps each document within Submit, on
// the caller's goroutine: for a small file, whose few sets are mapped in
// less time than handing them to another goroutine takes. Outcomes,
// Done and panics (raised by Wait) are as NewPool's.
func NewSerialPool() *Pool { return &Pool{} }

// Submit maps doc with m on a worker and returns the job's index in
// Wait's outcomes.
func (p *Pool) Submit(m *Mapper, doc documents.Document, src Source) int {
	p.mu.Lock()
	i := len(p.outcomes)
	p.outcomes = append(p.outcomes, Outcome{})
	p.mu.Unlock()
	if p.slots == nil {
		p.wg.Add(1)
		p.run(i, m, doc, src)
		return i
	}
	p.slots <- struct{}{}
	p.wg.Add(1)
	go func() {
		defer func() { <-p.slots }()
		p.run(i, m, doc, src)
	}()
	return i
}

// run maps job i and records its outcome; a panic is recorded for Wait.
func (p *Pool) run(i int, m *Mapper, doc documents.Document, src Source) {
	defer p.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			p.mu.Lock()
			if p.panicked == nil {
				p.panicked = &PoolPanic{Value: r, Stack: debug.Stack()}
			}
			p.mu.Unlock()
		}
	}()
	res, err := m.Document(doc, src)
	if p.Done != nil {
		p.Done(doc)
	}
	p.mu.Lock()
	p.outcomes[i] = Outcome{Result: res, Err: err}
	p.mu.Unlock()
}

// Wait waits for every submitted document and returns the outcomes in
// submission order. If a worker panicked, Wait panics with a *PoolPanic
// once every worker has stopped.
func (p *Pool) Wait() []Outcome {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.panicked != nil {
		panic(p.panicked)
	}
	return p.outcomes
}
