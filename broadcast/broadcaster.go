package broadcast

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// Advice modes.
const (
	ModeFull  = "full"
	ModeDelta = "delta"
)

// maxItemsPerSet is the most LIN loops one 846 set carries (the 004010
// LIN loop repeats up to 10,000 times); bigger advice is split into sets.
const maxItemsPerSet = 10000

// Identity is who we are in the envelopes we send.
type Identity struct {
	ISAQualifier string // ISA05, e.g. ZZ
	ISAID        string // ISA06
	GSID         string // GS02
}

// Broadcaster builds and sends partners' advice.
type Broadcaster struct {
	Ledger   *ledger.Ledger
	Outbox   *outbox.Store
	Store    *Store
	Partner  func(id string) (*partners.Profile, error)
	Identity Identity
	Now      func() time.Time
	Log      *slog.Logger

	running sync.Map // partner id → struct{}: a broadcast is under way
}

// Options choose what Broadcast does.
type Options struct {
	// Delta sends only what changed since the last accepted advice;
	// otherwise the profile's mode decides (Full forces full).
	Delta, Full bool
	// Send queues the advice in the outbox; without it the advice is
	// built and recorded as not sent.
	Send bool
}

// Result is one broadcast's outcome.
type Result struct {
	Broadcast Broadcast
	Lines     []mapping.AdviceLine
	Problems  []mapping.Problem
	X12       []byte
}

// Broadcast builds (and with opts.Send, queues) a partner's 846 now. It
// fails with ErrRunning while another broadcast for the partner runs.
func (b *Broadcaster) Broadcast(ctx context.Context, partnerID string, opts Options) (*Result, error) {
	p, err := b.Partner(partnerID)
	if err != nil {
		return nil, err
	}
	if p.Advice == nil {
		return nil, fmt.Errorf("%s: %w", partnerID, ErrNoAdvice)
	}
	if _, busy := b.running.LoadOrStore(partnerID, struct{}{}); busy {
		return nil, fmt.Errorf("%s: %w", partnerID, ErrRunning)
	}
	defer b.running.Delete(partnerID)
	if err := b.SyncAcks(partnerID); err != nil {
		return nil, err
	}
	mode := string(p.Advice.Mode)
	if opts.Delta {
		mode = ModeDelta
	}
	if opts.Full {
		mode = ModeFull
	}
	now := b.Now()
	seq, err := b.Ledger.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{Broadcast: Broadcast{Partner: partnerID, Time: now.UTC(), Mode: mode, Seq: seq, State: StateNotSent}}
	if err := b.lines(ctx, p, res, now); err != nil {
		return nil, err
	}
	if err := b.encode(p, res, opts.Send, now); err != nil {
		return nil, err
	}
	if opts.Send {
		if err := b.enqueue(p, res, now); err != nil {
			return nil, err
		}
	}
	if err := b.Store.record(&res.Broadcast, res.Lines); err != nil {
		return nil, err
	}
	if b.Log != nil {
		b.Log.Info("inventory advice", "partner", partnerID, "mode", mode, "items", len(res.Lines), "sent", opts.Send, "broadcast", res.Broadcast.ID)
	}
	return res, nil
}

// lines computes the advice lines: every SKU in scope, or for a delta the
// SKUs changed since the last accepted advice whose figure differs from it.
func (b *Broadcaster) lines(ctx context.Context, p *partners.Profile, res *Result, now time.Time) error {
	m := mapping.New(p)
	locs := p.Advice.Policy.Locations
	var bySKU [][]ledger.Balance
	var baseline map[string]int64
	if res.Broadcast.Mode == ModeDelta {
		acked, ps, err := b.Store.acked(p.ID)
		if err != nil {
			return err
		}
		if ps.AckedBroadcast == 0 {
			res.Broadcast.Mode = ModeFull // no baseline yet: the first advice is full
		} else {
			baseline = acked
			if bySKU, err = b.changedBalances(ctx, ps.AckedSeq, locs); err != nil {
				return err
			}
		}
	}
	var lines []mapping.AdviceLine
	var problems []mapping.Problem
	var err error
	if res.Broadcast.Mode == ModeFull {
		var ps PartnerState
		if ps, err = b.Store.Partner(p.ID); err != nil {
			return err
		}
		lines, problems, err = fullLines(ctx, b.Ledger, m, locs, ps.Split, now)
	} else {
		lines, problems, err = m.AdviceLines(bySKU, now)
	}
	if err != nil {
		return err
	}
	if baseline != nil {
		lines = slices.DeleteFunc(lines, func(l mapping.AdviceLine) bool {
			told, ok := baseline[l.SKU]
			return ok && told == l.Quantity
		})
	}
	res.Lines, res.Problems = lines, problems
	res.Broadcast.Items = len(lines)
	return nil
}

