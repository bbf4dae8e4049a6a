package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	"github.com/dockside-edi/dockside/cluster/clustertest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(leaseChild())
	}
	os.Exit(pg.Run(m))
}

func newLease(t testing.TB, pool *pgxpool.Pool, holder string, ttl time.Duration) *Lease {
	t.Helper()
	l, err := New(context.Background(), pool, "advice", holder, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestContract(t *testing.T) {
	clustertest.Run(t, func(t testing.TB) cluster.Lease {
		return newLease(t, pgstoretest.Migrated(t, &pg, Migrations), cluster.Node(), time.Minute)
	})
}

func TestNewRefusesAnUnmigratedDatabase(t *testing.T) {
	pool, err := pgstore.Open(context.Background(), pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := New(context.Background(), pool, "advice", "a", time.Minute); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("New on an empty database: %v, want ErrSchemaBehind", err)
	}
}

// fencedWrite writes one row of leader-only work under term, fenced.
func fencedWrite(ctx context.Context, pool *pgxpool.Pool, term cluster.Term, what string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := FenceContext(cluster.WithTerm(ctx, term), tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO leader_work (what, epoch) VALUES ($1, $2)`, what, term.Epoch)
		return err
	})
}

// waitAcquire tries l until it takes the lease (bounded: a minute).
func waitAcquire(t *testing.T, l cluster.Lease) cluster.Term {
	t.Helper()
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		term, err := l.Acquire(context.Background())
		if err == nil {
			return term
		}
		if !errors.Is(err, cluster.ErrNotLeader) {
			t.Fatalf("acquire: %v", err)
		}
	}
	t.Fatal("the lease was not taken over within a minute")
	return cluster.Term{}
}

// TestTakeoverFencesTheOldHolder: of two contenders one holds the lease;
// the other takes over only once the term expired, with the next epoch;
// the old holder can then neither renew nor write under its term.
func TestTakeoverFencesTheOldHolder(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	if _, err := pool.Exec(ctx, `CREATE TABLE leader_work (what text, epoch bigint)`); err != nil {
		t.Fatal(err)
	}
	const ttl = time.Second
	a, b := newLease(t, pool, "node-a", ttl), newLease(t, pool, "node-b", ttl)
	ta, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var nl *cluster.NotLeaderError
	if _, err := b.Acquire(ctx); !errors.As(err, &nl) || nl.Holder != "node-a" {
		t.Fatalf("b while a holds: %v, want NotLeaderError naming node-a", err)
	}
	if err := fencedWrite(ctx, pool, ta, "a before"); err != nil {
		t.Fatalf("a's write under its term: %v", err)
	}
	tb := waitAcquire(t, b) // a does not renew: its term expires
	if tb.Epoch != ta.Epoch+1 {
		t.Errorf("b's epoch %d after a's %d: every takeover increments it", tb.Epoch, ta.Epoch)
	}
	if tb.Expires.Add(-ttl).Before(ta.Expires) {
		t.Errorf("b took over at %s, before a's term ended at %s", tb.Expires.Add(-ttl), ta.Expires)
	}
	if _, err := a.Acquire(ctx); !errors.Is(err, cluster.ErrNotLeader) {
		t.Errorf("a renewing after the takeover: %v, want ErrNotLeader", err)
	}
	err = fencedWrite(ctx, pool, ta, "a after")
	var fe *cluster.FencedError
	if !errors.As(err, &fe) || fe.Current != tb.Epoch {
		t.Errorf("a's write after the takeover: %v, want FencedError with current epoch %d", err, tb.Epoch)
	}
	if err := a.Check(ctx, ta); !errors.Is(err, cluster.ErrFenced) {
		t.Errorf("checking a's old term: %v", err)
	}
	if err := fencedWrite(ctx, pool, tb, "b"); err != nil {
		t.Errorf("b's write: %v", err)
	}
	var got []string
	rows, _ := pool.Query(ctx, `SELECT what || '@' || epoch FROM leader_work ORDER BY what`)
	got, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("[a before@%d b@%d]", ta.Epoch, tb.Epoch)
	if fmt.Sprint(got) != want {
		t.Errorf("leader work written %v, want %s", got, want)
	}
	// A write without a term is refused too.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return FenceContext(ctx, tx) })
	if !errors.Is(err, cluster.ErrFenced) {
		t.Errorf("fencing without a term: %v", err)
	}
}

// TestReleaseHandsOver: a released term is taken over at once, with the
// next epoch, and the releaser's writes are refused.
func TestReleaseHandsOver(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	a, b := newLease(t, pool, "node-a", time.Hour), newLease(t, pool, "node-b", time.Hour)
	ta, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx, ta); err != nil {
		t.Fatal(err)
	}
	tb, err := b.Acquire(ctx)
	if err != nil || tb.Epoch != ta.Epoch+1 {
		t.Fatalf("b after a released: %+v %v", tb, err)
	}
	if err := a.Release(ctx, ta); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx, tb); err != nil {
		t.Errorf("a's late release ended b's term: %v", err)
	}
}

// TestConcurrentContenders: many nodes contending at once, one wins.
func TestConcurrentContenders(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	const n = 8
	wins := make(chan cluster.Term, n)
	errs := make(chan error, n)
	for i := range n {
		l := newLease(t, pool, "node-"+strconv.Itoa(i), time.Hour)
		go func() {
			term, err := l.Acquire(ctx)
			if err == nil {
				wins <- term
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil && !errors.Is(err, cluster.ErrNotLeader) {
			t.Error(err)
		}
	}
	if len(wins) != 1 {
		t.Errorf("%d nodes took the lease, want 1", len(wins))
	}
}

const childEnv = "DOCKSIDE_LEASE_CHILD"

// leaseChild is the test binary run as a node: it leads under an
// Elector, says its epoch each time it starts leading, and runs until
// killed. With DOCKSIDE_LEASE_CHILD_WRITE set, its leader-only work
// writes a fenced row of leader_work every 20 ms.
func leaseChild() int {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, os.Getenv(childEnv))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ttl, _ := time.ParseDuration(os.Getenv(childEnv + "_TTL"))
	holder := os.Getenv(childEnv + "_HOLDER")
	if holder == "" {
		holder = "child"
	}
	l, err := New(ctx, pool, "advice", holder, ttl)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	write := os.Getenv(childEnv+"_WRITE") != ""
	err = (&cluster.Elector{Lease: l}).Run(ctx, func(ctx context.Context) error {
		term, _ := cluster.TermFrom(ctx)
		fmt.Println("leading", term.Epoch)
		for write {
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				if err := FenceContext(ctx, tx); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO leader_work (what, epoch) VALUES ($1, $2)`, holder, term.Epoch)
				return err
			})
			if err != nil && ctx.Err() == nil {
				fmt.Println("write", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(20 * time.Millisecond):
			}
		}
		<-ctx.Done()
		return nil
	})
	fmt.Println("error", err)
	return 1
}

