package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/divergence"
	divergencepg "github.com/dockside-edi/dockside/divergence/postgres"
	"github.com/dockside-edi/dockside/inbox"
	inboxpg "github.com/dockside-edi/dockside/inbox/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/outbox"
	outboxpg "github.com/dockside-edi/dockside/outbox/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lockedLog is a node's log, written by its goroutines, read by the test.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// countingInbox counts the retention passes (Purge) of a node.
type countingInbox struct {
	inbox.Storage
	purges atomic.Int32
}

func (c *countingInbox) Purge(cutoff time.Time) (int, error) {
	c.purges.Add(1)
	return c.Storage.Purge(cutoff)
}

// countingOutbox counts the passes of a node's acknowledgement clock
// (MarkOverdue).
type countingOutbox struct {
	outbox.Storage
	marks atomic.Int32
}

func (c *countingOutbox) MarkOverdue() ([]*outbox.Message, error) {
	c.marks.Add(1)
	return c.Storage.MarkOverdue()
}

// countingBroadcasts counts the passes of a node's advice follow-up
// (Sync lists the open broadcasts).
type countingBroadcasts struct {
	broadcast.Store
	opens atomic.Int32
}

func (c *countingBroadcasts) Open() ([]broadcast.Broadcast, error) {
	c.opens.Add(1)
	return c.Store.Open()
}

