package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/outbox"
)

// Service is something serve runs beside the pipeline: a listener, a
// watcher, a scheduler. Run blocks until ctx ends.
type Service interface {
	Run(ctx context.Context) error
}

// ServiceFunc adapts a function to Service.
type ServiceFunc func(ctx context.Context) error

// Run calls f.
func (f ServiceFunc) Run(ctx context.Context) error { return f(ctx) }

var _ Service = ServiceFunc(nil)

// Serve runs the pipeline workers, the outbox dispatcher with senders, the
// acknowledgement clock, retention and the given services until ctx ends,
// then waits for all of them to stop. Claimed work that is cut short stays
// claimed and is processed again at the next start.
func (g *Gateway) Serve(ctx context.Context, senders map[string]outbox.Sender, services ...Service) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &outbox.Dispatcher{Store: g.Outbox, Senders: senders, Log: g.log}
	all := append([]Service{
		ServiceFunc(func(ctx context.Context) error { g.RunWorkers(ctx, g.Config.Workers); return nil }),
		ServiceFunc(d.Run),
		ServiceFunc(g.watchAcks),
		ServiceFunc(g.retain),
		ServiceFunc(g.scheduleAdvice),
		ServiceFunc(func(ctx context.Context) error {
			return g.Advice.RunNearRealTime(ctx, broadcast.RealClock{}, g.Partners().Profiles)
		}),
	}, services...)
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errs[i] = err
				g.log.Error("service stopped", "err", err)
				cancel() // one failing listener stops the gateway: better than half a gateway
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// scheduleAdvice runs every partner's advice schedule.
func (g *Gateway) scheduleAdvice(ctx context.Context) error {
	var jobs []broadcast.Job
	for _, p := range g.Partners().Profiles() {
		if p.Advice == nil {
			continue
		}
		spec := p.Advice.Schedule.String()
		if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") && p.TimeZone != "" {
			spec = "CRON_TZ=" + p.TimeZone + " " + spec // the partner's time zone
		}
		sched, err := broadcast.ParseSchedule(spec)
		if err != nil {
			return fmt.Errorf("partner %s: %w", p.ID, err)
		}
		id := p.ID
		jobs = append(jobs, broadcast.Job{Name: id, Schedule: sched, Run: func(ctx context.Context) error {
			_, err := g.Advice.Broadcast(ctx, id, broadcast.Options{Send: true})
			return err
		}})
	}
	s := &broadcast.Scheduler{Clock: broadcast.RealClock{}, Log: g.log}
	return s.Run(ctx, jobs)
}

// watchAcks turns acknowledgements that did not come in time into
// overdue ones.
func (g *Gateway) watchAcks(ctx context.Context) error {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		late, err := g.Outbox.MarkOverdue()
		if err != nil {
			g.log.Error("acknowledgement clock", "err", err)
		}
		for _, m := range late {
			g.log.Warn("acknowledgement overdue", "partner", m.Partner, "outbox", m.ID, "kind", m.Kind,
				"interchange", m.Interchange, "deadline", m.AckDeadline)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// retain removes the bytes of messages processed longer ago than the
// retention period, once an hour.
func (g *Gateway) retain(ctx context.Context) error {
	if g.Config.Retention <= 0 {
		return nil
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := g.Inbox.Purge(g.now().Add(-g.Config.Retention)); err != nil {
			g.log.Error("retention", "err", err)
		} else if n > 0 {
			g.log.Info("retention removed message bytes", "messages", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
