package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// DefaultDisableAfter is how long a subscriber may fail without a success
// before it is disabled, when its settings do not say.
const DefaultDisableAfter = 24 * time.Hour

// Subscriber is one webhook subscriber of the change stream.
type Subscriber struct {
	// Name names the subscriber (its cursor, its endpoint).
	Name string
	// Target is its endpoint and secrets.
	Target webhook.Target
	// Filter chooses its events.
	Filter Filter
	// FromStart makes a new subscriber start at the ledger's first
	// posting; by default it gets the changes made after it first ran.
	FromStart bool
	// DisableAfter is how long it may fail without a success before it
	// is disabled (DefaultDisableAfter when 0; negative: never).
	DisableAfter time.Duration
	// Scope, when set, makes this a partner's own subscription: it gets
	// only the events Scope keeps, as Scope.Apply rewrites them.
	Scope *Scope
}

// Options are what a Manager works with.
type Options struct {
	// Ledger is the change log (a *ledger.Ledger).
	Ledger stream.Source
	// Cursors keeps each subscriber's cursor.
	Cursors stream.CursorStore
	// Endpoints is the list of disabled endpoints (shared with the
	// partners' webhooks).
	Endpoints *webhook.Endpoints
	// Client posts the requests; nil: webhook.NewClient().
	Client *webhook.Client
	// Channels resolves channel filters; nil refuses them.
	Channels ChannelLocations
	// Relay tunes the relays (Backoff, Poll, MaxBatch, Source); its
	// Filter, FromStart and Log are set per subscriber.
	Relay stream.Options
	// Redeliveries, when set, is where a node of a cluster that does not
	// relay leaves an operator's redelivery (the cursor it asks for, by
	// subscriber name) for the node that does, which looks every Poll,
	// applies it and deletes it; nil: such a node refuses with
	// ErrNotRelaying. It must not be the Cursors store's names.
	Redeliveries stream.CursorStore
	// Log receives alerts; nil: slog.Default().
	Log *slog.Logger
	// Now is the clock of DisableAfter (default time.Now).
	Now func() time.Time
}

// Manager runs one relay per subscriber and lets an operator enable and
// redeliver. Update replaces its subscribers while it runs (a reload of
// the partner profiles).
type Manager struct {
	o Options

	relaying atomic.Bool // Run is running: this node relays

	mu      sync.Mutex
	subs    map[string]*sub
	list    []*sub
	changed chan struct{} // closed (and replaced) by Update
}

// sub is one subscriber's running state.
type sub struct {
	cfg  Subscriber
	sink *Sink
	kick chan struct{} // an operator's action: restart the relay

	mu     sync.Mutex
	relay  *stream.Relay
	rewind *uint64 // a redelivery's cursor, set before the next start
	asked  bool    // the rewind came from Redeliveries: delete it once applied
	err    string  // why the relay stopped, other than being disabled
}

