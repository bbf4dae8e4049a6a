package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// EndpointState is what is known of a disabled endpoint.
type EndpointState struct {
	// Name is the endpoint's name: "partner/<id>" for a partner's
	// outbound webhook, "subscriber/<name>" for a change-stream
	// subscriber.
	Name string `json:"name"`
	// URL is the endpoint's URL when it was disabled (user info and
	// query left out): a new URL in the configuration enables it again.
	URL string `json:"url"`
	// Since is when it was disabled.
	Since time.Time `json:"since"`
	// Reason says why: "410 Gone", "failing since ...".
	Reason string `json:"reason"`
}

// Endpoints is the persisted list of disabled endpoints, and of when
// failing ones last succeeded: one JSON file written atomically, or a
// SharedState that several gateway nodes share (OpenSharedEndpoints). An
// endpoint is disabled for one URL: configuring another URL for it
// enables it.
type Endpoints struct {
	path    string
	shared  SharedState // nil: the file at path
	mu      sync.Mutex
	off     map[string]EndpointState
	failing map[string]time.Time // endpoint → first failure since its last success
}

// SharedState keeps the Endpoints' list where several gateway nodes
// share it (PostgreSQL: package transports/webhook/postgres), as the
// JSON document the file would hold.
type SharedState interface {
	// Load returns the stored document; nil or empty when none was
	// stored yet.
	Load(ctx context.Context) ([]byte, error)
	// Update stores what change makes of the stored document (nil or
	// empty when none), atomically: another node's Update waits for it.
	// A change error stores nothing and is returned.
	Update(ctx context.Context, change func(old []byte) ([]byte, error)) error
}

// sharedTimeout bounds one read or write of a SharedState (the
// Endpoints' methods take no context).
const sharedTimeout = 10 * time.Second

// endpointsFile is the file's content.
type endpointsFile struct {
	Disabled     []EndpointState      `json:"disabled"`
	FailingSince map[string]time.Time `json:"failing_since,omitempty"`
}

