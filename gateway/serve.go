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
	"github.com/dockside-edi/dockside/partners"
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
// claimed and is processed again at the next start. Work that must run
// once in a cluster (schedules, near-real-time advice, following the
// advice's fate, the acknowledgement clock, retention, divergence
// alerts) runs under the leader lease (leaderOnly): always on bbolt (one
// node), on one node at a time on PostgreSQL. On PostgreSQL it first
// locks the data folder and takes up at once what the previous run from
// it left claimed (resumeNode).
func (g *Gateway) Serve(ctx context.Context, senders map[string]outbox.Sender, services ...Service) error {
	unlock, err := g.resumeNode(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &outbox.Dispatcher{Store: g.Outbox, Senders: senders, Log: g.log}
	all := append([]Service{
		ServiceFunc(func(ctx context.Context) error { g.RunWorkers(ctx, g.Config.Workers); return nil }),
		ServiceFunc(d.Run),
		ServiceFunc(g.routeHeld),
		ServiceFunc(g.serveNATS),
		ServiceFunc(g.wakeOnCommits), // on PostgreSQL: the relays wake at other nodes' commits
		// Once in a cluster (docs/deploy.md, "Which work runs where"):
		// schedules, near-real-time advice, following the advice's fate
		// (what each channel believes follows delivery; a rejection
		// nudges this node's near-real-time advice), the acknowledgement
		// clock, retention, divergence alerts and the change stream out
		// (the NATS publisher, webhook subscribers: relayed from the
		// cursors the nodes share).
		g.leaderOnly(ServiceFunc(g.scheduleAdvice), ServiceFunc(func(ctx context.Context) error {
			// The profiles in use now, reloads included.
			return g.Advice.RunNearRealTime(ctx, broadcast.RealClock{}, func() []*partners.Profile { return g.Partners().Profiles() })
		}), ServiceFunc(g.Advice.RunSync), ServiceFunc(g.watchAcks), ServiceFunc(g.retain), ServiceFunc(g.Divergence.Run),
			ServiceFunc(g.publishNATS), ServiceFunc(g.serveWebhooks)),
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

// scheduleAdvice runs every partner's advice schedule, and the new ones
// after each reload of the profiles. A schedule that does not parse stops
// the gateway at start; after a reload it is logged and the other
// partners' schedules run.
func (g *Gateway) scheduleAdvice(ctx context.Context) error {
	for first := true; ; first = false {
		reloaded := g.partnersReloaded()
		jobs, err := g.adviceJobs(ctx)
		if err != nil && first {
			return err
		}
		if err != nil {
			g.log.Error("advice schedules after the reload", "err", err)
		}
		if !first {
			g.log.Info("advice schedules reloaded", "partners", len(jobs))
		} else {
			g.catchUpAdvice(ctx, jobs) // on a node taking over from another
		}
		run, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			s := &broadcast.Scheduler{Clock: broadcast.RealClock{}, Log: g.log}
			done <- s.Run(run, jobs)
		}()
		select {
		case <-ctx.Done():
			stop()
			return <-done
		case <-reloaded:
			stop()
			<-done
		case err := <-done:
			stop()
			return err
		}
	}
}

// adviceJobs builds the scheduled advice of every partner that has one;
// with an error it still returns the jobs of the others. The jobs run with
// serve's ctx, not their scheduler's: a reload stops the scheduler but lets
// a broadcast under way finish.
func (g *Gateway) adviceJobs(ctx context.Context) ([]broadcast.Job, error) {
	var jobs []broadcast.Job
	var errs []error
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
			errs = append(errs, fmt.Errorf("partner %s: %w", p.ID, err))
			continue
		}
		id := p.ID
		jobs = append(jobs, broadcast.Job{Name: id, Schedule: sched, Run: func(context.Context) error {
			_, err := g.Advice.Broadcast(ctx, id, broadcast.Options{Send: true})
			return err
		}})
	}
	return jobs, errors.Join(errs...)
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