// New checks the subscribers and returns their Manager.
func New(o Options, subs []Subscriber) (*Manager, error) {
	if o.Ledger == nil || o.Cursors == nil || o.Endpoints == nil {
		return nil, fmt.Errorf("%w: ledger, cursors and endpoints are required", ErrConfig)
	}
	if o.Client == nil {
		o.Client = webhook.NewClient()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Manager{o: o, subs: map[string]*sub{}, changed: make(chan struct{})}
	if err := m.Update(subs); err != nil {
		return nil, err
	}
	return m, nil
}

// Update replaces the subscribers, once all of them check out (else
// nothing changes). A subscriber whose settings are unchanged keeps
// running; a changed one restarts from its cursor; a removed one stops
// (its cursor stays, for when it comes back).
func (m *Manager) Update(subs []Subscriber) error {
	next := map[string]*sub{}
	var list []*sub
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range subs {
		if err := stream.CheckName(c.Name); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
		if _, dup := next[c.Name]; dup {
			return fmt.Errorf("%w: subscriber %q is named twice", ErrConfig, c.Name)
		}
		if err := c.Filter.check(); err != nil {
			return fmt.Errorf("subscriber %s: %w", c.Name, err)
		}
		if len(c.Filter.Channels) > 0 && m.o.Channels == nil {
			return fmt.Errorf("%w: subscriber %s: channel filters need the partner profiles", ErrConfig, c.Name)
		}
		for _, ch := range c.Filter.Channels {
			if _, ok := m.o.Channels(ch); !ok {
				return fmt.Errorf("%w: subscriber %s: channels: %q is no partner with advice", ErrConfig, c.Name, ch)
			}
		}
		if c.DisableAfter == 0 {
			c.DisableAfter = DefaultDisableAfter
		}
		if old, ok := m.subs[c.Name]; ok && reflect.DeepEqual(old.cfg, c) {
			next[c.Name] = old
			list = append(list, old)
			continue
		}
		s := &sub{cfg: c, kick: make(chan struct{}, 1)}
		s.sink = &Sink{name: c.Name, target: c.Target, client: m.o.Client, eps: m.o.Endpoints, log: m.o.Log, now: m.o.Now, disAfter: c.DisableAfter,
			scope: c.Scope, clockOn: true} // a clock from before a restart stops at the first success
		next[c.Name] = s
		list = append(list, s)
	}
	m.subs, m.list = next, list
	close(m.changed)
	m.changed = make(chan struct{})
	return nil
}

// current returns the subscribers and a channel closed at the next Update.
func (m *Manager) current() ([]*sub, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.list, m.changed
}

// get returns the subscriber named name.
func (m *Manager) get(name string) (*sub, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.subs[name]
	return s, ok
}

// Run runs every subscriber's relay until ctx ends, following Update: a
// removed or replaced subscriber's relay has stopped before its
// successor starts, so that one cursor never has two relays.
func (m *Manager) Run(ctx context.Context) error {
	type running struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	m.relaying.Store(true)
	defer m.relaying.Store(false)
	taking := make(chan struct{})
	tctx, stopTaking := context.WithCancel(ctx)
	go func() { defer close(taking); m.takeRedeliveries(tctx) }()
	defer func() { stopTaking(); <-taking }()
	active := map[*sub]running{}
	stop := func(s *sub) {
		r := active[s]
		r.cancel()
		<-r.done
		delete(active, s)
	}
	for {
		list, changed := m.current()
		for s := range active {
			if !slices.Contains(list, s) {
				stop(s)
			}
		}
		for _, s := range list {
			if _, ok := active[s]; ok {
				continue
			}
			sctx, cancel := context.WithCancel(ctx)
			r := running{cancel: cancel, done: make(chan struct{})}
			active[s] = r
			go func() {
				defer close(r.done)
				m.run(sctx, s)
			}()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			for s := range active {
				stop(s)
			}
			return nil
		}
	}
}

// run keeps one subscriber's relay running while it is enabled; an
// operator's action restarts it.
func (m *Manager) run(ctx context.Context, s *sub) {
	name := s.cfg.Name
	for ctx.Err() == nil {
		if err := m.applyRewind(ctx, s); err != nil {
			m.o.Log.Error("webhook subscriber: moving the cursor for a redelivery", "subscriber", name, "err", err)
		}
		if _, off := m.o.Endpoints.Disabled(Endpoint(name), s.cfg.Target.URL); off {
			// An operator's Enable here kicks; one on another node of a
			// cluster (a shared list) is seen at the next look.
			t := time.NewTimer(m.recheck())
			select {
			case <-s.kick:
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			t.Stop()
			continue
		}
		ro := m.o.Relay
		filter, warnings := s.cfg.Filter.compile(m.o.Channels)
		for _, w := range warnings {
			m.o.Log.Warn("webhook subscriber filter", "subscriber", name, "warning", w)
		}
		if sc := s.cfg.Scope; sc != nil {
			inner := filter
			filter = func(e *stream.Event) bool { return sc.Keeps(e) && (inner == nil || inner(e)) }
		}
		ro.Filter, ro.FromStart, ro.Log = filter, s.cfg.FromStart, m.o.Log
		relay, err := stream.NewRelay(name, m.o.Ledger, m.o.Cursors, s.sink, ro)
		if err != nil {
			s.setErr(err.Error())
			m.o.Log.Error("webhook subscriber", "subscriber", name, "err", err)
			return
		}
		s.mu.Lock()
		s.relay, s.err = relay, ""
		s.mu.Unlock()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- relay.Run(rctx) }()
		select {
		case <-s.kick:
			cancel()
			<-done
		case err := <-done:
			cancel()
			if err != nil && !errors.Is(err, stream.ErrStop) && ctx.Err() == nil {
				// The ledger or the cursor store failed: try again later.
				s.setErr(err.Error())
				m.o.Log.Error("webhook subscriber stopped; starting again in a minute", "subscriber", name, "err", err)
				select {
				case <-s.kick:
				case <-time.After(time.Minute):
				case <-ctx.Done():
				}
			}
		case <-ctx.Done():
			cancel()
			<-done
			return
		}
	}
}

// recheck is how often a disabled subscriber's relay looks whether it
// was enabled elsewhere: the relays' Poll (stream.DefaultPoll).
func (m *Manager) recheck() time.Duration {
	if m.o.Relay.Poll > 0 {
		return m.o.Relay.Poll
	}
	return stream.DefaultPoll
}

func (s *sub) setErr(e string) {
	s.mu.Lock()
	s.err = e
	s.mu.Unlock()
}

// applyRewind sets the cursor a redelivery asked for, while no relay runs.
func (m *Manager) applyRewind(ctx context.Context, s *sub) error {
	s.mu.Lock()
	r, asked := s.rewind, s.asked
	s.rewind, s.asked = nil, false
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	if err := m.o.Cursors.SetCursor(ctx, s.cfg.Name, *r); err != nil {
		return err
	}
	if asked {
		// A request made again meanwhile (another value) stays for the next look.
		if v, err := m.o.Redeliveries.Cursor(ctx, s.cfg.Name); err == nil && v == *r {
			return m.o.Redeliveries.DeleteCursor(ctx, s.cfg.Name)
		}
	}
	return nil
}

// takeRedeliveries hands the redeliveries other nodes asked for to the
// subscribers' relays, every Poll until ctx ends.
func (m *Manager) takeRedeliveries(ctx context.Context) {
	if m.o.Redeliveries == nil {
		return
	}
	t := time.NewTicker(m.recheck())
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		asked, err := m.o.Redeliveries.Cursors(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.o.Log.Warn("webhook subscribers: reading redeliveries", "err", err)
			}
			continue
		}
		for name, back := range asked {
			s, ok := m.get(name)
			if !ok {
				continue // a subscriber no longer configured: left for when it comes back
			}
			s.mu.Lock()
			if s.rewind == nil || !s.asked || *s.rewind != back {
				s.rewind, s.asked = &back, true
				m.o.Log.Info("webhook subscriber: redelivery asked on another node", "subscriber", name, "from_change", back+1)
				s.poke()
			}
			s.mu.Unlock()
		}
	}
}

