package broadcasttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// Backends are the stores one run of the property works on: a ledger,
// and the outbox and broadcast store, which a restart closes and opens
// again.
type Backends struct {
	// Ledger is the ledger; the caller closes it when the test ends.
	Ledger ledger.Store
	// Open opens the outbox with the options given (the test's clock,
	// retries) and the broadcast store, on the same storage every time.
	Open func(t *testing.T, o outbox.Options) (outbox.Storage, broadcast.Store)
	// Lease is how long the messages a closed outbox was sending wait
	// before an outbox opened again may send them (a claim's lease on
	// PostgreSQL; 0 on bbolt, where Open takes them up at once).
	Lease time.Duration
}

// Property runs the property test of the broadcaster with the stores
// of open (new, empty ones for each seed): random sequences of ledger
// changes, advice (delta and full), delivery failures,
// acknowledgements, rejections and restarts; once deliveries work and
// the system settles, for every SKU the figure the channel holds (from
// the last advice it applied) equals the policy applied to the ledger,
// and the store believes exactly that. It runs 16 seeds (6 with
// -short) in parallel, so open must be safe for concurrent use.
func Property(t *testing.T, open func(t *testing.T) Backends) {
	seeds := 16
	if testing.Short() {
		seeds = 6
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel() // each seed on stores of its own; their waits for leases overlap
			runProperty(t, uint64(seed), open(t))
		})
	}
}

const propertyChannel = `id: propshop
name: Property Shop
role: channel
identities:
  isa: [{qualifier: ZZ, id: PROPSHOP}]
transports:
  outbound:
    - folder: {path: out}
acks:
  expect_within: 1h
advice:
  schedule: "0 * * * *"
  mode: delta
  items: {qualifier: SK}
  policy: {share_percent: 50, safety_stock: 1, max: 40, locations: [L1, L2]}
`

