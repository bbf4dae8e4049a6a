package inbox

import (
	"context"
	"io"
	"strings"
	"time"
)

// Storage is everything the gateway does with an inbox: the reads of
// Reader, receiving, claims and their outcomes, replays, duplicates by
// interchange, retention. Store implements it over bbolt and a blobs
// folder; inbox/postgres over PostgreSQL, for several nodes. Both pass
// the contract suite in inbox/inboxtest.
type Storage interface {
	Reader
	// Receive stores a file (its bytes durable before it returns) and
	// its record: a new message in the queue, or a Duplicate.
	Receive(ctx context.Context, a Arrival, body io.Reader) (*Message, error)
	// Claim takes the next waiting message (partners in turn) and marks
	// it processing; ErrEmptyQueue when none waits.
	Claim() (*Message, error)
	// Finish ends the claim of message id.
	Finish(id uint64, o Outcome) error
	// MarkInterchange records the interchange key of message id, or
	// returns the live message that carried it first.
	MarkInterchange(id uint64, key string) (dupOf uint64, err error)
	// ByKey returns the live (not failed) message a partner sent with
	// an idempotency key (Arrival.Key), or nil when there is none.
	ByKey(partner, key string) (*Message, error)
	// SetPartner records the partner of a message identified late.
	SetPartner(id uint64, partner string) error
	// Replay and ReplayBy put a failed message back in the queue.
	Replay(id uint64) (*Message, error)
	ReplayBy(id uint64, who string) (*Message, error)
	// Purge removes the bytes of done and duplicate messages last
	// updated before cutoff.
	Purge(cutoff time.Time) (int, error)
	// Notify receives a value when there may be work to claim.
	Notify() <-chan struct{}
	// Close closes the store.
	Close() error
}

var _ Storage = (*Store)(nil)

// SearchKeys returns the control numbers (leading zeros trimmed) and the
// document types under which Filter.Control and Filter.DocType find m:
// what a backend indexes. Values over 128 bytes are left out, and at
// most maxIndexedValues are kept.
func SearchKeys(m *Message) (controls, docTypes []string) {
	seen := map[string]bool{}
	add := func(list *[]string, kind, v string) {
		if v == "" || len(v) > 128 || seen[kind+v] || len(seen) >= maxIndexedValues {
			return
		}
		seen[kind+v] = true
		*list = append(*list, v)
	}
	if r := m.Result; r != nil {
		for _, ctl := range r.Controls {
			for _, part := range strings.Split(ctl, "/") {
				add(&controls, "c", trimControl(part))
			}
		}
		add(&docTypes, "d", r.DocType)
		for _, d := range r.Documents {
			if !strings.Contains(d, "|") { // types (x12/997), not document keys
				add(&docTypes, "d", d)
			}
		}
	}
	if parts := strings.Split(m.Interchange, "|"); len(parts) == 7 { // sender, receiver, ISA13, date, time
		add(&controls, "c", trimControl(parts[4]))
	}
	return controls, docTypes
}

// ControlKey is f.Control as SearchKeys keeps control numbers.
func (f *Filter) ControlKey() string {
	if f.Control == "" {
		return ""
	}
	return trimControl(f.Control)
}

// Match reports whether m meets every condition of f (its cursor, limit
// and scan bound aside): what a backend checks on the records it reads.
func (f *Filter) Match(m *Message) bool { return f.matches(m) }
