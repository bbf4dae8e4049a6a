package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/events"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
)

// Inventory events (docs/events.md) arrive as inbox messages of their
// partner whose Meta "kind" is "events" and whose bytes are the body as
// sent; the workers process them like files.
const (
	metaKind   = "kind"
	kindEvents = "events"
)

// PostEvents lands a body of inventory events from a partner in the inbox
// (transport http) and waits, until ctx ends, for the workers to process
// it; the message it returns is then done, failed or a duplicate, or
// still received or processing when ctx ended first. key is the
// request's Idempotency-Key (may be empty): with the key of a live
// message it records nothing and returns that message with earlier set,
// and the same key with another body is an error wrapping
// inbox.ErrKeyReused.
func (g *Gateway) PostEvents(ctx context.Context, partner, key string, body []byte) (m *inbox.Message, earlier bool, err error) {
	if key != "" {
		prev, err := g.Inbox.ByKey(partner, key)
		if err != nil {
			return nil, false, err
		}
		if prev != nil {
			if prev.SHA256 != sha256Hex(body) {
				return nil, false, fmt.Errorf("Idempotency-Key %q was sent with message %d: %w", key, prev.ID, inbox.ErrKeyReused)
			}
			return prev, true, nil
		}
	}
	a := inbox.Arrival{Partner: partner, Transport: "http", Meta: map[string]string{metaKind: kindEvents},
		Name: "events-" + g.now().UTC().Format("20060102T150405.000000000Z") + ".json", Key: key}
	m, err = g.Inbox.Receive(ctx, a, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	return g.waitFinished(ctx, m)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// waitFinished waits until message m leaves received and processing, or
// ctx ends. (earlier is false: a request that raced another with the
// same key past ByKey waits for that one's message as if it were its
// own.)
func (g *Gateway) waitFinished(ctx context.Context, m *inbox.Message) (*inbox.Message, bool, error) {
	const earlier = false
	if m.State != inbox.Received && m.State != inbox.Processing {
		return m, earlier, nil
	}
	done := g.waits.add(m.ID)
	defer g.waits.remove(m.ID, done)
	for {
		cur, err := g.Inbox.Get(m.ID)
		if err != nil {
			return nil, false, err
		}
		if cur.State != inbox.Received && cur.State != inbox.Processing {
			return cur, earlier, nil
		}
		select {
		case <-ctx.Done():
			return cur, earlier, nil
		case <-done:
		case <-time.After(time.Second): // a claim interrupted and taken up again
		}
	}
}

// finishWaits are the requests waiting for messages to finish.
type finishWaits struct {
	mu    sync.Mutex
	chans map[uint64]chan struct{}
}

// add returns the channel closed when message id finishes.
func (f *finishWaits) add(id uint64) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chans == nil {
		f.chans = map[uint64]chan struct{}{}
	}
	c, ok := f.chans[id]
	if !ok {
		c = make(chan struct{})
		f.chans[id] = c
	}
	return c
}

func (f *finishWaits) remove(id uint64, c chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chans[id] == c {
		delete(f.chans, id)
	}
}

// done wakes the requests waiting for message id.
func (f *finishWaits) done(id uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.chans[id]; ok {
		close(c)
		delete(f.chans, id)
	}
}

// isEvents reports whether a message holds inventory events.
func isEvents(m *inbox.Message) bool { return m.Meta[metaKind] == kindEvents }

// events processes a body of inventory events: decode and validate, map
// through the partner's events profile, post.
func (w *work) events(ctx context.Context, body io.Reader) error {
	w.res.DocType = kindEvents
	if !w.partnerByID() {
		if w.msg.Partner == "" {
			w.fail(w.msg.Name, "", "inventory events without a partner")
		}
		return nil
	}
	if w.profile.Events == nil {
		w.fail(w.msg.Name, "", "partner %s's profile has no events section", w.profile.ID)
		return nil
	}
	// Read into a buffer of the message's size (io.ReadAll would grow
	// one by doubling: twice the allocation for a batch of 1,000).
	buf := bytes.NewBuffer(make([]byte, 0, max(w.msg.Size, 0)+bytes.MinRead))
	if _, err := buf.ReadFrom(body); err != nil {
		return fmt.Errorf("reading events: %w", err)
	}
	data := buf.Bytes()
	if _, single := w.msg.Meta[metaNATSSequence]; single {
		if b := bytes.TrimLeft(data, " \t\r\n"); len(b) == 0 || b[0] != '{' {
			w.fail(w.msg.Name, "", "a NATS message must hold one event (a JSON object)")
			return nil
		}
	}
	evs, bad := events.Decode(data, events.Options{})
	src := mapping.Source{Partner: w.profile.ID, FileHash: w.msg.SHA256, FileName: w.msg.Name, Received: w.msg.ReceivedAt}
	res, err := w.g.mapper(w.profile.ID).Events(evs, bad, src)
	if err != nil && !errors.Is(err, mapping.ErrRejected) {
		w.fail(w.msg.Name, "", "%v", err)
		return nil
	}
	for i, p := range res.Problems {
		ip := eventProblem(p)
		if i < len(bad) { // the decoder's, first and in order
			ip.Code = events.Code(bad[i])
		}
		w.out.Errors = append(w.out.Errors, ip)
	}
	if len(res.Movements) == 0 {
		w.res.Documents = append(w.res.Documents, res.Key)
		return nil
	}
	w.keepRepeated = mapping.EventSourceKey(w.profile.ID, w.profile.Events.Source, "", 1) // the prefix before the id
	return w.post(ctx, res)
}

// eventProblem turns a mapping problem of an event into a message
// problem whose place is the JSON path of the field.
func eventProblem(p mapping.Problem) inbox.Problem {
	place := p.Place
	if p.Field != "" {
		if place != "" {
			place += "."
		}
		place += p.Field
	}
	msg := p.Reason
	if p.Value != "" {
		msg = fmt.Sprintf("%q: %s", p.Value, p.Reason)
	}
	return inbox.Problem{Place: place, Code: codeOf(p), Msg: msg}
}

// codeOf gives a mapping problem the events error class its reason falls
// in (the decoder's problems keep theirs in the message text).
func codeOf(p mapping.Problem) string {
	switch {
	case p.Field == "":
		return ""
	case strings.Contains(p.Reason, "not found in table"):
		return "unknown"
	}
	return "invalid"
}

// repeatedIDs turns the source keys of repeated event movements into
// event ids (prefix is the source keys' part before the id), first ones
// only, each once.
func repeatedIDs(prefix string, keys []string, into []string) []string {
	for _, k := range keys {
		if len(into) >= inbox.MaxRepeated {
			break
		}
		if id, ok := strings.CutPrefix(k, prefix); ok { // not a second movement: its key has another prefix
			into = append(into, id)
		}
	}
	return into
}
