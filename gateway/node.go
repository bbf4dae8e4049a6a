package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// The files by which a node on PostgreSQL storage knows its previous run
// in the same data folder.
const (
	// nodeLockFile is locked (flock) by the serve that runs as a node
	// from the data folder, for as long as it runs: while it is held, no
	// other serve takes the folder, and once its holder is gone, that
	// holder is dead, whatever it left in the database.
	nodeLockFile = "cluster-node.lock"
	// nodeNameFile holds the name of the node that ran last from the data
	// folder (cluster.Node(): host, process and a random part).
	nodeNameFile = "cluster-node"
)

// nodeReleaser is a store whose claims are held by a node's name (the
// inbox and outbox on PostgreSQL): ReleaseNode ends the leases of every
// claim node holds, so any node takes them at once.
type nodeReleaser interface {
	ReleaseNode(ctx context.Context, node string) (int64, error)
}

// resumeNode starts this gateway's run as a node on PostgreSQL storage:
// it locks the data folder for the run (ErrDataFolderInUse when another
// serve holds it) and, when a previous node ran from this folder, ends
// that node's leader term and the leases of its inbox and outbox claims.
// The lock proves that node dead, so its work is taken up at once rather
// than after its leases run out (claim_lease, LeaderLeaseTTL). The
// returned function unlocks the folder. On bbolt it does nothing: the
// stores' own file locks keep a second process out.
func (g *Gateway) resumeNode(ctx context.Context) (unlock func(), err error) {
	if g.pool == nil {
		return func() {}, nil
	}
	f, err := os.OpenFile(filepath.Join(g.Config.Data, nodeLockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (%s is locked)", ErrDataFolderInUse, g.Config.Data, nodeLockFile)
		}
		return nil, fmt.Errorf("data folder: locking %s: %w", nodeLockFile, err)
	}
	unlock = func() { f.Close() }
	namePath := filepath.Join(g.Config.Data, nodeNameFile)
	prev, err := os.ReadFile(namePath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		unlock()
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if p := strings.TrimSpace(string(prev)); p != "" && p != g.node {
		if err := g.releaseNode(ctx, p); err != nil {
			unlock()
			return nil, err
		}
	}
	if err := atomicfile.WriteFile(namePath, []byte(g.node+"\n"), 0o600); err != nil {
		unlock()
		return nil, fmt.Errorf("data folder: %w", err)
	}
	return unlock, nil
}

// releaseNode ends what the dead node prev held in the shared database.
func (g *Gateway) releaseNode(ctx context.Context, prev string) error {
	terms, err := clusterpg.EndTermsOf(ctx, g.pool, prev)
	if err != nil {
		return fmt.Errorf("storage: ending the leader terms of the previous run %s: %w", prev, err)
	}
	var claims int64
	for _, s := range []any{g.Inbox, g.Outbox} {
		if r, ok := s.(nodeReleaser); ok {
			n, err := r.ReleaseNode(ctx, prev)
			if err != nil {
				return fmt.Errorf("storage: releasing the claims of the previous run %s: %w", prev, err)
			}
			claims += n
		}
	}
	if terms+claims > 0 {
		g.log.Info("the previous run from this data folder died: its work is taken up now",
			"node", prev, "leader_terms", terms, "claims", claims)
	}
	return nil
}
