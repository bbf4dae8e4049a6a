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
	for ctx.Err() == nil {
		worked, err := g.ProcessNext(ctx)
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
	m, err := g.Inbox.Claim()
	if errors.Is(err, inbox.ErrEmptyQueue) {
		return false, nil
	}
	if err != nil {
		return false, err
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
		return true, err // interrupted: it stays claimed and is processed again at the next start
	}
	if err != nil {
		// A store or I/O failure: the message fails with the reason and
		// can be replayed, rather than being claimed again forever.
		g.log.Error("processing failed", "id", m.ID, "err", err)
		out = inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Place: m.Name, Msg: "processing error: " + err.Error()}}}
	}
	return true, g.finishRecovered(m, out)
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

// finishRecovered is Finish, with a panic (of a finish hook) recovered
// into an error and logged with the message id.
func (g *Gateway) finishRecovered(m *inbox.Message, out inbox.Outcome) (err error) {
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("finishing panicked", "id", m.ID, "partner", m.Partner, "name", m.Name,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("finishing message %d: %w: %v", m.ID, errPanicked, r)
		}
	}()
	return g.Finish(m, out)
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
