package x12

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// inFlight is how many transaction sets the decoding goroutine of
// CheckConcurrent may have handed on and not yet got back: one being
// validated and one being handled by each, while it reads a third.
const inFlight = 2

// decoded is one step of the decoder, handed from the decoding goroutine
// of CheckConcurrent to the validating one: an event, or the error that
// ended the stream with the interchange it interrupted.
type decoded struct {
	ev   Event
	err  error
	open *Interchange
}

// checked is a validated set, handed from the validating goroutine to
// the caller's; t is nil at the end (err is then the I/O error, if any).
type checked struct {
	t   *Transaction
	res SetResult
	err error
}

// CheckConcurrent does what Check does, in a pipeline of three
// goroutines: one decodes src and checks envelopes, one validates each set
// with v and builds the report, and the calling goroutine calls each for
// the sets already validated, in order. With two cores or more, reading a
// set, validating the previous one and handling (say, decoding into a
// typed document) the one before overlap. The decoder lends each set's
// buffers out and gets them back once each returns, so at most three sets
// are in memory at a time.
//
// The results are the same as Check's, with two differences. First, each
// must not read the envelopes' Errors, Warnings, Groups, Sets or Trailer
// fields (the decoding goroutine may still be writing them; the header
// fields are fixed before the set is handed on): the report is complete
// when CheckConcurrent returns. Second, when each returns an error, the
// report may already list a few sets after the one each failed on. v must
// be safe to use from another goroutine. When ctx ends, CheckConcurrent
// stops after the current set and returns ctx.Err(). A panic in the
// decoding or validating goroutine (a bug, or a validator's) is
// recovered there and raised again, as a *GoroutinePanic, in the calling
// goroutine once the others have stopped, where the caller can recover
// it.
func CheckConcurrent(ctx context.Context, src io.Reader, v SetValidator, opts *DecoderOptions, each SetFunc) (*Report, error) {
	c := newChecker(src, v, opts)
	var panicked atomic.Pointer[GoroutinePanic]
	catch := func(where string) {
		if r := recover(); r != nil {
			panicked.CompareAndSwap(nil, &GoroutinePanic{Goroutine: where, Value: r, Stack: debug.Stack()})
		}
	}
	steps := make(chan decoded, 8)
	sets := make(chan checked, 1)
	// Sets handled go back to the decoding goroutine; it takes them before
	// each step, so this rarely fills.
	back := make(chan *Transaction, 2*inFlight+2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(steps)
		defer catch("decoding")
		decodeSteps(ctx, c.d, steps, back, stop)
	}()
	go func() {
		defer wg.Done()
		defer close(sets)
		defer catch("validating")
		c.validateSteps(steps, sets, stop)
	}()
	finish := func(err error) (*Report, error) {
		close(stop)
		wg.Wait()
		if p := panicked.Load(); p != nil {
			panic(p)
		}
		// The sets handled since the decoder's last step: their buffers go
		// back to it (and to the pool once it has read to the end).
		for {
			select {
			case t := <-back:
				c.d.Return(t)
				continue
			default:
			}
			break
		}
		return c.rep, err
	}
	for {
		var s checked
		var ok bool
		select {
		case s, ok = <-sets:
		case <-ctx.Done():
			return finish(ctx.Err())
		}
		if !ok || s.t == nil {
			if s.err == nil {
				s.err = ctx.Err()
			}
			return finish(s.err)
		}
		if each != nil {
			if err := each(s.t, &s.res); err != nil {
				return finish(err)
			}
		}
		select {
		case back <- s.t:
		case <-ctx.Done():
			return finish(ctx.Err())
		}
	}
}

// decodeSteps is the decoding goroutine of CheckConcurrent: it sends every
// event, and last the error that ended the stream, keeping at most
// inFlight sets lent out of the decoder. It stops early when ctx ends
// (without sending the end: the caller sees ctx's error) or on stop.
func decodeSteps(ctx context.Context, d *Decoder, steps chan<- decoded, back <-chan *Transaction, stop <-chan struct{}) {
	lent := 0
	take := func(t *Transaction) {
		if d.Return(t) {
			lent--
		}
	}
	for {
		// Take back the sets handled; wait for one when too many are out.
	drain:
		for {
			select {
			case t := <-back:
				take(t)
				continue
			default:
			}
			if lent < inFlight {
				break drain
			}
			select {
			case t := <-back:
				take(t)
			case <-stop:
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		ev, err := d.Next()
		s := decoded{ev: ev, err: err}
		if err != nil {
			s.open = d.Open()
		} else if ev.Kind == SetRead && d.Lend(ev.Transaction) {
			lent++
		}
		select {
		case steps <- s:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// validateSteps is the validating goroutine of CheckConcurrent: it builds
// the report from the decoder's steps and sends every set with its
// result, then a nil set at the end of the steps.
func (c *checker) validateSteps(steps <-chan decoded, sets chan<- checked, stop <-chan struct{}) {
	for s := range steps {
		t, res, end, err := c.handle(s.ev, s.err, s.open)
		if t == nil && !end {
			continue
		}
		select {
		case sets <- checked{t: t, res: res, err: err}:
		case <-stop:
			return
		}
		if end {
			return
		}
	}
}

// GoroutinePanic is a panic of one of CheckConcurrent's goroutines,
// raised again in the calling goroutine.
type GoroutinePanic struct {
	Goroutine string // "decoding" or "validating"
	Value     any    // what was passed to panic
	Stack     []byte // of the goroutine that panicked
}

// Error reports the panic's value and the goroutine.
func (p *GoroutinePanic) Error() string {
	return fmt.Sprintf("%v (in the %s goroutine of x12.CheckConcurrent)", p.Value, p.Goroutine)
}
