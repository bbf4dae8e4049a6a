package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/outbox"
)

// TestNodeChild is the child of TestRestartedNodeTakesUpItsWork: a node
// on PostgreSQL that claims a file and an outbound message and takes the
// leader lease, says so, then waits to be killed.
func TestNodeChild(t *testing.T) {
	if os.Getenv("DOCKSIDE_NODE_CHILD") == "" {
		t.Skip("child process of the node restart test")
	}
	ctx := context.Background()
	g := openNodeFolder(t, os.Getenv("DOCKSIDE_NODE_STORAGE"), os.Getenv("DOCKSIDE_NODE_DATA"))
	if _, err := g.resumeNode(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "crashco", Transport: "test", Name: "adj.csv"},
		strings.NewReader("sku,location,qty\nSKU-1,L1,5\n")); err != nil {
		t.Fatal(err)
	}
	m, err := g.Inbox.Claim()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Outbox.Enqueue(&outbox.Message{Partner: "crashco", Transport: "folder", Kind: "997", Name: "ack.edi"}, []byte("ISA~")); err != nil {
		t.Fatal(err)
	}
	due, err := g.Outbox.Due(1)
	if err != nil || len(due) != 1 {
		t.Fatalf("outbox due: %v %v", due, err)
	}
	term, err := g.Lease.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("node-ready %d %d %d\n", m.ID, due[0].ID, term.Epoch)
	time.Sleep(time.Minute)
}

// openNodeFolder opens a gateway on storage with the data folder data
// and the crash test's partner; claim leases and the leader lease keep
// their defaults (1 minute, LeaderLeaseTTL).
func openNodeFolder(t *testing.T, storage, data string) *Gateway {
	t.Helper()
	partnersDir := filepath.Join(filepath.Dir(data), "partners")
	os.MkdirAll(partnersDir, 0o755)
	if err := os.WriteFile(filepath.Join(partnersDir, "crashco.yaml"), []byte(crashProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Storage = data, partnersDir, storage
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// TestRestartedNodeTakesUpItsWork: a node on PostgreSQL is SIGKILLed while
// it holds an inbox claim, an outbox claim and the leader lease. Until a
// serve resumes from its data folder, all three wait for their leases
// (one minute, LeaderLeaseTTL); once it does, they are taken up at once:
// the file and the message claimed again, the lease under the next epoch.
// A second serve on the same folder is refused.
func TestRestartedNodeTakesUpItsWork(t *testing.T) {
	ctx := context.Background()
	url := pgstoretest.Migrated(t, &pg, Migrations()...).Config().ConnString()
	data := filepath.Join(t.TempDir(), "data")

	cmd := exec.Command(os.Args[0], "-test.run=^TestNodeChild$")
	cmd.Env = append(os.Environ(), "DOCKSIDE_NODE_CHILD=1", "DOCKSIDE_NODE_STORAGE="+url, "DOCKSIDE_NODE_DATA="+data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var msgID, outID uint64
	var epoch int64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "node-ready %d %d %d", &msgID, &outID, &epoch); err == nil {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if msgID == 0 {
		t.Fatal("the child never got ready")
	}

	g := openNodeFolder(t, url, data)
	// What the dead run held still holds: nobody else may take it yet.
	if m, err := g.Inbox.Claim(); !errors.Is(err, inbox.ErrEmptyQueue) {
		t.Fatalf("before resuming, the dead run's file was claimed: %v %v", m, err)
	}
	if due, err := g.Outbox.Due(10); err != nil || len(due) != 0 {
		t.Fatalf("before resuming, the dead run's message was due: %v %v", due, err)
	}
	if _, err := g.Lease.Acquire(ctx); !errors.Is(err, cluster.ErrNotLeader) {
		t.Fatalf("before resuming, the lease: %v, want ErrNotLeader", err)
	}

	unlock, err := g.resumeNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	m, err := g.Inbox.Claim()
	if err != nil || m.ID != msgID {
		t.Fatalf("after resuming, claimed %v %v; want message %d", m, err, msgID)
	}
	due, err := g.Outbox.Due(10)
	if err != nil || len(due) != 1 || due[0].ID != outID {
		t.Fatalf("after resuming, due %v %v; want message %d", due, err, outID)
	}
	term, err := g.Lease.Acquire(ctx)
	if err != nil || term.Epoch != epoch+1 {
		t.Fatalf("after resuming, the lease: %+v %v; want epoch %d", term, err, epoch+1)
	}

	// Another serve on the same data folder (the lock is per open file,
	// so a second one in this process conflicts too).
	if _, err := g.resumeNode(ctx); !errors.Is(err, ErrDataFolderInUse) {
		t.Errorf("a second serve on the folder: %v, want ErrDataFolderInUse", err)
	}
}
