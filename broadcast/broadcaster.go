package broadcast

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
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

// DefaultJSONPageItems is the most items one request of a full JSON
// advice carries, as an 846 set.
const DefaultJSONPageItems = maxItemsPerSet

// metaAdvicePage is the outbox Meta key of a page of a paged JSON advice:
// "<transport index>/<page>/<pages>".
const metaAdvicePage = "advice_page"

// Identity is who we are in the envelopes we send.
type Identity struct {
	ISAQualifier string // ISA05, e.g. ZZ
	ISAID        string // ISA06
	GSID         string // GS02
}

// Broadcaster builds and sends partners' advice, and follows its fate in
// the outbox (Sync): what a channel may believe changes only when the
// transport confirms delivery.
type Broadcaster struct {
	Ledger   ledger.Store
	Outbox   outbox.Storage
	Store    Store
	Partner  func(id string) (*partners.Profile, error)
	Identity Identity
	Now      func() time.Time
	Log      *slog.Logger
	// Poll is how often near-real-time advice looks for ledger changes
	// (default 250 ms).
	Poll time.Duration
	// JSONPageItems caps the items of one request of a full JSON advice
	// (DefaultJSONPageItems when 0): a larger one goes out as pages, each
	// its own outbox message, and counts as delivered (the channel's
	// belief changes) only once every page of it was delivered.
	JSONPageItems int

	running sync.Map   // partner id → chan struct{} (capacity 1), full while a broadcast is under way
	syncMu  sync.Mutex // one Sync at a time
	nudgeMu sync.Mutex
	nudged  map[string]bool // partners whose advice was rejected: a delta should follow
}

// Options choose what Broadcast does.
type Options struct {
	// Delta sends only the items whose figure any channel belief
	// disagrees with; otherwise the profile's mode decides (Full forces
	// full).
	Delta, Full bool
	// Send queues the advice in the outbox; without it the advice is
	// built and recorded as not sent.
	Send bool
}

// Result is one broadcast's outcome. An advice with no items is neither
// encoded nor recorded: Empty is set and X12 and JSON are nil.
type Result struct {
	Broadcast Broadcast
	Lines     []mapping.AdviceLine
	Problems  []mapping.Problem
	// X12 is the 846 interchange (format x12), JSON its twin (format
	// json): exactly one is set when the advice has items.
	X12  []byte
	JSON []byte
	// JSONPages are the requests of a full JSON advice larger than
	// JSONPageItems (nil when JSON goes as one): JSON is then shown, the
	// pages are sent.
	JSONPages [][]byte
	Empty     bool
}

