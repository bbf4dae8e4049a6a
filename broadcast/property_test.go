package broadcast

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

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

// TestPropertyChannelSettlesOnThePolicy: random sequences of ledger
// changes, advice (delta and full), delivery failures, acknowledgements,
// rejections and restarts; once deliveries work and the system settles,
// for every SKU the figure the channel holds (from the last advice it
// applied) equals the policy applied to the ledger, and the store
// believes exactly that.
func TestPropertyChannelSettlesOnThePolicy(t *testing.T) {
	seeds := 16
	if testing.Short() {
		seeds = 6
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runProperty(t, uint64(seed)) })
	}
}

func runProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 14))
	dir := t.TempDir()
	pdir := filepath.Join(dir, "partners")
	os.MkdirAll(pdir, 0o755)
	os.WriteFile(filepath.Join(pdir, "propshop.yaml"), []byte(propertyChannel), 0o644)
	d, err := partners.Load(pdir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	clock := newFakeClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	b := &Broadcaster{Ledger: l, Partner: d.ByID, Now: clock.Now, Identity: Identity{ISAQualifier: "ZZ", ISAID: "DOCKSIDE", GSID: "DOCKSIDE"}}
	open := func() {
		if b.Outbox, err = outbox.Open(dir, &outbox.Options{Now: clock.Now, MaxAttempts: 3, BaseDelay: time.Minute, MaxDelay: 2 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		if b.Store, err = OpenStore(dir); err != nil {
			t.Fatal(err)
		}
	}
	closeAll := func() { b.Store.Close(); b.Outbox.Close() }
	open()
	defer func() { closeAll() }()
	ctx := context.Background()
	ch := &channelSim{holds: map[string]string{}}
	docs := 0
	var log []string

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
	broadcast := func(opts Options) {
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
			broadcast(Options{Delta: true})
		case op < 6:
			broadcast(Options{Full: true})
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
			inflight = nil
			log = append(log, "restart")
		}
		clock.Advance(time.Duration(rng.IntN(90)) * time.Second)
	}

	// Settle: deliveries work and the channel accepts everything.
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
		res, err := b.Broadcast(ctx, "propshop", Options{Delta: true, Send: true})
		if err != nil {
			t.Fatal(err)
		}
		if pending, _, _ := b.Outbox.Backlog(); res.Empty && pending == 0 {
			break
		}
	}
	want, err := b.Broadcast(ctx, "propshop", Options{Full: true})
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