// fullLines computes the advice lines of every SKU at the locations. The
// ledger is listed in its own goroutines while the lines of the SKUs
// already complete are computed: with a split SKU (the middle of the
// partner's last full advice), the two halves are listed at once, so the
// listing, the longest part, uses both cores.
func fullLines(ctx context.Context, l *ledger.Ledger, m *mapping.Mapper, locs []string, split string, now time.Time) ([]mapping.AdviceLine, []mapping.Problem, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	halves := []*listing{listRange(ctx, l, locs, ledger.Position{}, split, 2)}
	if split != "" {
		halves = append(halves, listRange(ctx, l, locs, ledger.Position{SKU: split}, "", 64))
	}
	var lines []mapping.AdviceLine
	var problems []mapping.Problem
	var open [][]ledger.Balance // the last SKU, which the next page may continue
	add := func(groups [][]ledger.Balance) error {
		ls, ps, err := m.AdviceLines(groups, now)
		lines, problems = append(lines, ls...), append(problems, ps...)
		return err
	}
	for _, h := range halves {
		for page := range h.pages {
			groups := groupBySKU(open, page)
			if len(groups) == 0 {
				continue
			}
			if err := add(groups[:len(groups)-1]); err != nil {
				return nil, nil, err
			}
			open = groups[len(groups)-1:]
		}
		if err := <-h.err; err != nil {
			return nil, nil, err
		}
	}
	if err := add(open); err != nil {
		return nil, nil, err
	}
	return lines, problems, nil
}

// listing is the balances of a SKU range, page by page, listed by its own
// goroutine; err delivers the listing's outcome once pages is closed.
type listing struct {
	pages chan []ledger.Balance
	err   chan error
}

// listRange lists balances after the position, up to (not including) the
// SKU stop when it is set.
func listRange(ctx context.Context, l *ledger.Ledger, locs []string, after ledger.Position, stop string, buffer int) *listing {
	ls := &listing{pages: make(chan []ledger.Balance, buffer), err: make(chan error, 1)}
	go func() {
		defer close(ls.pages)
		f := ledger.Filter{Locations: locs, Limit: 20000, After: after}
		for {
			page, err := l.Balances(ctx, f)
			if err != nil {
				ls.err <- err
				return
			}
			full := len(page) == f.Limit
			if stop != "" {
				if i := sort.Search(len(page), func(i int) bool { return page[i].SKU >= stop }); i < len(page) {
					page, full = page[:i], false
				}
			}
			select {
			case ls.pages <- page:
			case <-ctx.Done():
				ls.err <- ctx.Err()
				return
			}
			if !full {
				ls.err <- nil
				return
			}
			last := page[len(page)-1]
			f.After = ledger.Position{SKU: last.SKU, Location: last.Location}
		}
	}()
	return ls
}

// groupBySKU appends balances (in SKU order) to groups, one group per SKU:
// runs of the page itself, except a SKU continued from the previous page.
func groupBySKU(groups [][]ledger.Balance, page []ledger.Balance) [][]ledger.Balance {
	for i := 0; i < len(page); {
		j := i + 1
		for j < len(page) && page[j].SKU == page[i].SKU {
			j++
		}
		if n := len(groups); n > 0 && groups[n-1][0].SKU == page[i].SKU {
			groups[n-1] = append(groups[n-1][:len(groups[n-1]):len(groups[n-1])], page[i:j]...)
		} else {
			groups = append(groups, page[i:j:j])
		}
		i = j
	}
	return groups
}

// changedBalances returns the balances of the SKUs that postings after seq
// touched at the locations, grouped by SKU.
func (b *Broadcaster) changedBalances(ctx context.Context, seq uint64, locs []string) ([][]ledger.Balance, error) {
	skus := map[string]bool{}
	for {
		changes, err := b.Ledger.ChangesSince(ctx, seq, 1000)
		if err != nil {
			return nil, err
		}
		for _, ch := range changes {
			for _, mv := range ch.Movements {
				if len(locs) == 0 || slices.Contains(locs, mv.Location) {
					skus[mv.SKU] = true
				}
			}
			seq = ch.Seq
		}
		if len(changes) < 1000 {
			break
		}
	}
	sorted := make([]string, 0, len(skus))
	for s := range skus {
		sorted = append(sorted, s)
	}
	slices.Sort(sorted)
	var out [][]ledger.Balance
	for _, sku := range sorted {
		page, err := b.Ledger.Balances(ctx, ledger.Filter{SKUPrefix: sku, Locations: locs})
		if err != nil {
			return nil, err
		}
		page = slices.DeleteFunc(page, func(bal ledger.Balance) bool { return bal.SKU != sku })
		if len(page) > 0 {
			out = append(out, page)
		}
	}
	return out, nil
}

