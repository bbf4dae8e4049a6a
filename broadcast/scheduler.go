package broadcast

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Clock is the scheduler's time: the real one, or a fake in tests.
type Clock interface {
	Now() time.Time
	// After delivers the time on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

var _ Clock = RealClock{}

// Job is one scheduled task: a partner's advice.
type Job struct {
	Name     string        // e.g. the partner id
	Schedule cron.Schedule // when it runs
	Run      func(ctx context.Context) error
}

// ParseSchedule reads a five-field cron expression with an optional
// CRON_TZ= or TZ= prefix.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// Scheduler runs jobs on their schedules. A job never overlaps its own
// previous run (a run due while the last one is still going is skipped),
// and a panic in a job is logged and never stops the scheduler.
type Scheduler struct {
	Clock Clock
	Log   *slog.Logger

	mu      sync.Mutex
	running map[string]bool
	wg      sync.WaitGroup
}

// Run runs the jobs until ctx ends, then waits for running jobs to return.
func (s *Scheduler) Run(ctx context.Context, jobs []Job) error {
	s.mu.Lock()
	s.running = map[string]bool{}
	s.mu.Unlock()
	defer s.wg.Wait()
	next := make([]time.Time, len(jobs))
	now := s.Clock.Now()
	for i, j := range jobs {
		next[i] = j.Schedule.Next(now)
	}
	for {
		if len(jobs) == 0 {
			<-ctx.Done()
			return nil
		}
		soonest := next[0]
		for _, t := range next[1:] {
			if t.Before(soonest) {
				soonest = t
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.Clock.After(soonest.Sub(s.Clock.Now())):
		}
		now = s.Clock.Now()
		for i, j := range jobs {
			if !next[i].After(now) {
				s.start(ctx, j)
				next[i] = j.Schedule.Next(now)
			}
		}
	}
}

// start runs a job in its own goroutine unless it is still running.
func (s *Scheduler) start(ctx context.Context, j Job) {
	s.mu.Lock()
	if s.running[j.Name] {
		s.mu.Unlock()
		if s.Log != nil {
			s.Log.Warn("scheduled job skipped: the previous run is still going", "job", j.Name)
		}
		return
	}
	s.running[j.Name] = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, j.Name)
			s.mu.Unlock()
		}()
		defer func() {
			if r := recover(); r != nil && s.Log != nil {
				s.Log.Error("scheduled job panicked", "job", j.Name, "panic", r, "stack", string(debug.Stack()))
			}
		}()
		if err := j.Run(ctx); err != nil && s.Log != nil {
			s.Log.Error("scheduled job failed", "job", j.Name, "err", err)
		}
	}()
}
