package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of NATSOptions.
const (
	// DefaultNATSStream is the JetStream stream of the change events.
	DefaultNATSStream = "DOCKSIDE_CHANGES"
	// DefaultNATSPrefix begins the change events' subjects.
	DefaultNATSPrefix = "dockside.changes"
	// DefaultAckTimeout bounds the wait for a batch's acknowledgements.
	DefaultAckTimeout = 10 * time.Second
	// DefaultRecoverScan is how many of the stream's last messages a
	// sink reads back at most.
	DefaultRecoverScan = 10_000
)

// maxToken bounds a subject token; a longer one is hashed (SubjectToken).
const maxToken = 128

// NATSOptions configure a NATSSink.
type NATSOptions struct {
	// Stream is the JetStream stream (DefaultNATSStream). It is created,
	// over Prefix.>, with file storage, when it does not exist.
	Stream string
	// Prefix begins every subject (DefaultNATSPrefix): the subject of an
	// event is Prefix.<kind>.<location>.<sku> (see Subject). The stream's
	// messages under Prefix must be this sink's only.
	Prefix string
	// AckTimeout bounds the wait for the server's acknowledgement of a
	// batch (DefaultAckTimeout).
	AckTimeout time.Duration
	// RecoverScan bounds how many of the stream's last messages the sink
	// reads back at start and after a failure to find what it already
	// stored (DefaultRecoverScan).
	RecoverScan int
	// Log receives notices; nil: slog.Default().
	Log *slog.Logger
}

// NATSSink is a Sink that publishes events to NATS JetStream, one message
// per event, the event's CloudEvents JSON as the body.
//
// Each message carries Nats-Msg-Id "<prefix>:<event id>", so a retry
// within the stream's duplicate window is dropped by the server. The
// window is not relied on: the dedupe is forgotten after it (2 minutes by
// default), so before its first delivery and after every failure the sink
// reads the stream's last messages under its prefix back and skips the
// events found there. An event counts as delivered when the server has
// acknowledged it (stored, or a duplicate of a stored one).
type NATSSink struct {
	js     jetstream.JetStream // for publishing, acknowledgements timing out
	stream jetstream.Stream
	o      NATSOptions

	checked bool               // the stream's tail was read back since the last failure
	stored  map[[2]uint64]bool // positions found stored beyond the relay's cursor
	last    [2]uint64          // the highest position in stored
}

var _ Sink = (*NATSSink)(nil)

// NewNATSSink returns a sink publishing to o.Stream, which it creates
// when it does not exist.
func NewNATSSink(ctx context.Context, js jetstream.JetStream, o NATSOptions) (*NATSSink, error) {
	if o.Stream == "" {
		o.Stream = DefaultNATSStream
	}
	if o.Prefix == "" {
		o.Prefix = DefaultNATSPrefix
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	if o.RecoverScan <= 0 {
		o.RecoverScan = DefaultRecoverScan
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if err := CheckPrefix(o.Prefix); err != nil {
		return nil, err
	}
	st, err := js.Stream(ctx, o.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: o.Stream, Subjects: []string{o.Prefix + ".>"}, Storage: jetstream.FileStorage})
	}
	if err != nil {
		return nil, fmt.Errorf("stream: nats stream %s: %w", o.Stream, err)
	}
	// Publishes get a context of their own whose acknowledgements time
	// out: a future the server never answers is dropped rather than
	// holding one of the client's pending slots for ever.
	pub, err := jetstream.New(js.Conn(), jetstream.WithPublishAsyncTimeout(o.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("stream: nats: %w", err)
	}
	return &NATSSink{js: pub, stream: st, o: o}, nil
}

// CheckPrefix refuses a subject prefix with empty tokens, wildcards or
// white space.
func CheckPrefix(p string) error {
	for _, tok := range strings.Split(p, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			return fmt.Errorf("stream: nats subject prefix %q: tokens must be non-empty, without wildcards or white space", p)
		}
	}
	return nil
}

// Subject returns the subject of e under prefix:
// prefix.<kind>.<location>.<sku>, each token made subject-safe by
// SubjectToken.
func Subject(prefix string, e *Event) string {
	return prefix + "." + SubjectToken(e.Data.Kind) + "." + SubjectToken(e.Data.Location) + "." + SubjectToken(e.Data.SKU)
}

// SubjectToken makes s one subject token: ASCII letters, digits, '-' and
// '_' stay; every other byte (including '.', '*', '>', '%', space and
// each byte of a multi-byte UTF-8 character) becomes %XX, its value in
// upper-case hex, so "SKU.1/A" is "SKU%2E1%2FA". The empty string is
// "%" (no escape is a lone %). A token longer than 128 bytes once escaped
// is "~" and the first 32 hex digits of the SHA-256 of s.
func SubjectToken(s string) string {
	if s == "" {
		return "%"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			safe = false
			break
		}
	}
	if safe && len(s) <= maxToken {
		return s
	}
	var b strings.Builder
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if tokenByte(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	if b.Len() > maxToken {
		sum := sha256.Sum256([]byte(s))
		return "~" + hex.EncodeToString(sum[:16])
	}
	return b.String()
}