// encode writes the advice as an X12 interchange: one group, sets of at
// most 10,000 items. Control numbers come from the outbox when sending.
func (b *Broadcaster) encode(p *partners.Profile, res *Result, send bool, now time.Time) error {
	m := mapping.New(p)
	isaVersion, gsVersion := "00401", "004010"
	if p.Advice.Version == partners.X12V5010 {
		isaVersion, gsVersion = "00501", "005010"
	}
	control := int64(1)
	if send {
		var err error
		if control, err = b.Outbox.ReserveControls(p.ID, outbox.ControlInterchange, 2); err != nil {
			return err
		}
	}
	recv := partners.ISAID{Qualifier: "ZZ", ID: p.ID}
	if len(p.Identities.ISA) > 0 {
		recv = p.Identities.ISA[0]
	}
	gsRecv := recv.ID
	if len(p.Identities.GS) > 0 {
		gsRecv = p.Identities.GS[0]
	}
	var buf bytes.Buffer
	w, err := x12.NewWriter(&buf, x12.DefaultDelimiters)
	if err != nil {
		return err
	}
	err = w.BeginInterchange(x12.InterchangeHeader{SenderQualifier: b.Identity.ISAQualifier, SenderID: b.Identity.ISAID,
		ReceiverQualifier: recv.Qualifier, ReceiverID: recv.ID, Version: isaVersion, Control: control, Time: now})
	if err != nil {
		return err
	}
	if err := w.BeginGroup(x12.GroupHeader{FunctionalID: "IB", AppSender: b.Identity.GSID, AppReceiver: gsRecv,
		Control: control + 1, Version: gsVersion, Time: now}); err != nil {
		return err
	}
	reference := fmt.Sprintf("ADV%09d", control)
	for set, start := 1, 0; start < len(res.Lines) || set == 1; set, start = set+1, start+maxItemsPerSet {
		chunk := res.Lines[start:min(start+maxItemsPerSet, len(res.Lines))]
		doc := m.Advice846(chunk, reference, now)
		if err := doc.Encode(w, fmt.Sprintf("%04d", set), gsVersion); err != nil {
			return fmt.Errorf("encoding the advice for %s: %w", p.ID, err)
		}
		if start+maxItemsPerSet >= len(res.Lines) {
			break
		}
	}
	if err := w.EndGroup(); err != nil {
		return err
	}
	if err := w.EndInterchange(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	res.X12 = buf.Bytes()
	res.Broadcast.Interchange = fmt.Sprintf("%09d", control)
	res.Broadcast.Group = fmt.Sprint(control + 1)
	return nil
}

// enqueue queues the advice on every outbound transport of the partner,
// expecting their acknowledgement within the profile's window.
func (b *Broadcaster) enqueue(p *partners.Profile, res *Result, now time.Time) error {
	outs := p.Transports.Outbound
	if len(outs) == 0 {
		return fmt.Errorf("%s: %w", p.ID, ErrNoTransport)
	}
	var deadline time.Time
	if p.Acks.ExpectWithin > 0 {
		deadline = now.Add(p.Acks.ExpectWithin)
	}
	for i, t := range outs {
		id, err := b.Outbox.Enqueue(&outbox.Message{
			Key: fmt.Sprintf("advice:%s:%s:%d", p.ID, res.Broadcast.Interchange, i), Partner: p.ID, Transport: t.Kind(), Kind: "846",
			Name: fmt.Sprintf("846-%s.x12", res.Broadcast.Interchange), Interchange: res.Broadcast.Interchange,
			Groups: []string{res.Broadcast.Group}, AckDeadline: deadline,
		}, res.X12)
		if err != nil {
			return err
		}
		res.Broadcast.Outbox = append(res.Broadcast.Outbox, id)
	}
	res.Broadcast.State = StateQueued
	return nil
}

// SyncAcks brings the partner's queued broadcasts up to date with the
// acknowledgements the outbox has recorded.
func (b *Broadcaster) SyncAcks(partnerID string) error {
	list, err := b.Store.List(partnerID, 1000)
	if err != nil {
		return err
	}
	for i := len(list) - 1; i >= 0; i-- {
		bc := list[i]
		if bc.State != StateQueued && bc.State != StateOverdue || len(bc.Outbox) == 0 {
			continue
		}
		m, err := b.Outbox.Get(bc.Outbox[0])
		if err != nil {
			return err
		}
		st := ackToState(m.AckState)
		if st == "" || st == bc.State {
			continue
		}
		if err := b.Store.setState(bc.ID, st); err != nil {
			return err
		}
	}
	return nil
}

func ackToState(a outbox.AckState) State {
	switch a {
	case outbox.AckAccepted:
		return StateAccepted
	case outbox.AckAcceptedErrors:
		return StateAcceptedErrors
	case outbox.AckRejected:
		return StateRejected
	case outbox.AckOverdue:
		return StateOverdue
	}
	return ""
}
