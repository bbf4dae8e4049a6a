package gateway

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
)

// RunWorkers processes the inbox with n workers until ctx ends. Claims
// take turns between partners (the inbox's fair queue), so one partner's
// flood cannot starve the others. A message whose processing is cut short
// by ctx stays claimed and is processed again after a restart.
func (g *Gateway) RunWorkers(ctx context.Context, n int) {
	kick := make(chan struct{}, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.worker(ctx, kick)
		}()
	}
	wg.Wait()
}

func (g *Gateway) worker(ctx context.Context, kick chan struct{}) {
	idle := time.NewTicker(time.Second)
	defer idle.Stop()
	// held is the message claimed by the commit that finished the one
	// before (chained claims): processed next. A stop leaves it claimed,
	// put back in the queue at the next start, as a message whose
	// processing a stop cut short.
	var held *inbox.Message
	for ctx.Err() == nil {
		worked, next, err := g.processChained(ctx, held)
		held = next
		if err != nil && ctx.Err() == nil {
			g.log.Error("processing", "err", err)
		}
		if worked {
			// Another message may be waiting: let an idle worker look too.
			select {
			case kick <- struct{}{}:
			default:
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-g.Inbox.Notify():
		case <-kick:
		case <-idle.C:
		}
	}
}

// ProcessNext claims and processes one message. It reports whether there
// was one.
func (g *Gateway) ProcessNext(ctx context.Context) (bool, error) {
	worked, _, err := g.processOne(ctx, nil, false)
	return worked, err
}

// processChained processes m (claimed already), or the next message
// when m is nil, and claims the next one in the commit that finishes it
// (inbox.Store.FinishAndClaim): it returns that message
// (nil when none waited), to be processed next.
func (g *Gateway) processChained(ctx context.Context, m *inbox.Message) (bool, *inbox.Message, error) {
	return g.processOne(ctx, m, true)
}

// processOne is ProcessNext and processChained: it claims a message when
// m is nil, processes it and finishes it; with chain, the finish may
// claim the next message, which it returns.
func (g *Gateway) processOne(ctx context.Context, m *inbox.Message, chain bool) (bool, *inbox.Message, error) {
	if m == nil {
		var err error
		m, err = g.Inbox.Claim()
		if errors.Is(err, inbox.ErrEmptyQueue) {
			return false, nil, nil
		}
		if err != nil {
			return false, nil, err
		}
	}
	out, err := g.processRecovered(ctx, m)
	if errors.Is(err, errPanicked) {
		// A bug, not an interruption: processed again it would panic
		// again. The message fails with the panic; it can be replayed
		// once the bug is fixed.
		out = inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Place: m.Name, Msg: "processing error: " + err.Error()}}}
		err = nil
	}
	if err != nil && ctx.Err() != nil {
		return true, nil, err // interrupted: it stays claimed and is processed again at the next start
	}
	if err != nil {
		// A store or I/O failure: the message fails with the reason and
		// can be replayed, rather than being claimed again forever.
		g.log.Error("processing failed", "id", m.ID, "err", err)
		out = inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Place: m.Name, Msg: "processing error: " + err.Error()}}}
	}
	// No chained claim once stopping: the next message would wait,
	// claimed, for the next start.
	next, err := g.finishRecovered(m, out, chain && ctx.Err() == nil)
	return true, next, err
}

// errPanicked marks an error made of a recovered panic.
var errPanicked = errors.New("panic")

// processRecovered is processBounded, with a panic recovered into an error
// wrapping errPanicked, logged with the message id and the stack: a bug
// in the pipeline fails one message and leaves the worker, and serve,
// running.
func (g *Gateway) processRecovered(ctx context.Context, m *inbox.Message) (out inbox.Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			stack := debug.Stack()
			// Where it happened, not where it was raised again.
			switch gp := r.(type) {
			case *x12.GoroutinePanic:
				stack = gp.Stack
			case *mapping.PoolPanic:
				stack = gp.Stack
			case *goroutinePanic:
				stack = gp.Stack
			}
			g.log.Error("processing panicked", "id", m.ID, "partner", m.Partner, "name", m.Name,
				"panic", fmt.Sprint(r), "stack", string(stack))
			out, err = inbox.Outcome{}, fmt.Errorf("%w: %v", errPanicked, r)
		}
	}()
	return g.processBounded(ctx, m) // Process within Config.Limits
}

// finishRecovered is Finish (with claim, the inbox's FinishAndClaim:
// the next message is returned, even when a hook panicked), with a panic
// (of a finish hook) recovered into an error and logged with the message
// id.
func (g *Gateway) finishRecovered(m *inbox.Message, out inbox.Outcome, claim bool) (next *inbox.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("finishing panicked", "id", m.ID, "partner", m.Partner, "name", m.Name,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("finishing message %d: %w: %v", m.ID, errPanicked, r)
		}
	}()
	if !claim {
		return nil, g.Finish(m, out)
	}
	if im, ok := g.Inbox.(inbox.InterchangeMarker); ok {
		// The next X12 file's first interchange is marked in the same
		// commit (x12 takes the answer): one commit fewer a file.
		next, err = im.FinishAndClaimMarked(m.ID, out, headInterchangeKey)
	} else {
		next, err = inbox.FinishAndClaim(g.Inbox, m.ID, out)
	}
	if err != nil {
		return nil, err
	}
	g.finished(m, out)
	return next, nil
}

// Drain processes messages until none waits, with n workers.
func (g *Gateway) Drain(ctx context.Context, n int) error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				worked, err := g.ProcessNext(ctx)
				if err != nil {
					errs[i] = err
					return
				}
				if !worked {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}