// startChild starts the test binary as a lease holder.
func startChild(t *testing.T, url, holder string, ttl time.Duration, write bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+url, childEnv+"_TTL="+ttl.String(), childEnv+"_HOLDER="+holder)
	if write {
		cmd.Env = append(cmd.Env, childEnv+"_WRITE=1")
	}
	cmd.Stderr = os.Stderr
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// TestThreeNodesNoSplitBrain: three processes contend for the lease,
// the leader writing fenced rows; the leader is killed with SIGKILL,
// then the next one. Another node takes over each time, after the
// killed one's term and within a lease time of it (by the database's
// clock); in the order the rows were written their epochs never go
// back, and each epoch's rows are one node's: no two leaders wrote at
// once.
func TestThreeNodesNoSplitBrain(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	if _, err := pool.Exec(ctx, `CREATE TABLE leader_work (id bigserial PRIMARY KEY, what text, epoch bigint, at timestamptz DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	url := pool.Config().ConnString()
	const ttl = 2 * time.Second
	nodes := map[string]*exec.Cmd{}
	for _, h := range []string{"n1", "n2", "n3"} {
		nodes[h] = startChild(t, url, h, ttl, true)
		if err := nodes[h].Start(); err != nil {
			t.Fatal(err)
		}
	}
	type row struct {
		holder string
		epoch  int64
		at     time.Time
	}
	last := func() row {
		var r row
		pool.QueryRow(ctx, `SELECT what, epoch, at FROM leader_work ORDER BY id DESC LIMIT 1`).Scan(&r.holder, &r.epoch, &r.at)
		return r
	}
	waitRow := func(what string, ok func(row) bool) row {
		t.Helper()
		for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if r := last(); ok(r) {
				return r
			}
		}
		t.Fatalf("no %s within a minute", what)
		return row{}
	}
	leader := waitRow("leader writing", func(r row) bool { return r.holder != "" })
	for kill := range 2 {
		time.Sleep(200 * time.Millisecond) // a few writes
		nodes[leader.holder].Process.Signal(syscall.SIGKILL)
		nodes[leader.holder].Wait()
		var termEnd time.Time
		if err := pool.QueryRow(ctx, `SELECT expires_at FROM cluster_leases WHERE name = 'advice'`).Scan(&termEnd); err != nil {
			t.Fatal(err)
		}
		dead := leader.holder
		delete(nodes, dead)
		next := waitRow("a new leader writing", func(r row) bool { return r.holder != "" && r.holder != dead })
		var first time.Time // the new leader's first write
		pool.QueryRow(ctx, `SELECT min(at) FROM leader_work WHERE epoch = $1`, next.epoch).Scan(&first)
		if first.Before(termEnd) {
			t.Errorf("kill %d: %s wrote at %s, before %s's term ended at %s", kill, next.holder, first, dead, termEnd)
		}
		if first.After(termEnd.Add(ttl)) {
			t.Errorf("kill %d: %s took over at %s, more than a lease time after %s's term ended at %s", kill, next.holder, first, dead, termEnd)
		}
		leader = next
	}
	for _, cmd := range nodes { // the survivor stops writing
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if terms := checkFencedWrites(t, pool); terms < 3 {
		t.Errorf("%d terms wrote, want at least 3: two takeovers", terms)
	}
}

// checkFencedWrites checks the rows of leader_work: in the order they
// were written their epochs never go back, and each epoch's rows are one
// node's. It returns the number of terms that wrote.
func checkFencedWrites(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	type row struct {
		holder string
		epoch  int64
	}
	rows, err := pool.Query(context.Background(), `SELECT what, epoch FROM leader_work ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.holder, &x.epoch)
	})
	if err != nil {
		t.Fatal(err)
	}
	owner := map[int64]string{}
	for i, r := range all {
		if i > 0 && r.epoch < all[i-1].epoch {
			t.Errorf("row %d: epoch %d after %d: a fenced write of an old term came after a takeover", i, r.epoch, all[i-1].epoch)
		}
		if o, ok := owner[r.epoch]; ok && o != r.holder {
			t.Errorf("epoch %d written by %s and %s", r.epoch, o, r.holder)
		}
		owner[r.epoch] = r.holder
	}
	t.Logf("%d fenced writes in %d terms: %v", len(all), len(owner), owner)
	return len(owner)
}

