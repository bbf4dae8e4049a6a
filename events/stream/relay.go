package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// Source is the change log a relay reads: *ledger.Ledger.
type Source interface {
	// ChangesSince returns the postings after seq, in order, at most
	// limit of them.
	ChangesSince(ctx context.Context, seq uint64, limit int) ([]ledger.Change, error)
	// LastSeq returns the change sequence of the latest posting.
	LastSeq(ctx context.Context) (uint64, error)
	// Balance returns a position's balance, with the change sequence of
	// the last posting in it.
	Balance(ctx context.Context, sku, loc string) (ledger.Balance, error)
	// Committed returns a channel closed at the next commit.
	Committed() <-chan struct{}
}

var _ Source = (*ledger.Ledger)(nil)

// Defaults of Options.
const (
	// DefaultMaxBatch is the most events one Deliver call gets.
	DefaultMaxBatch = 1000
	// DefaultReadChanges is the most postings read from the ledger at once.
	DefaultReadChanges = 1000
	// DefaultPoll is how often an idle relay looks for changes no commit
	// woke it for.
	DefaultPoll = 5 * time.Second
	// DefaultMinBackoff is the wait after a first failure.
	DefaultMinBackoff = 200 * time.Millisecond
	// DefaultMaxBackoff caps the wait between attempts.
	DefaultMaxBackoff = time.Minute
	// DefaultSaveEvery is the least time between two saves of a cursor.
	DefaultSaveEvery = 100 * time.Millisecond
)

// Options tune a Relay. The zero value is right for most uses.
type Options struct {
	// Source is the CloudEvents source of the events (DefaultSource when
	// empty).
	Source string
	// Filter, when set, keeps the events it returns true for; the others
	// are not delivered, and the cursor moves past them.
	Filter func(*Event) bool
	// FromStart makes a subscriber without a cursor start at the first
	// posting of the ledger; by default it starts after the latest
	// posting (only new changes). The starting point is saved before
	// anything is delivered.
	FromStart bool
	// MaxBatch caps the events of one Deliver call (DefaultMaxBatch).
	MaxBatch int
	// ReadChanges caps the postings read from the ledger at a time
	// (DefaultReadChanges).
	ReadChanges int
	// Poll is how often the relay looks for changes when no commit woke
	// it (DefaultPoll): a safety net, commits wake it at once.
	Poll time.Duration
	// Backoff is the wait after the failures-th failure in a row (1, 2,
	// ...). Nil: DefaultMinBackoff doubling up to DefaultMaxBackoff, with
	// ±20% jitter.
	Backoff func(failures int) time.Duration
	// Log receives warnings; nil: slog.Default().
	Log *slog.Logger
	// SaveEvery is the least time between two saves of the cursor
	// (DefaultSaveEvery): the cursor is saved in the background, the
	// latest confirmed value only, so that many subscribers do not cost
	// an fsync per delivery each. After a crash, what was confirmed since
	// the last save is delivered again. Negative: no pause.
	SaveEvery time.Duration
}

// Status is what a relay has done, for dashboards and metrics.
type Status struct {
	// Subscriber is the relay's name.
	Subscriber string
	// Running is true while Run runs.
	Running bool
	// Cursor is the cursor last saved.
	Cursor uint64
	// Confirmed is the change sequence up to which the sink confirmed
	// every event (saved as the cursor shortly after).
	Confirmed uint64
	// Read is the change sequence up to which events were made.
	Read uint64
	// Delivered counts the events the sink confirmed since Run started.
	Delivered uint64
	// Failures counts the sink's failures in a row (0 when the last
	// delivery succeeded).
	Failures int
	// Failed counts the sink's failures since Run started.
	Failed uint64
	// LastError is the last failure, and LastErrorAt when it happened.
	LastError   string
	LastErrorAt time.Time
	// NextAttempt is when a failed delivery is tried again.
	NextAttempt time.Time
}

// Relay delivers the change events of one subscriber to its sink, in
// ledger order, moving the subscriber's cursor past what the sink
// confirmed. Run it in its own goroutine: a slow or failing sink holds
// back only its own relay. A relay holds about 20,000 movements read
// from the ledger (or one larger posting), MaxBatch events, and the
// balances of up to 50,000 positions (a few MB).
type Relay struct {
	name    string
	src     Source
	cursors CursorStore
	sink    Sink
	o       Options

	mu     sync.Mutex
	status Status
}