// channelSim is the channel's side: it applies the advice delivered to
// it, in delivery order, unless it rejects it, and answers with a 997
// later.
type channelSim struct {
	holds map[string]string
	acks  []outbox.AckReport // not yet told
}

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func runProperty(t *testing.T, seed uint64, bk Backends) {
	rng := rand.New(rand.NewPCG(seed, 14))
	pdir := filepath.Join(t.TempDir(), "partners")
	os.MkdirAll(pdir, 0o755)
	os.WriteFile(filepath.Join(pdir, "propshop.yaml"), []byte(propertyChannel), 0o644)
	d, err := partners.Load(pdir)
	if err != nil {
		t.Fatal(err)
	}
	l := bk.Ledger
	clock := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	b := &broadcast.Broadcaster{Ledger: l, Partner: d.ByID, Now: clock.Now, Identity: broadcast.Identity{ISAQualifier: "ZZ", ISAID: "DOCKSIDE", GSID: "DOCKSIDE"}}
	open := func() {
		b.Outbox, b.Store = bk.Open(t, outbox.Options{Now: clock.Now, MaxAttempts: 3, BaseDelay: time.Minute, MaxDelay: 2 * time.Minute})
	}
	closeAll := func() { b.Store.Close(); b.Outbox.Close() }
	open()
	defer func() { closeAll() }()
	ctx := context.Background()
	ch := &channelSim{holds: map[string]string{}}
	docs := 0
	var log []string
	var orphaned time.Time // the last restart with messages being sent, on the machine's clock

	var inflight []*outbox.Message // attempts under way
	startSending := func() {
		due, err := b.Outbox.Due(100)
		if err != nil {
			t.Fatal(err)
		}
		inflight = append(inflight, due...)
	}
	deliver := func(failRate float64, rejectRate float64) {
		due := inflight
		inflight = nil
		for _, m := range due {
			if rng.Float64() < failRate {
				b.Outbox.Failed(m.ID, errors.New("drop folder not writable"))
				log = append(log, fmt.Sprintf("fail %d", m.ID))
				continue
			}
			body, _ := b.Outbox.Body(m.ID)
			if err := b.Outbox.Succeeded(m.ID, outbox.Receipt{Text: "renamed"}); err != nil {
				t.Fatal(err)
			}
			ack := outbox.AckReport{Partner: m.Partner, Group: m.Groups[0], State: outbox.AckAccepted}
			if rng.Float64() < rejectRate {
				ack.State = outbox.AckRejected // it keeps what it had
			} else {
				for k, v := range quantities(t, body) {
					ch.holds[k] = v
				}
			}
			ch.acks = append(ch.acks, ack)
			log = append(log, fmt.Sprintf("deliver %d (%s)", m.ID, ack.State))
		}
	}
	tellAcks := func(n int) {
		for ; n > 0 && len(ch.acks) > 0; n-- {
			if _, err := b.Outbox.RecordAck(ch.acks[0]); err != nil {
				t.Fatal(err)
			}
			ch.acks = ch.acks[1:]
		}
	}
	advise := func(opts broadcast.Options) {
		opts.Send = true
		res, err := b.Broadcast(ctx, "propshop", opts)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, fmt.Sprintf("advice %s %d items", res.Broadcast.Mode, len(res.Lines)))
	}

	for step := 0; step < 40; step++ {
		switch op := rng.IntN(10); {
		case op < 3:
			docs++
			sku, loc := fmt.Sprintf("S%d", rng.IntN(6)), fmt.Sprintf("L%d", 1+rng.IntN(3))
			q := int64(rng.IntN(60) - 20)
			_, err := l.Post(ctx, ledger.Document{Key: fmt.Sprint("d", docs), Movements: []ledger.Movement{{SourceKey: fmt.Sprint("d", docs),
				SKU: sku, Location: loc, Kind: ledger.KindAdjust, Quantity: q, Reason: "test", Effective: clock.Now()}}})
			if err != nil {
				t.Fatal(err)
			}
			log = append(log, fmt.Sprintf("change %s@%s %+d", sku, loc, q))
		case op < 5:
			advise(broadcast.Options{Delta: true})
		case op < 6:
			advise(broadcast.Options{Full: true})
		case op < 7:
			startSending()
		case op < 8:
			deliver(0.4, 0.2)
		case op < 9:
			tellAcks(rng.IntN(3))
			if err := b.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		default:
			closeAll() // a restart: what was being sent is sent again
			open()
			if len(inflight) > 0 {
				orphaned = time.Now()
			}
			inflight = nil
			log = append(log, "restart")
		}
		clock.Advance(time.Duration(rng.IntN(90)) * time.Second)
	}

	// Settle: deliveries work and the channel accepts everything. What
	// a closed outbox was sending is taken up once its lease ran out.
	if wait := time.Until(orphaned.Add(bk.Lease + 100*time.Millisecond)); bk.Lease > 0 && wait > 0 {
		time.Sleep(wait)
	}
	for round := 0; ; round++ {
		if round == 20 {
			t.Fatalf("did not settle; steps:\n%v", log)
		}
		clock.Advance(5 * time.Minute) // past any retry's backoff
		deliver(0, 0)
		startSending()
		deliver(0, 0)
		tellAcks(len(ch.acks))
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := b.Broadcast(ctx, "propshop", broadcast.Options{Delta: true, Send: true})
		if err != nil {
			t.Fatal(err)
		}
		if pending, _, _ := b.Outbox.Backlog(); res.Empty && pending == 0 {
			break
		}
	}
	want, err := b.Broadcast(ctx, "propshop", broadcast.Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	believes, _ := b.Store.Believes("propshop")
	for _, line := range want.Lines {
		if got := ch.holds[line.PartnerID]; got != fmt.Sprint(line.Quantity) {
			t.Errorf("%s: the channel holds %q, the policy says %d; steps:\n%v", line.SKU, got, line.Quantity, log)
		}
		if believes[line.SKU] != line.Quantity {
			t.Errorf("%s: the store believes %d, the policy says %d", line.SKU, believes[line.SKU], line.Quantity)
		}
	}
}

// quantities returns the quantity of each item of an 846 interchange.
func quantities(t *testing.T, body []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	_, err := x12.Check(bytes.NewReader(body), x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
		doc, err := documents.Decode846(tx)
		if err != nil {
			return err
		}
		for _, it := range doc.Items {
			out[it.IDs[0].ID] = string(it.Quantities[0].Quantity)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
