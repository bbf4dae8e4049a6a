package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Sender delivers one message over one transport.
type Sender interface {
	Send(ctx context.Context, m *Message, body []byte) (Receipt, error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m *Message, body []byte) (Receipt, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m *Message, body []byte) (Receipt, error) {
	return f(ctx, m, body)
}

var _ Sender = SenderFunc(nil)

// Dispatcher sends due messages with the sender of their transport.
type Dispatcher struct {
	Store   Storage
	Senders map[string]Sender // by Message.Transport
	Log     *slog.Logger
	// Poll is how often due retries are looked for (default 1 s).
	Poll time.Duration
	// Timeout bounds one attempt (default 2 min).
	Timeout time.Duration
}

// Run sends until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	poll := d.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := d.SendDue(ctx); err != nil && d.Log != nil {
			d.Log.Error("outbox dispatch", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.Store.Notify():
		}
	}
}

// SendDue makes one attempt for every due message and returns how many it
// tried.
func (d *Dispatcher) SendDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		due, err := d.Store.Due(16)
		if err != nil || len(due) == 0 {
			return n, err
		}
		for _, m := range due {
			n++
			d.attempt(ctx, m)
		}
	}
	return n, nil
}

func (d *Dispatcher) attempt(ctx context.Context, m *Message) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	sender, ok := d.Senders[m.Transport]
	var r Receipt
	var err error
	if !ok {
		err = fmt.Errorf("%w %q", ErrNoSender, m.Transport)
	} else {
		var body []byte
		if body, err = d.Store.Body(m.ID); err == nil {
			actx, cancel := context.WithTimeout(ctx, timeout)
			r, err = sender.Send(actx, m, body)
			cancel()
		}
	}
	if err != nil {
		if d.Log != nil {
			d.Log.Warn("outbound attempt failed", "id", m.ID, "partner", m.Partner, "transport", m.Transport, "attempt", m.Attempts, "err", err)
		}
		if ferr := d.Store.Failed(m.ID, err); ferr != nil && d.Log != nil {
			d.Log.Error("outbox", "id", m.ID, "err", ferr)
		}
		return
	}
	if d.Log != nil {
		d.Log.Info("outbound message sent", "id", m.ID, "partner", m.Partner, "transport", m.Transport, "kind", m.Kind, "pending", r.Pending)
	}
	if err := d.Store.Succeeded(m.ID, r); err != nil && d.Log != nil {
		d.Log.Error("outbox", "id", m.ID, "err", err)
	}
}
