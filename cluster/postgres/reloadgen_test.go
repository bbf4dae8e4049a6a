package postgres

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
)

// TestReloadGeneration: the generation starts at 0; each Bump returns
// the next one, concurrent Bumps from several nodes each get their own
// number with none lost, and Generation reads the latest.
func TestReloadGeneration(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	r, err := NewReloadGeneration(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if gen, err := r.Generation(ctx); err != nil || gen != 0 {
		t.Fatalf("generation of a new database: %d, %v; want 0", gen, err)
	}
	if gen, err := r.Bump(ctx); err != nil || gen != 1 {
		t.Fatalf("first bump: %d, %v; want 1", gen, err)
	}
	const nodes, bumps = 4, 10
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for range nodes {
		other, err := NewReloadGeneration(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range bumps {
				gen, err := other.Bump(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, gen)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	for i, gen := range got {
		if want := int64(i + 2); gen != want {
			t.Fatalf("concurrent bumps returned %v, want 2…%d each once", got, nodes*bumps+1)
		}
	}
	if gen, err := r.Generation(ctx); err != nil || gen != nodes*bumps+1 {
		t.Errorf("generation after the bumps: %d, %v; want %d", gen, err, nodes*bumps+1)
	}
	// The row deleted by hand: Generation reads 0 and Bump makes it again.
	if _, err := pool.Exec(ctx, `DELETE FROM cluster_reload_generation`); err != nil {
		t.Fatal(err)
	}
	if gen, err := r.Generation(ctx); err != nil || gen != 0 {
		t.Errorf("generation without its row: %d, %v; want 0", gen, err)
	}
	if gen, err := r.Bump(ctx); err != nil || gen != 1 {
		t.Errorf("bump without the row: %d, %v; want 1", gen, err)
	}
}

// TestReloadGenerationRefusesAnUnmigratedDatabase: without the
// migration, NewReloadGeneration says the schema is behind.
func TestReloadGenerationRefusesAnUnmigratedDatabase(t *testing.T) {
	pool, err := pgstore.Open(context.Background(), pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := NewReloadGeneration(context.Background(), pool); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("on an empty database: %v, want ErrSchemaBehind", err)
	}
}
