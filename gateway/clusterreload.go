package gateway

import (
	"context"
)

// reloadChannel is the PostgreSQL notification channel on which a node
// that reloaded its partner profiles at an operator's request (dockside
// reload, SIGHUP, POST /api/v1/reload, the dashboard) tells the other
// nodes to reload theirs; the payload is its node name. Each node listens
// on the connection of the ledger's wake-up (changewake.go) and reloads
// its own partners folder.
const reloadChannel = "dockside_reload"

// tellReload, on PostgreSQL, tells the other nodes that this node
// reloaded its profiles at an operator's request. A notification that
// cannot be sent is logged: this node's reload stands.
func (g *Gateway) tellReload(ctx context.Context) {
	if g.pool == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storageCheckTimeout)
	defer cancel()
	if _, err := g.pool.Exec(ctx, "SELECT pg_notify($1, $2)", reloadChannel, g.node); err != nil {
		g.log.Warn("telling the other nodes to reload their partner profiles; reload them one by one", "err", err)
	}
}

// reloadForCluster reloads the partner profiles at each other node's
// reload handed over by listenCommits, until ctx ends. Profiles that do
// not load are logged as an ERROR naming the file; those in use stay.
func (g *Gateway) reloadForCluster(ctx context.Context, reloads <-chan string) {
	for {
		var from string
		select {
		case <-ctx.Done():
			return
		case from = <-reloads:
		}
		if err := g.ReloadPartners(); err != nil {
			g.log.Error("partner profiles not reloaded after a reload on another node; the profiles in use stay",
				"node", from, "err", err)
			continue
		}
		g.log.Info("partner profiles reloaded because another node of the cluster reloaded",
			"node", from, "partners", g.Partners().Len())
	}
}