// TestPausedLeaderIsFenced: a leader paused (SIGSTOP, as a long GC pause
// or a frozen VM) is taken over; resumed, it still believes it leads
// until its timers run, and any write it tries under its old term is
// refused: no old-epoch row comes after the new leader's. A pause inside
// a fenced transaction holds the takeover back until PostgreSQL ends the
// idle transaction (idle_in_transaction_session_timeout, here 2 s).
func TestPausedLeaderIsFenced(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	if _, err := pool.Exec(ctx, `CREATE TABLE leader_work (id bigserial PRIMARY KEY, what text, epoch bigint, at timestamptz DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	url := pool.Config().ConnString() + "&idle_in_transaction_session_timeout=2000"
	const ttl = 2 * time.Second
	nodes := map[string]*exec.Cmd{}
	for _, h := range []string{"n1", "n2"} {
		nodes[h] = startChild(t, url, h, ttl, true)
		if err := nodes[h].Start(); err != nil {
			t.Fatal(err)
		}
	}
	holderOfLast := func() (string, int64) {
		var h string
		var e int64
		pool.QueryRow(ctx, `SELECT what, epoch FROM leader_work ORDER BY id DESC LIMIT 1`).Scan(&h, &e)
		return h, e
	}
	waitFor := func(what string, ok func(string, int64) bool) (string, int64) {
		t.Helper()
		for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if h, e := holderOfLast(); ok(h, e) {
				return h, e
			}
		}
		t.Fatalf("no %s within a minute", what)
		return "", 0
	}
	paused, epoch := waitFor("leader writing", func(h string, _ int64) bool { return h != "" })
	time.Sleep(200 * time.Millisecond) // a few writes
	if err := nodes[paused].Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	_, newEpoch := waitFor("the other node writing", func(h string, _ int64) bool { return h != "" && h != paused })
	if newEpoch <= epoch {
		t.Errorf("epoch %d after %d", newEpoch, epoch)
	}
	if err := nodes[paused].Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl) // the resumed node runs its timers, tries its writes, stops
	for _, cmd := range nodes {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if terms := checkFencedWrites(t, pool); terms < 2 {
		t.Errorf("%d terms wrote, want a takeover", terms)
	}
}

// TestKilledLeaderIsTakenOver: a node that leads (renewing its lease) is
// killed with SIGKILL; another takes over after its term ended and
// within a lease time of that, with the next epoch.
func TestKilledLeaderIsTakenOver(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	url := pool.Config().ConnString()
	const ttl = 4 * time.Second
	cmd := startChild(t, url, "child", ttl, false)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "leading ") {
		t.Fatalf("child said %q (%v)", line, err)
	}
	childEpoch, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "leading ")), 10, 64)
	other := newLease(t, pool, "survivor", ttl)
	if _, err := other.Acquire(ctx); !errors.Is(err, cluster.ErrNotLeader) {
		t.Fatalf("while the child leads: %v, want ErrNotLeader", err)
	}
	time.Sleep(ttl) // the child renews its term at least twice
	if _, err := other.Acquire(ctx); !errors.Is(err, cluster.ErrNotLeader) {
		t.Fatalf("the child did not renew its term: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	var lastEnd time.Time // the end of the child's last renewed term
	if err := pool.QueryRow(ctx, `SELECT expires_at FROM cluster_leases WHERE name = 'advice'`).Scan(&lastEnd); err != nil {
		t.Fatal(err)
	}
	term := waitAcquire(t, other)
	took := term.Expires.Add(-ttl) // the database's now() at the takeover
	if term.Epoch != childEpoch+1 {
		t.Errorf("epoch %d after the child's %d", term.Epoch, childEpoch)
	}
	if took.Before(lastEnd) {
		t.Errorf("taken over at %s, before the killed node's term ended at %s", took, lastEnd)
	}
	if took.After(lastEnd.Add(ttl)) {
		t.Errorf("taken over at %s, more than a lease time (%s) after the term ended at %s", took, ttl, lastEnd)
	}
}

// TestFenceIfTerm: a write fences only when its context carries a term
// other than the single node's, and then only a current term passes.
func TestFenceIfTerm(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	a, b := newLease(t, pool, "node-a", time.Minute), newLease(t, pool, "node-b", time.Minute)
	old, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// a's term is cut short (as if it had expired while a was stopped)
	// and b takes over.
	if _, err := pool.Exec(ctx, `UPDATE cluster_leases SET expires_at = now() WHERE name = $1`, old.Name); err != nil {
		t.Fatal(err)
	}
	current := waitAcquire(t, b)
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		fenced bool
	}{
		{"no term: not leader-only work", ctx, false},
		{"the single node's term", cluster.WithTerm(ctx, cluster.SingleTerm), false},
		{"the current term", cluster.WithTerm(ctx, current), false},
		{"a deposed leader's term", cluster.WithTerm(ctx, old), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return FenceIfTerm(tc.ctx, tx) })
			if got := errors.Is(err, cluster.ErrFenced); got != tc.fenced || (!tc.fenced && err != nil) {
				t.Errorf("FenceIfTerm: %v, want fenced %v", err, tc.fenced)
			}
		})
	}
}
