package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
// failing ones last succeeded, one JSON file written atomically. An
// endpoint is disabled for one URL: configuring another URL for it
// enables it.
type Endpoints struct {
	path    string
	mu      sync.Mutex
	off     map[string]EndpointState
	failing map[string]time.Time // endpoint → first failure since its last success
}

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
	var f endpointsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("webhook endpoints: %s: %w", path, err)
	}
	for _, s := range f.Disabled {
		e.off[s.Name] = s
	}
	for name, t := range f.FailingSince {
		e.failing[name] = t
	}
	return e, nil
}

// Failing records a failure of the endpoint and returns the first
// failure since its last success (persisted: the clock survives a
// restart).
func (e *Endpoints) Failing(name string, at time.Time) (time.Time, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if since, ok := e.failing[name]; ok {
		return since, nil
	}
	e.failing[name] = at.UTC()
	return at.UTC(), e.save()
}

// Succeeded records a success of the endpoint: its failure clock stops.
func (e *Endpoints) Succeeded(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.failing[name]; !ok {
		return nil
	}
	delete(e.failing, name)
	return e.save()
}

// Disabled returns the state of the endpoint when it is disabled at this
// URL.
func (e *Endpoints) Disabled(name, url string) (EndpointState, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
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
	if s, ok := e.off[name]; ok && s.URL == redact(url) {
		return false, nil
	}
	e.off[name] = EndpointState{Name: name, URL: redact(url), Since: at.UTC(), Reason: reason}
	return true, e.save()
}

// Enable enables the endpoint again; it reports whether it was disabled.
func (e *Endpoints) Enable(name string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.off[name]; !ok {
		return false, nil
	}
	delete(e.off, name)
	delete(e.failing, name)
	return true, e.save()
}

// List returns the disabled endpoints by name, those under prefix only
// when it is set.
func (e *Endpoints) List(prefix string) []EndpointState {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []EndpointState
	for _, s := range e.off {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b EndpointState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (e *Endpoints) save() error {
	f := endpointsFile{Disabled: make([]EndpointState, 0, len(e.off)), FailingSince: e.failing}
	for _, s := range e.off {
		f.Disabled = append(f.Disabled, s)
	}
	slices.SortFunc(f.Disabled, func(a, b EndpointState) int { return strings.Compare(a.Name, b.Name) })
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(e.path, data, 0o640); err != nil {
		return fmt.Errorf("webhook endpoints: %w", err)
	}
	return nil
}