func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// MsgID returns the Nats-Msg-Id of e under prefix: "<prefix>:<event id>".
func MsgID(prefix string, e *Event) string { return prefix + ":" + e.ID }

// Deliver implements Sink: it publishes the events not already in the
// stream, without waiting between them, then waits for the server's
// acknowledgements in order.
func (s *NATSSink) Deliver(ctx context.Context, evs []Event) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	if !s.checked {
		if err := s.readBack(ctx, &evs[0]); err != nil {
			return 0, err
		}
		s.checked = true
	}
	futures := make([]jetstream.PubAckFuture, len(evs))
	var pubErr error
	sent := 0
	for i := range evs {
		e := &evs[i]
		if s.stored != nil && s.stored[pos(e)] {
			sent++
			continue
		}
		body, err := e.Marshal()
		if err != nil {
			pubErr = err
			break
		}
		m := nats.NewMsg(Subject(s.o.Prefix, e))
		m.Data = body
		m.Header.Set(jetstream.MsgIDHeader, MsgID(s.o.Prefix, e))
		m.Header.Set("Content-Type", "application/cloudevents+json")
		if futures[i], err = s.js.PublishMsgAsync(m); err != nil {
			pubErr = fmt.Errorf("publishing %s: %w", e.ID, err)
			break
		}
		sent++
	}
	timer := time.NewTimer(s.o.AckTimeout)
	defer timer.Stop()
	n := 0
	var ackErr error
	for i := 0; i < sent; i++ {
		f := futures[i]
		if f == nil {
			if ackErr == nil {
				n++
			}
			continue
		}
		select {
		case <-f.Ok():
			if ackErr == nil {
				n++
			}
		case err := <-f.Err():
			if ackErr == nil {
				ackErr = fmt.Errorf("publishing %s: %w", evs[i].ID, err)
			}
		case <-timer.C:
			if ackErr == nil {
				ackErr = fmt.Errorf("publishing %s: no acknowledgement within %v", evs[i].ID, s.o.AckTimeout)
			}
			i = sent // stop waiting: the rest is unknown
		case <-ctx.Done():
			if ackErr == nil {
				ackErr = ctx.Err()
			}
			i = sent
		}
	}
	err := errors.Join(ackErr, pubErr)
	if err == nil && n < len(evs) {
		err = ErrShortDelivery
	}
	if err != nil {
		// Some of the rest may be stored: read the stream back before the
		// retry rather than trust the duplicate window.
		s.checked = false
		return n, fmt.Errorf("stream: nats %s: %w", s.o.Stream, err)
	}
	if s.stored != nil && !evs[len(evs)-1].Before(s.last[0], int(s.last[1])) {
		s.stored = nil
	}
	return n, nil
}

func pos(e *Event) [2]uint64 { return [2]uint64{e.Data.Change, uint64(e.Data.Index)} }

// readBack finds the events at or after first that the stream already
// holds (published before a crash or a failure), reading the stream's
// messages under the prefix from the last one back until one before
// first, or RecoverScan messages.
func (s *NATSSink) readBack(ctx context.Context, first *Event) error {
	s.stored = nil
	last, err := s.stream.GetLastMsgForSubject(ctx, s.o.Prefix+".>")
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream: nats %s: reading the last message: %w", s.o.Stream, err)
	}
	info, err := s.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream: nats %s: %w", s.o.Stream, err)
	}
	stored := map[[2]uint64]bool{}
	var top [2]uint64
	for seq, n := last.Sequence, 0; seq >= max(info.State.FirstSeq, 1); seq, n = seq-1, n+1 {
		if n == s.o.RecoverScan {
			s.o.Log.Warn("nats change stream: read back the limit without reaching the cursor; relying on the duplicate window for the rest",
				"stream", s.o.Stream, "messages", n, "first", first.ID)
			break
		}
		msg := last
		if seq != last.Sequence {
			msg, err = s.stream.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // deleted
			}
			if err != nil {
				return fmt.Errorf("stream: nats %s: reading back message %d: %w", s.o.Stream, seq, err)
			}
		}
		if !strings.HasPrefix(msg.Subject, s.o.Prefix+".") {
			continue
		}
		id, _ := strings.CutPrefix(msg.Header.Get(jetstream.MsgIDHeader), s.o.Prefix+":")
		cseq, idx, err := ParseEventID(id)
		if err != nil {
			continue
		}
		e := Event{Data: Data{Change: cseq, Index: idx}}
		if e.Before(first.Data.Change, first.Data.Index) {
			break
		}
		p := pos(&e)
		stored[p] = true
		if p[0] > top[0] || p[0] == top[0] && p[1] > top[1] {
			top = p
		}
	}
	if len(stored) > 0 {
		s.stored, s.last = stored, top
		s.o.Log.Info("nats change stream: events already stored are skipped", "stream", s.o.Stream, "events", len(stored), "from", first.ID)
	}
	return nil
}