// Broadcast builds (and with opts.Send, queues) a partner's 846 now. It
// waits for a broadcast for the same partner under way (never two at
// once), and fails with ErrRunning if ctx ends first.
//
// The broadcast is recorded before it is queued, so a crash in between
// leaves a record whose messages Sync finds by their idempotency keys (or
// marks not sent): figures never reach a channel unrecorded. The new
// advice supersedes the partner's older advice not yet delivered; it
// carries every figure of theirs that could still matter (see lines).
func (b *Broadcaster) Broadcast(ctx context.Context, partnerID string, opts Options) (*Result, error) {
	p, err := b.Partner(partnerID)
	if err != nil {
		return nil, err
	}
	if p.Advice == nil {
		return nil, fmt.Errorf("%s: %w", partnerID, ErrNoAdvice)
	}
	if opts.Send && len(p.Transports.Outbound) == 0 {
		return nil, fmt.Errorf("%s: %w", p.ID, ErrNoTransport)
	}
	held, unlock, err := b.lock(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := b.Sync(ctx); err != nil {
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
	res := &Result{Broadcast: Broadcast{Partner: partnerID, Time: now.UTC(), Mode: mode, Seq: seq, Delivery: DeliveryNotSent}}
	if err := b.lines(ctx, p, res, now); err != nil {
		return nil, err
	}
	if len(res.Lines) == 0 {
		// Nothing to tell: no 846 with zero items, full or delta (see
		// the package doc). The figures were examined up to seq.
		res.Empty = true
		if opts.Send {
			if err := b.Store.Examined(partnerID, seq); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	if err := b.encode(p, res, opts.Send, now); err != nil {
		return nil, err
	}
	if opts.Send {
		res.Broadcast.Delivery = DeliveryQueued
		if p.Acks.ExpectWithin > 0 && p.Advice.Format != partners.AdviceJSON {
			res.Broadcast.Ack = AckPending
		}
	}
	if err := held(ctx); err != nil {
		return nil, err
	}
	if err := b.Store.Record(ctx, &res.Broadcast, res.Lines); err != nil {
		return nil, err
	}
	if opts.Send {
		if err := held(ctx); err != nil {
			return nil, err // recorded, never queued: Sync marks it not sent
		}
		if err := b.enqueue(ctx, p, res); err != nil {
			return nil, err
		}
		if err := b.supersede(ctx, &res.Broadcast); err != nil {
			return nil, err
		}
	}
	if b.Log != nil {
		b.Log.Info("inventory advice", "partner", partnerID, "mode", res.Broadcast.Mode, "items", len(res.Lines), "sent", opts.Send, "broadcast", res.Broadcast.ID)
	}
	return res, nil
}

// lock waits until no broadcast for the partner is under way and marks
// one: in this process, and on a store several processes share
// (PartnerLocker) in all of them. held reports whether the mark still
// holds (always on a store of one process); unlock ends it.
func (b *Broadcaster) lock(ctx context.Context, partner string) (held func(context.Context) error, unlock func(), err error) {
	v, _ := b.running.LoadOrStore(partner, make(chan struct{}, 1))
	sem := v.(chan struct{})
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("%s: %w (gave up waiting: %w)", partner, ErrRunning, ctx.Err())
	}
	locker, ok := b.Store.(PartnerLocker)
	if !ok {
		return func(context.Context) error { return nil }, func() { <-sem }, nil
	}
	l, err := locker.LockPartner(ctx, partner)
	if err != nil {
		<-sem
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("%s: %w (gave up waiting: %w)", partner, ErrRunning, err)
		}
		return nil, nil, err
	}
	return l.Held, func() { l.Release(); <-sem }, nil
}

// building reports whether a broadcast for the partner is under way: in
// this process, or on a store several share, in any of them.
func (b *Broadcaster) building(ctx context.Context, partner string) (bool, error) {
	if v, ok := b.running.Load(partner); ok && len(v.(chan struct{})) > 0 {
		return true, nil
	}
	if locker, ok := b.Store.(PartnerLocker); ok {
		return locker.Building(ctx, partner)
	}
	return false, nil
}

// lines computes the advice lines: every SKU in scope, or for a delta
// every SKU whose channel quantity differs from any figure the channel
// may believe (held, possible or unknown: see Beliefs). A delta looks at
// the SKUs the ledger changed since the partner was last examined and
// at the SKUs of its undelivered or rejected advice; any other SKU had
// every belief equal to its figure then, and the figure has not changed.
// The first advice ever sent is full.
func (b *Broadcaster) lines(ctx context.Context, p *partners.Profile, res *Result, now time.Time) error {
	m := mapping.New(p)
	locs := p.Advice.Policy.Locations
	ps, err := b.Store.Partner(p.ID)
	if err != nil {
		return err
	}
	var beliefs *Beliefs
	if res.Broadcast.Mode == ModeDelta {
		if ps.LastSent == 0 {
			res.Broadcast.Mode = ModeFull // no advice sent yet: the first one is full
		} else if beliefs, err = b.Store.Beliefs(p.ID); err != nil {
			return err
		}
	}
	var lines []mapping.AdviceLine
	var problems []mapping.Problem
	if beliefs == nil {
		lines, problems, err = fullLines(ctx, b.Ledger, m, locs, ps.Split, now)
	} else {
		lines, problems, err = b.deltaLines(ctx, m, locs, ps, beliefs, now)
	}
	if err != nil {
		return err
	}
	res.Lines, res.Problems = lines, problems
	res.Broadcast.Items = len(lines)
	return nil
}

// deltaLines computes the lines of the SKUs a delta must look at, and
// keeps those the channel may not agree with. Past a few thousand SKUs
// to look at, listing the whole scope is quicker than a lookup per SKU.
func (b *Broadcaster) deltaLines(ctx context.Context, m *mapping.Mapper, locs []string, ps PartnerState, beliefs *Beliefs, now time.Time) ([]mapping.AdviceLine, []mapping.Problem, error) {
	skus, err := b.changedSKUs(ctx, ps.Examined, locs)
	if err != nil {
		return nil, nil, err
	}
	for sku := range beliefs.Possible {
		skus[sku] = true
	}
	for sku := range beliefs.Unknown {
		skus[sku] = true
	}
	var lines []mapping.AdviceLine
	var problems []mapping.Problem
	if len(skus) > 2000 {
		lines, problems, err = fullLines(ctx, b.Ledger, m, locs, ps.Split, now)
		lines = slices.DeleteFunc(lines, func(l mapping.AdviceLine) bool { return !skus[l.SKU] })
	} else {
		var bySKU [][]ledger.Balance
		if bySKU, err = b.balancesOf(ctx, skus, locs); err != nil {
			return nil, nil, err
		}
		lines, problems, err = m.AdviceLines(bySKU, now)
	}
	if err != nil {
		return nil, nil, err
	}
	lines = slices.DeleteFunc(lines, func(l mapping.AdviceLine) bool { return beliefs.Agrees(l.SKU, l.Quantity) })
	return lines, problems, nil
}

// fullLines computes the advice lines of every SKU at the locations. The
// ledger is listed in its own goroutines while the lines of the SKUs
// already complete are computed: with a split SKU (the middle of the
// partner's last full advice), the two halves are listed at once, so the
// listing, the longest part, uses both cores.
func fullLines(ctx context.Context, l ledger.Store, m *mapping.Mapper, locs []string, split string, now time.Time) ([]mapping.AdviceLine, []mapping.Problem, error) {
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
func listRange(ctx context.Context, l ledger.Store, locs []string, after ledger.Position, stop string, buffer int) *listing {
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

// changedSKUs returns the SKUs that postings after seq touched at the
// locations (all when empty).
func (b *Broadcaster) changedSKUs(ctx context.Context, seq uint64, locs []string) (map[string]bool, error) {
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
			return skus, nil
		}
	}
}

// balancesOf returns the balances of the SKUs at the locations, grouped
// by SKU, in SKU order.
func (b *Broadcaster) balancesOf(ctx context.Context, skus map[string]bool, locs []string) ([][]ledger.Balance, error) {
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
// most 10,000 items; or, for format json, as its JSON twin (one document,
// numbered from the same control numbers). Control numbers come from the
// outbox when sending.
func (b *Broadcaster) encode(p *partners.Profile, res *Result, send bool, now time.Time) error {
	if p.Advice.Format == partners.AdviceJSON {
		return b.encodeJSON(p, res, send, now)
	}
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

// encodeJSON writes the advice as the 846's JSON twin. Its number (the
// broadcast's Interchange, used for its idempotency key) comes from the
// same control numbers as an X12 advice's; no group is expected back.
func (b *Broadcaster) encodeJSON(p *partners.Profile, res *Result, send bool, now time.Time) error {
	control := int64(1)
	if send {
		var err error
		if control, err = b.Outbox.ReserveControls(p.ID, outbox.ControlInterchange, 1); err != nil {
			return err
		}
	}
	m, ref := mapping.New(p), fmt.Sprintf("ADV%09d", control)
	body, err := m.AdviceJSON(res.Lines, ref, res.Broadcast.Mode, now)
	if err != nil {
		return err
	}
	res.JSON = body
	if per := cmp.Or(b.JSONPageItems, DefaultJSONPageItems); res.Broadcast.Mode == ModeFull && len(res.Lines) > per {
		// A delta is never paged: a page applied alone could raise a
		// channel's belief; a lone page of a full advice only lowers it.
		if res.JSONPages, err = m.AdviceJSONPages(res.Lines, ref, res.Broadcast.Mode, now, per); err != nil {
			return err
		}
	}
	res.Broadcast.Interchange = fmt.Sprintf("%09d", control)
	return nil
}

// adviceKey is the idempotency key of a broadcast's outbox message on
// the partner's i-th outbound transport.
func adviceKey(partner, interchange string, i int) string {
	return fmt.Sprintf("advice:%s:%s:%d", partner, interchange, i)
}

// advicePageKey is the idempotency key of page k (from 2) of a paged JSON
// advice on the partner's i-th outbound transport.
func advicePageKey(partner, interchange string, i, k int) string {
	return fmt.Sprintf("%s:page-%d", adviceKey(partner, interchange, i), k)
}

// enqueue queues the advice on every outbound transport of the partner,
// expecting their acknowledgement within the profile's window of
// delivery, and records the messages on the broadcast. An outbox that
// takes a context (outbox.ContextEnqueuer) gets ctx: on PostgreSQL the
// leader's advice is fenced by its term there too.
func (b *Broadcaster) enqueue(ctx context.Context, p *partners.Profile, res *Result) error {
	put := b.Outbox.Enqueue
	if ce, ok := b.Outbox.(outbox.ContextEnqueuer); ok {
		put = func(m *outbox.Message, body []byte) (uint64, error) { return ce.EnqueueContext(ctx, m, body) }
	}
	for i, t := range p.Transports.Outbound {
		m := &outbox.Message{
			Key: adviceKey(p.ID, res.Broadcast.Interchange, i), Partner: p.ID, Transport: t.Kind(), Kind: "846",
			Name: fmt.Sprintf("846-%s.x12", res.Broadcast.Interchange), Interchange: res.Broadcast.Interchange,
			Groups: []string{res.Broadcast.Group}, AckWithin: p.Acks.ExpectWithin,
			Meta: map[string]string{"content_type": "application/edi-x12"},
		}
		body := res.X12
		if res.JSON != nil {
			// No functional acknowledgement answers JSON advice.
			m.Name, m.Interchange, m.Groups, m.AckWithin = fmt.Sprintf("846-%s.json", res.Broadcast.Interchange), "", nil, 0
			m.Meta = map[string]string{"content_type": "application/json"}
			body = res.JSON
		}
		if len(res.JSONPages) > 0 {
			// Each page its own message; page 1 under the advice's key.
			for k, page := range res.JSONPages {
				pm := *m
				pm.Meta = map[string]string{"content_type": "application/json", metaAdvicePage: fmt.Sprintf("%d/%d/%d", i, k+1, len(res.JSONPages))}
				if k > 0 {
					pm.Key = advicePageKey(p.ID, res.Broadcast.Interchange, i, k+1)
					pm.Name = fmt.Sprintf("846-%s-p%d.json", res.Broadcast.Interchange, k+1)
				}
				id, err := put(&pm, page)
				if err != nil {
					return err
				}
				res.Broadcast.Outbox = append(res.Broadcast.Outbox, id)
			}
			continue
		}
		id, err := put(m, body)
		if err != nil {
			return err
		}
		res.Broadcast.Outbox = append(res.Broadcast.Outbox, id)
	}
	return b.Store.SetOutbox(res.Broadcast.ID, res.Broadcast.Outbox)
}

// supersede replaces the partner's older advice that is not delivered
// yet by the new one bc, which carries every figure of theirs that
// differs from the ledger now: a stale advice is never delivered after a
// newer one.
func (b *Broadcaster) supersede(ctx context.Context, bc *Broadcast) error {
	open, err := b.Store.Open()
	if err != nil {
		return err
	}
	for _, old := range open {
		if old.Partner != bc.Partner || old.ID >= bc.ID || !old.pending() {
			continue
		}
		for _, id := range old.Outbox {
			if _, err := b.Outbox.Supersede(id, bc.Outbox[0]); err != nil {
				return err
			}
		}
	}
	return b.Sync(ctx)
}

// Sync brings every broadcast whose fate may still change up to date
// with what the outbox knows of its messages: delivered (the channel now
// holds its figures), failed, superseded, acknowledged. Deliveries are
// applied in the order they happened.
func (b *Broadcaster) Sync(ctx context.Context) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	open, err := b.Store.Open()
	if err != nil {
		return err
	}
	type update struct {
		bc   Broadcast
		fate Fate
	}
	var updates []update
	for _, bc := range open {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(bc.Outbox) == 0 {
			building, err := b.building(ctx, bc.Partner)
			if err != nil {
				return err
			}
			if building {
				continue // its messages are being queued (here or on another node)
			}
			if bc.Outbox, err = b.recover(bc); err != nil {
				return err
			}
			if len(bc.Outbox) == 0 {
				continue // never queued: marked not sent
			}
		}
		f, err := b.fate(bc)
		if err != nil {
			return err
		}
		if f != (Fate{Delivery: bc.Delivery, DeliveredAt: bc.DeliveredAt, Ack: bc.Ack, AckAt: bc.AckAt}) {
			updates = append(updates, update{bc, f})
		}
	}
	sort.SliceStable(updates, func(i, j int) bool {
		return updates[i].fate.DeliveredAt.Before(updates[j].fate.DeliveredAt)
	})
	many := make([]FateUpdate, len(updates))
	for i, u := range updates {
		many[i] = FateUpdate{ID: u.bc.ID, Fate: u.fate}
	}
	if len(many) > 0 {
		if err := b.Store.UpdateMany(many); err != nil {
			return err
		}
	}
	for _, u := range updates {
		b.logFate(u.bc, u.fate)
	}
	return nil
}

// recover finds the messages of a broadcast recorded by a process that
// stopped before it could note them (by their idempotency keys); with
// none, nothing was queued and the broadcast is marked not sent.
func (b *Broadcaster) recover(bc Broadcast) ([]uint64, error) {
	var ids []uint64
	for i := 0; ; i++ {
		id, err := b.Outbox.Lookup(adviceKey(bc.Partner, bc.Interchange, i))
		if err != nil {
			return nil, err
		}
		if id == 0 {
			break
		}
		ids = append(ids, id)
		for k := 2; ; k++ { // the further pages of a paged JSON advice
			pid, err := b.Outbox.Lookup(advicePageKey(bc.Partner, bc.Interchange, i, k))
			if err != nil {
				return nil, err
			}
			if pid == 0 {
				break
			}
			ids = append(ids, pid)
		}
	}
	if len(ids) == 0 {
		return nil, b.Store.Update(bc.ID, Fate{Delivery: DeliveryNotSent})
	}
	return ids, b.Store.SetOutbox(bc.ID, ids)
}

// fate sums up a broadcast's outbox messages: delivered when one was
// delivered (acknowledged as that one is; for a paged JSON advice, when
// every page of one transport was, as of the last), superseded when all
// were, else sent, queued or failed.
func (b *Broadcaster) fate(bc Broadcast) (Fate, error) {
	var f Fate
	var sent, queued, failed, superseded int
	type paged struct {
		pages     int
		delivered map[int]time.Time
	}
	transports := map[string]*paged{}
	for _, id := range bc.Outbox {
		m, err := b.Outbox.Get(id)
		if err != nil {
			return f, err
		}
		if part := m.Meta[metaAdvicePage]; part != "" && m.State == outbox.Delivered {
			var i, k, n int
			if _, err := fmt.Sscanf(part, "%d/%d/%d", &i, &k, &n); err != nil || k < 1 || k > n {
				return f, fmt.Errorf("broadcast %d: outbox message %d: bad page %q", bc.ID, id, part)
			}
			t := transports[strconv.Itoa(i)]
			if t == nil {
				t = &paged{pages: n, delivered: map[int]time.Time{}}
				transports[strconv.Itoa(i)] = t
			}
			t.delivered[k] = m.DeliveredAt
			continue
		}
		switch m.State {
		case outbox.Delivered:
			if f.Delivery != DeliveryDelivered || m.DeliveredAt.Before(f.DeliveredAt) {
				f = Fate{Delivery: DeliveryDelivered, DeliveredAt: m.DeliveredAt, Ack: Ack(m.AckState), AckAt: m.AckAt}
			}
		case outbox.Sent:
			sent++
		case outbox.Queued, outbox.Sending:
			queued++
		case outbox.Failed, outbox.Dead:
			failed++
		case outbox.Superseded:
			superseded++
		}
	}
	for _, t := range transports {
		if len(t.delivered) < t.pages {
			continue // a page is missing: nothing of it counts as told
		}
		var at time.Time
		for _, d := range t.delivered {
			if d.After(at) {
				at = d
			}
		}
		if f.Delivery != DeliveryDelivered || at.Before(f.DeliveredAt) {
			f = Fate{Delivery: DeliveryDelivered, DeliveredAt: at}
		}
	}
	switch {
	case f.Delivery == DeliveryDelivered:
	case sent > 0:
		f.Delivery = DeliverySent
	case queued > 0:
		f.Delivery = DeliveryQueued
	case failed > 0:
		f.Delivery = DeliveryFailed
	case superseded > 0:
		f.Delivery = DeliverySuperseded
	default:
		f.Delivery = bc.Delivery
	}
	if f.Delivery != DeliveryDelivered && f.Delivery != DeliverySuperseded {
		f.Ack = bc.Ack // the clock starts at delivery
	}
	return f, nil
}

// logFate logs a broadcast's new fate: a failed delivery and a rejection
// at WARN (the channel keeps its old figures); a rejection also asks
// for a delta (Nudged).
func (b *Broadcaster) logFate(bc Broadcast, f Fate) {
	if f.Ack == AckRejected && bc.Ack != AckRejected {
		b.nudgeMu.Lock()
		if b.nudged == nil {
			b.nudged = map[string]bool{}
		}
		b.nudged[bc.Partner] = true
		b.nudgeMu.Unlock()
	}
	if b.Log == nil {
		return
	}
	switch {
	case f.Delivery == DeliveryFailed && bc.Delivery != DeliveryFailed:
		b.Log.Warn("inventory advice not delivered: the channel keeps its earlier figures", "partner", bc.Partner, "broadcast", bc.ID)
	case f.Ack == AckRejected && bc.Ack != AckRejected:
		b.Log.Warn("inventory advice rejected by the channel", "partner", bc.Partner, "broadcast", bc.ID)
	case f.Delivery == DeliveryDelivered && bc.Delivery != DeliveryDelivered:
		b.Log.Info("inventory advice delivered", "partner", bc.Partner, "broadcast", bc.ID, "items", bc.Items)
	}
}

// takeNudged returns and forgets the partners whose advice was rejected
// since the last call.
func (b *Broadcaster) takeNudged() []string {
	b.nudgeMu.Lock()
	defer b.nudgeMu.Unlock()
	var out []string
	for p := range b.nudged {
		out = append(out, p)
	}
	b.nudged = nil
	return out
}

// Figures returns what a partner's policy lets it sell now, by SKU: the
// lines a full advice would carry, computed without recording anything.
func (b *Broadcaster) Figures(ctx context.Context, partnerID string) (map[string]int64, error) {
	p, err := b.Partner(partnerID)
	if err != nil {
		return nil, err
	}
	if p.Advice == nil {
		return nil, fmt.Errorf("%s: %w", partnerID, ErrNoAdvice)
	}
	ps, err := b.Store.Partner(p.ID)
	if err != nil {
		return nil, err
	}
	lines, _, err := fullLines(ctx, b.Ledger, mapping.New(p), p.Advice.Policy.Locations, ps.Split, b.Now())
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(lines))
	for _, l := range lines {
		out[l.SKU] = l.Quantity
	}
	return out, nil
}
