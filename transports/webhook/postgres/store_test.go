package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/transports/webhook"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// twoNodes returns the endpoints' list as two nodes see it: two pools on
// one migrated database.
func twoNodes(t *testing.T) (a, b *webhook.Endpoints) {
	t.Helper()
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	other, err := pgxpool.New(ctx, pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	for _, p := range []struct {
		pool *pgxpool.Pool
		out  **webhook.Endpoints
	}{{pool, &a}, {other, &b}} {
		st, err := Open(ctx, p.pool)
		if err != nil {
			t.Fatal(err)
		}
		if *p.out, err = webhook.OpenSharedEndpoints(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := Open(ctx, pool); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("Open on an empty database: %v", err)
	}
}

// TestNodesShareTheList: what one node disables, the other sees disabled
// (for that URL only); the failure clock one node started is the other's;
// the other node's Enable holds for both.
func TestNodesShareTheList(t *testing.T) {
	a, b := twoNodes(t)
	const name, url = "subscriber/erp", "https://erp.example/hook"
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if since, err := a.Failing(name, t0); err != nil || !since.Equal(t0) {
		t.Fatalf("a.Failing = %v, %v", since, err)
	}
	if since, err := b.Failing(name, t0.Add(time.Hour)); err != nil || !since.Equal(t0) {
		t.Errorf("b.Failing = %v, %v; want the clock a started, %v", since, err, t0)
	}
	if first, err := a.Disable(name, url, "410 Gone", t0.Add(2*time.Hour)); err != nil || !first {
		t.Fatalf("a.Disable = %v, %v", first, err)
	}
	if first, err := b.Disable(name, url, "410 Gone", t0.Add(3*time.Hour)); err != nil || first {
		t.Errorf("b.Disable of a disabled endpoint = %v, %v; want false", first, err)
	}
	st, off := b.Disabled(name, url)
	if !off || st.Reason != "410 Gone" || !st.Since.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("b.Disabled = %+v, %v", st, off)
	}
	if _, off := b.Disabled(name, "https://erp.example/new"); off {
		t.Error("disabled at another URL")
	}
	if l := b.List("subscriber/"); len(l) != 1 || l[0].Name != name {
		t.Errorf("b.List = %+v", l)
	}
	if was, err := b.Enable(name); err != nil || !was {
		t.Fatalf("b.Enable = %v, %v", was, err)
	}
	if _, off := a.Disabled(name, url); off {
		t.Error("still disabled on a after b enabled it")
	}
	if since, err := a.Failing(name, t0.Add(5*time.Hour)); err != nil || !since.Equal(t0.Add(5*time.Hour)) {
		t.Errorf("the clock after Enable: %v, %v; want a new one", since, err)
	}
	if err := b.Succeeded(name); err != nil {
		t.Fatal(err)
	}
	if since, _ := a.Failing(name, t0.Add(6*time.Hour)); !since.Equal(t0.Add(6 * time.Hour)) {
		t.Errorf("the clock after b's success: %v; want a new one", since)
	}
}

// TestConcurrentChangesKeepEachOther: two nodes disabling different
// endpoints at once lose none of them.
func TestConcurrentChangesKeepEachOther(t *testing.T) {
	a, b := twoNodes(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		for _, e := range []*webhook.Endpoints{a, b} {
			wg.Go(func() {
				name := fmt.Sprintf("partner/p%d-%p", i, e)
				if _, err := e.Disable(name, "https://x.example/"+name, "410 Gone", time.Now()); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(a.List("partner/")); n != 40 {
		t.Errorf("%d endpoints disabled, want 40", n)
	}
}