// waitLong is waitFor with a minute's patience: the cluster tests share
// a loaded machine with others.
func waitLong(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// leaderNode is a cluster node with what the test watches of it.
type leaderNode struct {
	*clusterNode
	log        *lockedLog
	inbox      *countingInbox
	outbox     *countingOutbox
	broadcasts *countingBroadcasts
}

// seedLeaderWork puts in the shared database, before any node serves,
// one piece of work for each loop that must run once in a cluster: an
// acknowledgement past its deadline, a message processed 100 days ago
// (past the default retention of 90), and a divergence of acme-3pl seen 10 minutes ago.
func seedLeaderWork(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	out, err := outboxpg.Open(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := out.Enqueue(&outbox.Message{Partner: "acme-3pl", Transport: "sftp", Kind: "940", Name: "940-late.x12",
		AckDeadline: time.Now().Add(-time.Minute)}, []byte("ISA*late~")); err != nil {
		t.Fatal(err)
	}
	due, err := out.Due(1) // delivered before the nodes start: no dispatcher holds it
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v, %v", due, err)
	}
	if err := out.Succeeded(due[0].ID, outbox.Receipt{Text: "delivered"}); err != nil {
		t.Fatal(err)
	}
	in, err := inboxpg.Open(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := in.Receive(ctx, inbox.Arrival{Partner: "acme-3pl", Transport: "test", Name: "old.edi"}, strings.NewReader("old bytes")); err != nil {
		t.Fatal(err)
	}
	m, err := in.Claim()
	if err != nil || m == nil {
		t.Fatalf("claim: %v, %v", m, err)
	}
	if err := in.Finish(m.ID, inbox.Outcome{State: inbox.Done}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE inbox_messages SET updated_at = now() - interval '100 days'`); err != nil {
		t.Fatal(err)
	}
	div, err := divergencepg.Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	defer div.Close()
	if err := div.Report([]divergence.Reported{{Partner: "acme-3pl", SKU: "LEADER-ONLY", Location: "dallas", Quantity: 999, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := div.Track([]divergence.Row{{Kind: divergence.KindLocation, Partner: "acme-3pl", SKU: "LEADER-ONLY", Location: "dallas"}},
		time.Now().Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// startLeaderNode starts a node contending for the lease as holder (6 s
// terms: long enough that a loaded machine does not lose a renewal),
// with acme-3pl's divergences posted to webhook after a minute, the
// divergence report every 50 ms, and its retention, acknowledgement
// clock and advice follow-up counted.
func startLeaderNode(t *testing.T, pool *pgxpool.Pool, holder, webhook string) *leaderNode {
	t.Helper()
	l, err := clusterpg.New(context.Background(), pool, leaderLease, holder, 6*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n := &leaderNode{log: &lockedLog{}}
	opts := &Options{Lease: l, Logger: slog.New(slog.NewTextHandler(n.log, nil))}
	n.clusterNode = startClusterNode(t, pool.Config().ConnString(), opts, func(g *Gateway) {
		profile := filepath.Join(g.Config.Partners, "acme-3pl.yaml")
		f, err := os.OpenFile(profile, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "divergence:\n  warn_after: 1m\n  webhook: %s\n", webhook)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := g.ReloadPartners(); err != nil {
			t.Fatal(err)
		}
		g.Divergence.Every = 50 * time.Millisecond
		n.inbox = &countingInbox{Storage: g.Inbox}
		n.outbox = &countingOutbox{Storage: g.Outbox}
		n.broadcasts = &countingBroadcasts{Store: g.Advice.Store}
		g.Inbox, g.Outbox, g.Advice.Store = n.inbox, n.outbox, n.broadcasts
	})
	return n
}

// nextReports waits until the node's divergence monitor has computed k
// reports after the one it had (so the alerts of those before are done).
func (n *leaderNode) nextReports(t *testing.T, k int) {
	t.Helper()
	for range k {
		before := n.g.Divergence.Last()
		waitLong(t, "the leader's next divergence report", func() bool {
			last := n.g.Divergence.Last()
			return last != nil && (before == nil || last.AsOf.After(before.AsOf))
		})
	}
}

// TestClusterLeaderOnlyWorkRunsOnce: two nodes serve on one PostgreSQL
// with an acknowledgement overdue, a message past retention and a
// divergence past its partner's threshold. The leader alone runs the
// acknowledgement clock, retention, the advice follow-up (Sync) and the
// divergence monitor: one WARN for the acknowledgement, one retention
// pass removing the message, one divergence WARN and one webhook post (a
// loopback receiver counts them); the other node runs none of them. When the leader stops, the other takes over and runs
// them, and tells of nothing again.
func TestClusterLeaderOnlyWorkRunsOnce(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	var posts atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
	}))
	defer hook.Close()
	seedLeaderWork(t, pool)

	nodes := map[string]*leaderNode{}
	for _, h := range []string{"node-a", "node-b"} {
		nodes[h] = startLeaderNode(t, pool, h, hook.URL)
	}
	defer func() {
		if t.Failed() {
			for h, n := range nodes {
				n.log.mu.Lock()
				t.Logf("log of %s:\n%s", h, n.log.buf.String())
				n.log.mu.Unlock()
			}
		}
	}()
	holder := func() string {
		var h string
		pool.QueryRow(ctx, `SELECT holder FROM cluster_leases WHERE name = $1 AND expires_at > now()`, leaderLease).Scan(&h)
		return h
	}
	var leader string
	waitLong(t, "a leader", func() bool { leader = holder(); return nodes[leader] != nil })
	lead := nodes[leader]
	var other *leaderNode
	for h, n := range nodes {
		if h != leader {
			other = n
		}
	}
	waitLong(t, "the leader's acknowledgement clock, retention and divergence alert", func() bool {
		return lead.log.count("acknowledgement overdue") > 0 && lead.log.count("retention removed message bytes") > 0 && posts.Load() > 0
	})
	lead.nextReports(t, 3)

	totals := func() (overdue, retained, warned int) {
		for _, n := range nodes {
			overdue += n.log.count("acknowledgement overdue")
			retained += n.log.count("retention removed message bytes")
			warned += n.log.count("divergence older than the partner's threshold")
		}
		return
	}
	check := func(when string) {
		t.Helper()
		overdue, retained, warned := totals()
		if overdue != 1 || retained != 1 || warned != 1 || posts.Load() != 1 {
			t.Errorf("%s: %d overdue WARNs, %d retention passes removing bytes, %d divergence WARNs, %d webhook posts; want 1 each",
				when, overdue, retained, warned, posts.Load())
		}
		var purged int
		pool.QueryRow(ctx, `SELECT count(*) FROM inbox_messages WHERE purged`).Scan(&purged)
		if purged != 1 {
			t.Errorf("%s: %d messages purged, want 1", when, purged)
		}
	}
	check("with both nodes up")
	if p, m, s, last := other.inbox.purges.Load(), other.outbox.marks.Load(), other.broadcasts.opens.Load(), other.g.Divergence.Last(); p != 0 || m != 0 || s != 0 || last != nil {
		t.Errorf("the node that does not lead ran %d retention passes, %d acknowledgement clock passes, %d advice follow-ups, divergence report %v; want none",
			p, m, s, last)
	}

	lead.stop()
	waitLong(t, "the other node to take over", func() bool { return holder() != "" && holder() != leader })
	other.nextReports(t, 3)
	waitLong(t, "the new leader's retention, acknowledgement clock and advice follow-up", func() bool {
		return other.inbox.purges.Load() > 0 && other.outbox.marks.Load() > 0 && other.broadcasts.opens.Load() > 0
	})
	check("after the takeover")
}

// TestClusterDeposedLeaderRecordsNoAdvice: a leader whose term another
// node took over (its lease ran out while it was stopped, say) and that
// has not noticed yet sends advice under its old term: the broadcast
// store refuses it with cluster.ErrFenced and nothing is recorded or
// queued. The same advice under the current term is recorded and
// queued.
func TestClusterDeposedLeaderRecordsNoAdvice(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	lease := func(holder string) *clusterpg.Lease {
		l, err := clusterpg.New(ctx, pool, leaderLease, holder, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := lease("node-a"), lease("node-b")
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	copyTree(t, "../examples/partners", partnersDir)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers, cfg.Storage = filepath.Join(dir, "data"), partnersDir, 2, pool.Config().ConnString()
	g, err := Open(cfg, &Options{Lease: a, Logger: slog.New(slog.NewTextHandler(&lockedLog{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ingest(t, g, "acme-3pl", sample846)

	old, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE cluster_leases SET expires_at = now() WHERE name = $1`, leaderLease); err != nil {
		t.Fatal(err)
	}
	current, err := b.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	advice := func(term cluster.Term) error {
		_, err := g.Advice.Broadcast(cluster.WithTerm(ctx, term), "shopmart", broadcast.Options{Send: true})
		return err
	}
	landed := func() (broadcasts, queued int) {
		list, err := g.Advice.Store.List("shopmart", 100)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := g.Outbox.List(outbox.Filter{Partner: "shopmart"})
		if err != nil {
			t.Fatal(err)
		}
		return len(list), len(msgs)
	}
	err = advice(old)
	if !errors.Is(err, cluster.ErrFenced) {
		t.Fatalf("the deposed leader's advice: %v, want cluster.ErrFenced", err)
	}
	if n, q := landed(); n != 0 || q != 0 {
		t.Errorf("after the deposed leader's advice: %d broadcasts, %d outbox messages; want none", n, q)
	}
	if err := advice(current); err != nil {
		t.Fatalf("the current leader's advice: %v", err)
	}
	if n, q := landed(); n != 1 || q == 0 {
		t.Errorf("after the current leader's advice: %d broadcasts, %d outbox messages; want 1 and its messages", n, q)
	}
}
