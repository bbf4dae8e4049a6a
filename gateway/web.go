package gateway

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/atomicfile"
	"github.com/dockside-edi/dockside/web"
)

// demoTokenFile holds the operator token minted for a configuration
// without tokens: the token is written there (mode 0600), never logged.
const demoTokenFile = "operator-token"

// BuildWeb builds the operator API and dashboard over the gateway's
// stores, with the reservations it serves (the caller closes them), and
// reports finished messages to its metrics.
func (g *Gateway) BuildWeb(res *Reservations) (*web.Server, error) {
	tokens, err := g.apiTokens()
	if err != nil {
		return nil, err
	}
	key, err := g.sessionKey(context.Background())
	if err != nil {
		return nil, err
	}
	if res != nil {
		res.g = g // reservations with a ship-to are orders to route
	}
	srv, err := web.New(web.Deps{
		Ledger: g.Ledger, Inbox: g.Inbox, Outbox: g.Outbox, Broadcasts: g.Advice.Store,
		Partners: g.Partners, Replay: g.replayAndWait, Reload: g.reload, Advice: g.adviceNow, Orders: g.orders.store, Reservations: res, PostEvents: g.PostEvents,
		Tokens: tokens, Logger: g.log, Now: g.now, Audit: g.Audit,
		Divergence: g.Divergence.Current,
		Webhooks:   webhooks.Operations{Manager: g.subscribers, Endpoints: g.Webhooks},
		Storage:    g.storageCheck(),
		Streams:    g.StreamStatuses,
	}, web.Options{SessionKey: key, MaxBodyBytes: 1 << 20, RateLimit: float64(g.Config.HTTP.RateLimit), RateBurst: g.Config.HTTP.RateBurst})
	if err != nil {
		return nil, err
	}
	g.OnFinish(srv.Metrics().ObserveMessage)
	g.SetMeter(srv.Metrics())
	return srv, nil
}

// storageCheck is the readiness check of the shared storage; nil on
// bbolt.
func (g *Gateway) storageCheck() func(context.Context) error {
	if g.pool == nil {
		return nil
	}
	return g.StorageReady
}

// apiTokens returns the configured tokens; with none, an operator token is
// minted for this run and written to the data folder, so that the demo's
// operator can log in to the dashboard.
func (g *Gateway) apiTokens() ([]web.Token, error) {
	var out []web.Token
	for _, t := range g.Config.HTTP.Tokens {
		out = append(out, web.Token{Name: t.Name, SHA256: t.SHA256, Role: web.Role(t.Role)})
	}
	if len(out) > 0 {
		return out, nil
	}
	secret, tok, err := web.NewToken("demo-operator", web.RoleOperator)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(g.Config.Data, demoTokenFile)
	if err := atomicfile.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing the demo operator token: %w", err)
	}
	g.log.Info("no API tokens configured: an operator token for this run is in a file", "file", path)
	return []web.Token{tok}, nil
}

// replayAndWait reloads the partner profiles (a replay follows a profile
// fix), replays a failed message on behalf of who and waits (until ctx
// ends) for the workers to finish it. Profiles that do not load are an
// error: the message stays failed.
func (g *Gateway) replayAndWait(ctx context.Context, id uint64, who string) (*inbox.Message, error) {
	if err := g.ReloadPartners(); err != nil {
		return nil, err
	}
	m, err := g.Inbox.ReplayBy(id, who)
	if err != nil {
		return nil, err
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for m.State == inbox.Received || m.State == inbox.Processing {
		select {
		case <-ctx.Done():
			return m, nil
		case <-t.C:
		}
		if m, err = g.Inbox.Get(id); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ReloadPartnersBy loads the partner profiles again on behalf of who (a
// token's name, or "SIGHUP") and records it in the audit log, with the
// error when the profiles do not load (those in use stay). The dashboard
// records its own reloads; this is for the others. On PostgreSQL the
// other nodes reload theirs (tellReload).
func (g *Gateway) ReloadPartnersBy(ctx context.Context, who string) error {
	err := g.ReloadPartners()
	e := audit.Entry{Who: who, Action: audit.ActionReload, Target: "partner profiles"}
	if err != nil {
		e.Error = err.Error()
	} else {
		e.Detail = fmt.Sprintf("%d partners", g.Partners().Len())
		g.tellReload(ctx)
	}
	if g.Audit != nil {
		if _, aerr := g.Audit.Record(ctx, e); aerr != nil {
			g.log.Error("recording a reload in the audit log", "err", aerr)
		}
	}
	return err
}

// reload loads the partner profiles again for the API and returns how
// many are in use; on PostgreSQL the other nodes reload theirs.
func (g *Gateway) reload(ctx context.Context) (int, error) {
	if err := g.ReloadPartners(); err != nil {
		return 0, err
	}
	g.tellReload(ctx)
	return g.Partners().Len(), nil
}

// adviceNow builds a partner's advice for the API, as the advice command
// does.
func (g *Gateway) adviceNow(ctx context.Context, partner string, delta, send bool) (*broadcast.Result, error) {
	return g.Advice.Broadcast(ctx, partner, broadcast.Options{Delta: delta, Send: send})
}
