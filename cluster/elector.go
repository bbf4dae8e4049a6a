package cluster

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Elector runs leader-only work while this node holds a lease.
type Elector struct {
	Lease Lease
	Log   *slog.Logger // nil: slog.Default()
	// Retry is how often a node that does not lead tries to take over,
	// and how often the leader renews (default: a third of the TTL).
	Retry time.Duration
}

// Run runs work whenever this node holds the lease, until ctx ends. work
// gets a context carrying the Term (TermFrom) that ends when the term is
// lost: not renewed before its end (counted from before the request that
// granted or renewed it, so never later than the lease's clock), or
// renewed with another epoch. Run waits for work to return before it
// tries again. When work returns an error while its term holds, Run
// releases the lease and returns the error; when ctx ends, Run releases
// the lease and returns nil.
func (e *Elector) Run(ctx context.Context, work func(ctx context.Context) error) error {
	log := e.Log
	if log == nil {
		log = slog.Default()
	}
	retry := e.Retry
	if retry <= 0 {
		retry = e.Lease.TTL() / 3
	}
	for {
		start := time.Now()
		term, err := e.Lease.Acquire(ctx)
		if err == nil {
			log.Info("leader: took the lease", "lease", term.Name, "epoch", term.Epoch, "holder", term.Holder)
			err := e.lead(ctx, term, start.Add(e.Lease.TTL()), retry, work, log)
			if ctx.Err() != nil || err != nil {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				if rerr := e.Lease.Release(rctx, term); rerr != nil {
					log.Warn("leader: releasing the lease", "lease", term.Name, "epoch", term.Epoch, "err", rerr)
				}
				cancel()
				return err
			}
			continue // lost: try again at once (it may still be ours)
		}
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, ErrNotLeader) {
			log.Warn("leader: the lease does not answer", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
	}
}

// lead runs work under term, renewing it every retry, until the term is
// lost (nil) or ctx ends (nil) or work fails (its error).
func (e *Elector) lead(ctx context.Context, term Term, deadline time.Time, retry time.Duration,
	work func(context.Context) error, log *slog.Logger) error {
	wctx, cancel := context.WithCancel(WithTerm(ctx, term))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- work(wctx) }()
	renew := time.NewTicker(retry)
	defer renew.Stop()
	expiry := time.NewTimer(time.Until(deadline))
	defer expiry.Stop()
	lost := func(why string, args ...any) error {
		cancel()
		<-done
		log.Warn("leader: lost the lease; leader-only work stopped", append([]any{"lease", term.Name, "epoch", term.Epoch, "why", why}, args...)...)
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-done
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("cluster: leader-only work returned before its end")
			}
			return err
		case <-expiry.C:
			return lost("not renewed before the end of the term")
		case <-renew.C:
			start := time.Now()
			rctx, rcancel := context.WithDeadline(ctx, deadline)
			t, err := e.Lease.Acquire(rctx)
			rcancel()
			switch {
			case err == nil && t.Epoch == term.Epoch:
				deadline = start.Add(e.Lease.TTL())
				expiry.Reset(time.Until(deadline))
			case err == nil:
				return lost("renewed as a new term", "new_epoch", t.Epoch)
			case errors.Is(err, ErrNotLeader):
				return lost(err.Error())
			case ctx.Err() == nil:
				log.Warn("leader: renewing the lease", "lease", term.Name, "epoch", term.Epoch, "err", err)
			}
		}
	}
}
