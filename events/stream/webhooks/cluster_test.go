package webhooks

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// memState is a webhook.SharedState in memory: what the nodes of a
// cluster share.
type memState struct {
	mu  sync.Mutex
	doc []byte
}

func (m *memState) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.doc), nil
}

func (m *memState) Update(_ context.Context, change func([]byte) ([]byte, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next, err := change(slices.Clone(m.doc))
	if err != nil {
		return err
	}
	m.doc = next
	return nil
}

// TestActionsOnANodeThatDoesNotRelay: a Manager whose Run does not run
// (a node other than the cluster's leader) refuses Enable and Redeliver
// with ErrNotRelaying when nothing is shared to pass them on; with a
// shared endpoints' list and a Redeliveries store, the relaying node
// (another Manager on the same stores) takes the redelivery up and
// delivers again from that change.
func TestActionsOnANodeThatDoesNotRelay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	secret := stdwebhooks.NewSecret()
	r := whtest.Start(t, secret.Text())
	sub := subscriber("erp", r, secret)

	idle, err := New(Options{Ledger: f.ledger, Cursors: f.cursors, Endpoints: f.eps}, []Subscriber{sub})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idle.Enable("erp"); !errors.Is(err, ErrNotRelaying) {
		t.Errorf("Enable on a node that does not relay: %v, want ErrNotRelaying", err)
	}
	if err := idle.Redeliver(ctx, "erp", 1); !errors.Is(err, ErrNotRelaying) {
		t.Errorf("Redeliver on a node that does not relay: %v, want ErrNotRelaying", err)
	}

	shared := &memState{}
	eps := func() *webhook.Endpoints {
		e, err := webhook.OpenSharedEndpoints(ctx, shared)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	asked, err := stream.OpenBoltCursors(filepath.Join(t.TempDir(), "redeliveries.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { asked.Close() })
	f.eps = eps()
	leader := f.startWith(func(o *Options) { o.Redeliveries = asked }, sub)
	follower, err := New(Options{Ledger: f.ledger, Cursors: f.cursors, Endpoints: eps(), Redeliveries: asked}, []Subscriber{sub})
	if err != nil {
		t.Fatal(err)
	}
	f.post(4)
	eventually(t, "four events", func() bool { return len(accepted(t, r)) == 4 })
	// The follower knows the saved cursor only.
	eventually(t, "the cursor saved", func() bool { c, err := f.cursors.Cursor(ctx, "erp"); return err == nil && c == 4 })
	if !leader.Running() || follower.Running() {
		t.Fatalf("Running: leader %v, follower %v", leader.Running(), follower.Running())
	}
	if err := follower.Redeliver(ctx, "erp", 6); !errors.Is(err, ErrPosition) {
		t.Errorf("a redelivery past the cursor: %v, want ErrPosition", err)
	}
	if err := follower.Redeliver(ctx, "erp", 3); err != nil {
		t.Fatalf("Redeliver on the follower: %v", err)
	}
	want := append(wantIDs(1, 4), wantIDs(3, 4)...)
	eventually(t, "the redelivery from change 3", func() bool { return slices.Equal(accepted(t, r), want) })
	eventually(t, "the request deleted once applied", func() bool {
		all, err := asked.Cursors(ctx)
		return err == nil && len(all) == 0
	})
	// Disabled on the leader (410), enabled on the follower.
	r.SetStatus(t, 410)
	f.post(1)
	eventually(t, "the subscriber disabled", func() bool { _, off := f.eps.Disabled(Endpoint("erp"), sub.Target.URL); return off })
	r.SetStatus(t, 200)
	if was, err := follower.Enable("erp"); err != nil || !was {
		t.Fatalf("Enable on the follower: %v, %v", was, err)
	}
	eventually(t, "delivery after the Enable", func() bool { return slices.Contains(accepted(t, r), stream.EventID(5, 0)) })
}