func (s *sub) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Running reports whether Run runs: whether this node relays.
func (m *Manager) Running() bool { return m.relaying.Load() }

// Enable enables a disabled subscriber: its relay delivers from its
// cursor. It reports whether it was disabled. On a node of a cluster
// that does not relay, it works when the list of disabled endpoints is
// shared (the relaying node sees it within its Poll), and is refused
// with ErrNotRelaying otherwise.
func (m *Manager) Enable(name string) (bool, error) {
	s, ok := m.get(name)
	if !ok {
		return false, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	if !m.relaying.Load() && !m.o.Endpoints.Shared() {
		return false, fmt.Errorf("enabling %s: %w", name, ErrNotRelaying)
	}
	was, err := m.o.Endpoints.Enable(Endpoint(name))
	if err != nil {
		return false, err
	}
	s.poke()
	return was, nil
}

// ParsePosition reads a redelivery's starting point: a change sequence
// ("120") or an event id ("120-3", whose whole posting is sent again).
func ParsePosition(from string) (uint64, error) {
	from = strings.TrimSpace(from)
	if strings.Contains(from, "-") {
		seq, _, err := stream.ParseEventID(from)
		if err != nil {
			return 0, fmt.Errorf("%w: %q", ErrPosition, from)
		}
		return seq, nil
	}
	seq, err := strconv.ParseUint(from, 10, 64)
	if err != nil || seq == 0 {
		return 0, fmt.Errorf("%w: %q", ErrPosition, from)
	}
	return seq, nil
}

// Redeliver sends a subscriber every event from the posting with change
// sequence seq on again (its cursor moves back to seq-1), enabling it if
// it was disabled. A seq past the subscriber's cursor+1 would skip
// events and is refused. It returns before the events go out. On a node
// whose Run does not run (a node of a cluster other than the leader) the
// redelivery is left in Options.Redeliveries for the relaying node (it
// starts within that node's Poll), or refused with ErrNotRelaying when
// there is none.
func (m *Manager) Redeliver(ctx context.Context, name string, seq uint64) error {
	s, ok := m.get(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	relaying := m.relaying.Load()
	if !relaying && (m.o.Redeliveries == nil || !m.o.Endpoints.Shared()) {
		return fmt.Errorf("redelivering to %s: %w", name, ErrNotRelaying)
	}
	if seq == 0 {
		return fmt.Errorf("%w: 0", ErrPosition)
	}
	cur, err := m.o.Cursors.Cursor(ctx, name)
	if errors.Is(err, stream.ErrUnknownSubscriber) {
		cur, err = 0, nil
	}
	if err != nil {
		return err
	}
	if st := s.status(); st.Running && st.Confirmed > cur {
		cur = st.Confirmed
	}
	if seq > cur+1 {
		return fmt.Errorf("%w: change %d is past what %s has confirmed (%d): redelivery never skips events", ErrPosition, seq, name, cur)
	}
	back := seq - 1
	if !relaying {
		if err := m.o.Redeliveries.SetCursor(ctx, name, back); err != nil {
			return fmt.Errorf("redelivering to %s: %w", name, err)
		}
	} else {
		s.mu.Lock()
		s.rewind, s.asked = &back, false
		s.mu.Unlock()
	}
	if _, err := m.o.Endpoints.Enable(Endpoint(name)); err != nil {
		return err
	}
	m.o.Log.Info("webhook subscriber: redelivery", "subscriber", name, "from_change", seq)
	s.poke()
	return nil
}

func (s *sub) status() stream.Status {
	s.mu.Lock()
	r := s.relay
	s.mu.Unlock()
	if r == nil {
		return stream.Status{Subscriber: s.cfg.Name}
	}
	return r.Status()
}

// Status is one subscriber's state, for the API and the dashboard.
type Status struct {
	Name string `json:"name"`
	// URL is the endpoint, without user info or query.
	URL string `json:"url"`
	// Filter is its filter, in words ("" for every event).
	Filter string `json:"filter,omitempty"`
	// Disabled is set while the subscriber is disabled.
	Disabled *webhook.EndpointState `json:"disabled,omitempty"`
	// Running is true while its relay runs.
	Running bool `json:"running"`
	// Elsewhere is true on a node of a cluster that does not relay (the
	// leader does): Cursor and Behind are the saved ones.
	Elsewhere bool `json:"relayed_elsewhere,omitempty"`
	// Cursor is the change sequence its cursor is at; Confirmed the one
	// up to which it confirmed every event; Last the ledger's latest.
	Cursor    uint64 `json:"cursor"`
	Confirmed uint64 `json:"confirmed"`
	Last      uint64 `json:"last"`
	// Behind is how many postings it has not confirmed (Last −
	// Confirmed; filtered-out changes count until the relay passes them).
	Behind uint64 `json:"behind"`
	// Delivered counts the events it accepted since its relay started.
	Delivered uint64 `json:"delivered"`
	// Failures counts its failures in a row; LastError is the last one.
	Failures int `json:"failures"`
	// Failed counts its failures since its relay started.
	Failed      uint64    `json:"failed"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Statuses returns every subscriber's state, in configuration order.
func (m *Manager) Statuses(ctx context.Context) ([]Status, error) {
	last, err := m.o.Ledger.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	cursors, err := m.o.Cursors.Cursors(ctx)
	if err != nil {
		return nil, err
	}
	list, _ := m.current()
	elsewhere := !m.relaying.Load() && m.o.Endpoints.Shared()
	out := make([]Status, 0, len(list))
	for _, s := range list {
		rs := s.status()
		if !rs.Running {
			// Not relayed here (stopped, or relayed by another node of a
			// cluster): the saved cursor is the truth, not what this
			// node's relay confirmed when it last ran.
			rs.Confirmed = 0
		}
		filter := s.cfg.Filter.String()
		if s.cfg.Scope != nil {
			filter = strings.TrimSuffix("partner "+s.cfg.Scope.Partner+"'s locations; "+filter, "; ")
		}
		st := Status{Name: s.cfg.Name, URL: webhook.Redact(s.cfg.Target.URL), Filter: filter, Running: rs.Running, Elsewhere: elsewhere,
			Cursor: cursors[s.cfg.Name], Confirmed: max(rs.Confirmed, cursors[s.cfg.Name]), Last: last, Delivered: rs.Delivered,
			Failures: rs.Failures, Failed: rs.Failed, LastError: rs.LastError, LastErrorAt: rs.LastErrorAt, NextAttempt: rs.NextAttempt}
		if st.Last > st.Confirmed {
			st.Behind = st.Last - st.Confirmed
		}
		if d, off := m.o.Endpoints.Disabled(Endpoint(s.cfg.Name), s.cfg.Target.URL); off {
			st.Disabled = &d
		}
		s.mu.Lock()
		if s.err != "" && st.LastError == "" {
			st.LastError = s.err
		}
		s.mu.Unlock()
		out = append(out, st)
	}
	return out, nil
}

// String describes the filter in words.
func (f Filter) String() string {
	var parts []string
	for _, p := range []struct {
		name string
		list []string
	}{{"kinds", f.Kinds}, {"locations", f.Locations}, {"skus", f.SKUs}, {"channels", f.Channels}} {
		if len(p.list) > 0 {
			parts = append(parts, p.name+" "+strings.Join(p.list, ","))
		}
	}
	return strings.Join(parts, "; ")
}
