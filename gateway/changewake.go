package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5"
)

// ledgerChannel is the PostgreSQL notification channel on which each
// node tells the others that it committed ledger postings: the change
// stream's relays, on the leader, wake on it at once rather than at the
// ledger's next poll of the change sequence (ledger/postgres, 1 s).
const ledgerChannel = "dockside_ledger_commit"

// notifyEvery is the least time between two notifications of one node:
// one NOTIFY covers the commits made meanwhile (NOTIFY serializes the
// commits that carry one, so they are kept few).
const notifyEvery = 10 * time.Millisecond

// wake is a broadcast signal: a channel closed at the next fire.
type wake struct {
	mu sync.Mutex
	ch chan struct{}
}

func (w *wake) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *wake) fire() {
	w.mu.Lock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
	w.mu.Unlock()
}

// changeSource is the ledger as the change stream's relays read it: on
// PostgreSQL its Committed also closes at another node's notification.
type changeSource struct {
	ledger.Store
	w *wake
}

var _ stream.Source = changeSource{}

// Committed returns a channel closed at the next commit of this node's
// ledger store or the next notification of another node.
func (s changeSource) Committed() <-chan struct{} { return s.w.wait() }

// changeSource returns the source of the change stream's relays.
func (g *Gateway) changeSource() stream.Source {
	if g.pool == nil {
		return g.Ledger
	}
	return changeSource{Store: g.Ledger, w: &g.ledgerWake}
}

// wakeOnCommits runs, on PostgreSQL, until ctx ends: it fires the relays'
// wake at each commit of this node's ledger store and notifies the other
// nodes (at most every notifyEvery), and it listens to the other nodes'
// notifications on a connection of its own (outside the pool) and fires
// the wake at each. The ledger's poll stays the safety net: a lost
// notification delays a relay by one poll at most. The same connection
// carries the other nodes' reloads, which reloadForCluster follows
// (clusterreload.go).
func (g *Gateway) wakeOnCommits(ctx context.Context) error {
	if g.pool == nil {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	reloads := make(chan clusterReload, 1) // another node's reload, while one waits (clusterreload.go)
	wg.Go(func() { g.listenCommits(ctx, reloads) })
	wg.Go(func() { g.reloadForCluster(ctx, reloads) })
	committed := g.Ledger.Committed()
	for {
		select {
		case <-committed:
		case <-ctx.Done():
			wg.Wait()
			return nil
		}
		committed = g.Ledger.Committed() // before the fire: a commit from now on closes it
		g.ledgerWake.fire()
		nctx, cancel := context.WithTimeout(ctx, storageCheckTimeout)
		if _, err := g.pool.Exec(nctx, "SELECT pg_notify($1, '')", ledgerChannel); err != nil && ctx.Err() == nil {
			g.log.Debug("notifying the ledger's commit", "err", err)
		}
		cancel()
		sleep(ctx, notifyEvery)
	}
}

// listenCommits fires the wake at each notification of another node,
// reconnecting after a second when the connection fails. On the same
// connection it hands the other nodes' reloads (reloadChannel) to
// reloads, keeping one waiting at most: it reads the profiles after all.
// Each time it listens (again), it reads the cluster's reload generation
// and hands over a reload when this node's profiles are behind it: a
// reload notified while this node was not listening.
func (g *Gateway) listenCommits(ctx context.Context, reloads chan clusterReload) {
	var lost error // why the connection failed: other nodes' reloads meanwhile were not notified here
	for ctx.Err() == nil {
		err := func() error {
			if g.testHooks.listen != nil {
				g.testHooks.listen(ctx)
			}
			conn, err := pgx.ConnectConfig(ctx, g.pool.Config().ConnConfig.Copy())
			if err != nil {
				return err
			}
			defer conn.Close(context.WithoutCancel(ctx))
			for _, ch := range []string{ledgerChannel, reloadChannel} {
				if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
					return err
				}
			}
			g.ledgerWake.fire() // what committed while not listening
			// Listening from now on: a reload bumped later is notified,
			// one bumped before is read here.
			gen, behind, err := g.behindCluster(ctx)
			if err != nil {
				return err
			}
			if behind {
				offer(reloads, clusterReload{generation: gen, missed: true})
			}
			if lost != nil {
				g.log.Warn("listening again to the other nodes' reloads and ledger commits after the connection was lost",
					"err", lost, "generation", gen, "behind", behind)
				lost = nil
			}
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					return err
				}
				if n.Channel == reloadChannel {
					r := parseReloadNotice(n.Payload)
					if r.Node != g.node && (r.Generation == 0 || r.Generation > g.reloadGen.Load()) {
						offer(reloads, clusterReload{from: r.Node, generation: r.Generation})
					}
					continue
				}
				g.ledgerWake.fire()
			}
		}()
		if ctx.Err() == nil {
			g.log.Debug("listening to the ledger's commits", "err", err)
			lost = err
			sleep(ctx, time.Second)
		}
	}
}
