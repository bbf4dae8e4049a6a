package gateway

import (
	"context"
	"encoding/json"
	"strings"
)

// reloadChannel is the PostgreSQL notification channel on which a node
// that reloaded its partner profiles at an operator's request (dockside
// reload, SIGHUP, POST /api/v1/reload, the dashboard) tells the other
// nodes to reload theirs; the payload is a reloadNotice. Each node
// listens on the connection of the ledger's wake-up (changewake.go) and
// reloads its own partners folder.
//
// The reload also bumps the cluster's reload generation
// (clusterpg.ReloadGeneration). Each node remembers the generation its
// profiles reflect (Gateway.reloadGen); when its listening connection
// is made again (a reload notified meanwhile did not reach it), it reads
// the cluster's generation and, when it is newer, reloads at once.
const reloadChannel = "dockside_reload"

// reloadNotice is the payload of a reload notification, in JSON. A
// payload that is not such JSON is an older node's: its name alone.
type reloadNotice struct {
	Node string `json:"node"`
	// Generation is the reload generation the sender bumped to; 0 when
	// unknown (an older node, or a bump that failed).
	Generation int64 `json:"generation,omitempty"`
}

// parseReloadNotice reads a notification's payload: the JSON of a
// reloadNotice, else (an older node's) the node name alone, generation
// unknown.
func parseReloadNotice(payload string) reloadNotice {
	var n reloadNotice
	if strings.HasPrefix(payload, "{") && json.Unmarshal([]byte(payload), &n) == nil && n.Node != "" {
		n.Generation = max(n.Generation, 0)
		return n
	}
	return reloadNotice{Node: payload}
}

// clusterReload is a reload of this node's profiles that listenCommits
// hands to reloadForCluster.
type clusterReload struct {
	from       string // the node that reloaded, as notified; "" when caught up
	generation int64  // the generation to reach; 0: unknown (read before reloading)
	missed     bool   // found when listening again, not notified
}

// offer hands r to reloads, keeping one reload waiting at most: one
// already waiting gives way to r unless it is the newer (the reload
// reads the partners folder after both anyway).
func offer(reloads chan clusterReload, r clusterReload) {
	for {
		select {
		case reloads <- r:
			return
		default:
		}
		select {
		case w := <-reloads:
			if w.generation == 0 || (r.generation != 0 && w.generation > r.generation) {
				r = w
			}
		default:
		}
	}
}

// advanceReloadGeneration records that this node's profiles reflect the
// cluster's reload generation gen, unless they reflect a newer one.
func (g *Gateway) advanceReloadGeneration(gen int64) {
	for {
		cur := g.reloadGen.Load()
		if gen <= cur || g.reloadGen.CompareAndSwap(cur, gen) {
			return
		}
	}
}

// tellReload, on PostgreSQL, bumps the cluster's reload generation and
// tells the other nodes that this node reloaded its profiles at an
// operator's request. A bump or a notification that fails is logged:
// this node's reload stands.
func (g *Gateway) tellReload(ctx context.Context) {
	if g.pool == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storageCheckTimeout)
	defer cancel()
	n := reloadNotice{Node: g.node}
	g.reloadGenMu.Lock() // a check of the generation at (re)connecting sees this node's bump as its own
	gen, err := g.reloadGens.Bump(ctx)
	if err == nil {
		n.Generation = gen
		g.advanceReloadGeneration(gen)
	}
	g.reloadGenMu.Unlock()
	if err != nil {
		g.log.Warn("the cluster's reload generation not bumped: a node not listening now will not catch this reload up; reload it if it was not listening",
			"err", err)
	}
	payload, _ := json.Marshal(n)
	if _, err := g.pool.Exec(ctx, "SELECT pg_notify($1, $2)", reloadChannel, string(payload)); err != nil {
		g.log.Warn("telling the other nodes to reload their partner profiles; reload them one by one", "err", err)
	}
}

// behindCluster reads the cluster's reload generation and returns it
// with whether this node's profiles are behind it.
func (g *Gateway) behindCluster(ctx context.Context) (int64, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, storageCheckTimeout)
	defer cancel()
	g.reloadGenMu.Lock()
	defer g.reloadGenMu.Unlock()
	gen, err := g.reloadGens.Generation(ctx)
	if err != nil {
		return 0, false, err
	}
	return gen, gen > g.reloadGen.Load(), nil
}

// reloadForCluster reloads the partner profiles at each reload of
// another node handed over by listenCommits, until ctx ends.
func (g *Gateway) reloadForCluster(ctx context.Context, reloads <-chan clusterReload) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-reloads:
			g.reloadFor(ctx, r)
		}
	}
}

// reloadFor reloads the partner profiles for r, unless they already
// reflect its generation (this node reloaded since). Profiles that do
// not load are logged as an ERROR naming the file; those in use stay,
// and the node's generation does not advance: the next notification, or
// the next connection, tries again.
func (g *Gateway) reloadFor(ctx context.Context, r clusterReload) {
	had := g.reloadGen.Load()
	gen := r.generation
	if gen != 0 && gen <= had {
		return
	}
	if gen == 0 { // an older node's notification: the generation now, read before loading
		rctx, cancel := context.WithTimeout(ctx, storageCheckTimeout)
		read, err := g.reloadGens.Generation(rctx)
		cancel()
		if err != nil {
			g.log.Debug("reading the cluster's reload generation", "err", err)
		}
		gen = read
	}
	if err := g.ReloadPartners(); err != nil {
		if r.missed {
			g.log.Error("partner profiles not reloaded after a reload on another node while this one was not listening; the profiles in use stay",
				"generation", gen, "had", had, "err", err)
		} else {
			g.log.Error("partner profiles not reloaded after a reload on another node; the profiles in use stay",
				"node", r.from, "generation", gen, "err", err)
		}
		return
	}
	g.advanceReloadGeneration(gen)
	if r.missed {
		g.log.Info("partner profiles reloaded: another node reloaded while this one was not listening",
			"node", g.node, "generation", gen, "had", had, "partners", g.Partners().Len())
		return
	}
	g.log.Info("partner profiles reloaded because another node of the cluster reloaded",
		"node", r.from, "generation", gen, "partners", g.Partners().Len())
}