// NewRelay returns the relay of subscriber name.
func NewRelay(name string, src Source, cursors CursorStore, sink Sink, o Options) (*Relay, error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("stream: relay: %w", err)
	}
	if src == nil || cursors == nil || sink == nil {
		return nil, errors.New("stream: relay: source, cursor store and sink are required")
	}
	if o.Source == "" {
		o.Source = DefaultSource
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.ReadChanges <= 0 {
		o.ReadChanges = DefaultReadChanges
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Backoff == nil {
		o.Backoff = defaultBackoff
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.SaveEvery == 0 {
		o.SaveEvery = DefaultSaveEvery
	}
	return &Relay{name: name, src: src, cursors: cursors, sink: sink, o: o, status: Status{Subscriber: name}}, nil
}

// Name returns the subscriber's name.
func (r *Relay) Name() string { return r.name }

// Status returns what the relay has done so far.
func (r *Relay) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *Relay) update(f func(s *Status)) {
	r.mu.Lock()
	f(&r.status)
	r.mu.Unlock()
}

// defaultBackoff doubles from DefaultMinBackoff to DefaultMaxBackoff, ±20%.
func defaultBackoff(failures int) time.Duration {
	d := DefaultMinBackoff
	for i := 1; i < failures && d < DefaultMaxBackoff; i++ {
		d *= 2
	}
	d = min(d, DefaultMaxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// start returns the subscriber's cursor, setting the starting point of a
// new subscriber.
func (r *Relay) start(ctx context.Context) (uint64, error) {
	seq, err := r.cursors.Cursor(ctx, r.name)
	if err == nil {
		return seq, nil
	}
	if !errors.Is(err, ErrUnknownSubscriber) {
		return 0, err
	}
	seq = 0
	if !r.o.FromStart {
		if seq, err = r.src.LastSeq(ctx); err != nil {
			return 0, err
		}
	}
	if err := r.cursors.SetCursor(ctx, r.name, seq); err != nil {
		return 0, err
	}
	return seq, nil
}

// Run delivers events until ctx ends (it then returns nil), the ledger
// closes, or the sink's error wraps ErrStop. Sink failures are retried
// after a backoff, from the first event not confirmed.
func (r *Relay) Run(ctx context.Context) error {
	cursor, err := r.start(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("stream: relay %s: starting: %w", r.name, err)
	}
	r.update(func(s *Status) {
		*s = Status{Subscriber: r.name, Running: true, Cursor: cursor, Confirmed: cursor, Read: cursor}
	})
	defer r.update(func(s *Status) { s.Running = false })

	saver := newCursorSaver(r, cursor)
	saveCtx, stopSaver := context.WithCancel(context.WithoutCancel(ctx))
	saverDone := make(chan struct{})
	go func() { defer close(saverDone); saver.run(saveCtx) }()
	defer func() {
		saver.finish() // the last confirmed cursor is saved before Run returns
		<-saverDone
		stopSaver()
	}()

	err = r.loop(ctx, cursor, saver)
	if ctx.Err() != nil && !errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

func (r *Relay) loop(ctx context.Context, cursor uint64, saver *cursorSaver) error {
	bal := newBalances(r.src, cursor)
	timer := time.NewTimer(r.o.Poll)
	defer timer.Stop()
	failures := 0
	limit := min(r.o.ReadChanges, 16) // postings per read: follows their size (nextLimit)
	var pending []Event
	for ctx.Err() == nil {
		if len(pending) == 0 && bal.more() {
			pending = r.filter(bal.next(r.o.Source, r.o.MaxBatch))
			if len(pending) == 0 {
				saver.confirmed(bal.done(), 0)
			}
			continue
		}
		if len(pending) == 0 {
			wake := r.src.Committed()
			changes, err := r.src.ChangesSince(ctx, bal.done(), limit)
			if err == nil && len(changes) > 0 {
				if err = bal.load(ctx, changes); err == nil {
					limit = nextLimit(changes, r.o.ReadChanges)
					r.update(func(s *Status) { s.Read = changes[len(changes)-1].Seq })
					continue
				}
			}
			if err != nil {
				if errors.Is(err, ledger.ErrClosed) || ctx.Err() != nil {
					return err
				}
				failures++
				if !r.wait(ctx, r.failed(ctx, err, failures)) {
					return ctx.Err()
				}
				bal = newBalances(r.src, bal.done())
				continue
			}
			timer.Reset(r.o.Poll)
			select {
			case <-wake:
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		n, err := r.sink.Deliver(ctx, pending)
		n = max(0, min(n, len(pending)))
		if err == nil && n < len(pending) {
			err = ErrShortDelivery
		}
		pending = pending[n:]
		if n > 0 {
			to := bal.done()
			if len(pending) > 0 {
				to = pending[0].Data.Change - 1
			} else if bal.more() {
				to = min(to, bal.changes[bal.ci].Seq-1)
			}
			saver.confirmed(to, n)
		}
		if err != nil {
			err = &DeliveryError{Subscriber: r.name, EventID: pending[0].ID, Err: err}
			if errors.Is(err, ErrStop) {
				r.failed(ctx, err, failures+1)
				r.update(func(s *Status) { s.NextAttempt = time.Time{} }) // no next attempt
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failures++
			if !r.wait(ctx, r.failed(ctx, err, failures)) {
				return ctx.Err()
			}
			continue
		}
		if failures > 0 {
			failures = 0
			r.update(func(s *Status) { s.Failures = 0; s.NextAttempt = time.Time{} })
		}
	}
	return ctx.Err()
}

// readMovements is about how many movements a relay reads from the
// ledger at a time: the postings per read follow their size.
const readMovements = 20_000

// nextLimit returns how many postings to read next, given the last read.
func nextLimit(last []ledger.Change, most int) int {
	n := 0
	for i := range last {
		n += len(last[i].Movements)
	}
	return max(1, min(most, len(last)*readMovements/max(n, 1)))
}

// filter keeps the events Options.Filter accepts.
func (r *Relay) filter(evs []Event) []Event {
	if r.o.Filter == nil {
		return evs
	}
	out := evs[:0]
	for i := range evs {
		if r.o.Filter(&evs[i]) {
			out = append(out, evs[i])
		}
	}
	return out
}

// failed records and logs a failure, and returns how long to wait before
// the next attempt.
func (r *Relay) failed(ctx context.Context, err error, failures int) time.Duration {
	now, wait := time.Now(), r.o.Backoff(failures)
	r.update(func(s *Status) {
		s.Failures, s.LastError, s.LastErrorAt = failures, err.Error(), now
		s.Failed++
		s.NextAttempt = now.Add(wait)
	})
	r.o.Log.WarnContext(ctx, "change stream delivery failed", "subscriber", r.name, "failures", failures, "retry_in", wait, "err", err)
	return wait
}

// wait sleeps d, or until ctx ends (false).
func (r *Relay) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// cursorSaver saves a relay's cursor in the background, the latest value
// only, so that a slow store never holds up delivery. The saved cursor
// never passes what the sink confirmed.
type cursorSaver struct {
	r     *Relay
	mu    sync.Mutex
	want  uint64
	saved uint64
	kick  chan struct{}
	done  chan struct{} // closed by finish: save the last value and stop
}

func newCursorSaver(r *Relay, at uint64) *cursorSaver {
	return &cursorSaver{r: r, want: at, saved: at, kick: make(chan struct{}, 1), done: make(chan struct{})}
}

// confirmed records that the sink confirmed every event up to seq (n
// more events).
func (c *cursorSaver) confirmed(seq uint64, n int) {
	c.mu.Lock()
	if seq > c.want {
		c.want = seq
	}
	c.mu.Unlock()
	c.r.update(func(s *Status) {
		s.Confirmed = max(s.Confirmed, seq)
		s.Delivered += uint64(n)
	})
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// finish asks run to save the last value and return.
func (c *cursorSaver) finish() { close(c.done) }

func (c *cursorSaver) run(ctx context.Context) {
	failures := 0
	finishing := false
	// pause waits d, or until finish is asked (then it returns at once);
	// false when ctx ended.
	pause := func(d time.Duration) bool {
		if finishing || d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.done:
			finishing = true
		case <-ctx.Done():
			return false
		}
		return true
	}
	for {
		select {
		case <-c.kick:
		case <-c.done:
			finishing = true
		case <-ctx.Done():
			return
		}
		for {
			c.mu.Lock()
			want := c.want
			c.mu.Unlock()
			if want == c.saved {
				break
			}
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := c.r.cursors.SetCursor(sctx, c.r.name, want)
			cancel()
			if err == nil {
				c.saved, failures = want, 0
				c.r.update(func(s *Status) { s.Cursor = want })
				// At most one save per SaveEvery: what is confirmed
				// meanwhile is saved with the next.
				if !pause(c.r.o.SaveEvery) {
					return
				}
				continue
			}
			failures++
			c.r.o.Log.Warn("saving change stream cursor", "subscriber", c.r.name, "cursor", want, "err", err)
			if finishing {
				return
			}
			if !pause(c.r.o.Backoff(failures)) {
				return
			}
		}
		if finishing {
			return
		}
	}
}