// OpenEndpoints reads the list at path (none yet: all enabled).
func OpenEndpoints(path string) (*Endpoints, error) {
	e := &Endpoints{path: path, off: map[string]EndpointState{}, failing: map[string]time.Time{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	if err := e.decode(data); err != nil {
		return nil, fmt.Errorf("webhook endpoints: %s: %w", path, err)
	}
	return e, nil
}

// OpenSharedEndpoints returns the list kept in st: every method reads
// the shared document, and every change is an Update of it, so that what
// one node disables or enables holds on every node.
func OpenSharedEndpoints(ctx context.Context, st SharedState) (*Endpoints, error) {
	e := &Endpoints{shared: st, off: map[string]EndpointState{}, failing: map[string]time.Time{}}
	data, err := st.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	if err := e.decode(data); err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	return e, nil
}

// Shared reports whether the list is shared between nodes.
func (e *Endpoints) Shared() bool { return e.shared != nil }

// decode replaces the list by the document data (empty: none).
func (e *Endpoints) decode(data []byte) error {
	var f endpointsFile
	if len(data) > 0 {
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
	}
	clear(e.off)
	clear(e.failing)
	for _, s := range f.Disabled {
		e.off[s.Name] = s
	}
	for name, t := range f.FailingSince {
		e.failing[name] = t
	}
	return nil
}

// encode returns the list as its document.
func (e *Endpoints) encode() ([]byte, error) {
	f := endpointsFile{Disabled: make([]EndpointState, 0, len(e.off)), FailingSince: e.failing}
	for _, s := range e.off {
		f.Disabled = append(f.Disabled, s)
	}
	slices.SortFunc(f.Disabled, func(a, b EndpointState) int { return strings.Compare(a.Name, b.Name) })
	return json.MarshalIndent(f, "", "  ")
}

// read brings a shared list up to date (the caller holds mu). When the
// shared state does not answer, the list last read stays.
func (e *Endpoints) read() {
	if e.shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if data, err := e.shared.Load(ctx); err == nil {
		e.decode(data) // a document this package wrote; on error the list is as decoded so far
	}
}

// errUnchanged ends an Update that changes nothing.
var errUnchanged = errors.New("unchanged")

// write applies change to the list (the caller holds mu) and persists
// it when change reports a change: on a shared list within one Update of
// the latest document.
func (e *Endpoints) write(change func() bool) error {
	return e.writeContext(context.Background(), change)
}

// writeContext is write within ctx (bounded by sharedTimeout).
func (e *Endpoints) writeContext(ctx context.Context, change func() bool) error {
	if e.shared == nil {
		if !change() {
			return nil
		}
		return e.save()
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	err := e.shared.Update(ctx, func(old []byte) ([]byte, error) {
		if err := e.decode(old); err != nil {
			return nil, err
		}
		if !change() {
			return nil, errUnchanged
		}
		return e.encode()
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		e.read()
		return fmt.Errorf("webhook endpoints: %w", err)
	}
	return nil
}

// Failing records a failure of the endpoint and returns the first
// failure since its last success (persisted: the clock survives a
// restart).
func (e *Endpoints) Failing(name string, at time.Time) (time.Time, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	since := at.UTC()
	err := e.write(func() bool {
		if s, ok := e.failing[name]; ok {
			since = s
			return false
		}
		e.failing[name] = since
		return true
	})
	return since, err
}

// Succeeded records a success of the endpoint: its failure clock stops.
func (e *Endpoints) Succeeded(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shared == nil {
		if _, ok := e.failing[name]; !ok {
			return nil
		}
	}
	return e.write(func() bool {
		if _, ok := e.failing[name]; !ok {
			return false
		}
		delete(e.failing, name)
		return true
	})
}

// Disabled returns the state of the endpoint when it is disabled at this
// URL.
func (e *Endpoints) Disabled(name, url string) (EndpointState, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.read()
	s, ok := e.off[name]
	if !ok || s.URL != redact(url) {
		return EndpointState{}, false
	}
	return s, true
}

// Disable disables the endpoint at this URL and persists the list. It
// reports whether it was enabled before.
func (e *Endpoints) Disable(name, url, reason string, at time.Time) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	first := false
	err := e.write(func() bool {
		if s, ok := e.off[name]; ok && s.URL == redact(url) {
			return false
		}
		e.off[name] = EndpointState{Name: name, URL: redact(url), Since: at.UTC(), Reason: reason}
		first = true
		return true
	})
	return first && err == nil, err
}

// Enable enables the endpoint again; it reports whether it was disabled.
func (e *Endpoints) Enable(name string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	was := false
	err := e.write(func() bool {
		if _, ok := e.off[name]; !ok {
			return false
		}
		delete(e.off, name)
		delete(e.failing, name)
		was = true
		return true
	})
	return was && err == nil, err
}

// List returns the disabled endpoints by name, those under prefix only
// when it is set.
func (e *Endpoints) List(prefix string) []EndpointState {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.read()
	var out []EndpointState
	for _, s := range e.off {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b EndpointState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FailingSince returns the failure clocks: for each endpoint failing
// now, its first failure since its last success.
func (e *Endpoints) FailingSince() map[string]time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.read()
	return maps.Clone(e.failing)
}

// Adopt adds to the list the disabled endpoints and failure clocks it
// lacks, by name, keeping those it has (even when they differ), in one
// write: on a shared list one Update, so that a copy interrupted and
// run again adds each entry once (`dockside migrate --from` copies a
// data folder's file into the shared list with it). It returns how
// many entries it added.
func (e *Endpoints) Adopt(ctx context.Context, disabled []EndpointState, failing map[string]time.Time) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	added := 0
	err := e.writeContext(ctx, func() bool {
		added = 0
		for _, s := range disabled {
			if _, ok := e.off[s.Name]; !ok {
				e.off[s.Name] = s
				added++
			}
		}
		for name, t := range failing {
			if _, ok := e.failing[name]; !ok {
				e.failing[name] = t
				added++
			}
		}
		return added > 0
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

func (e *Endpoints) save() error {
	data, err := e.encode()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(e.path, data, 0o640); err != nil {
		return fmt.Errorf("webhook endpoints: %w", err)
	}
	return nil
}
