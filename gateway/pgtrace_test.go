package gateway

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// roundTrips counts what a node asks PostgreSQL: round trips (a query,
// an Exec, a whole batch, a COPY) and statements.
type roundTrips struct{ trips, statements atomic.Int64 }

func (r *roundTrips) tune(c *pgxpool.Config) { c.ConnConfig.Tracer = r }

// TraceQueryStart implements pgx.QueryTracer.
func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.trips.Add(1)
	r.statements.Add(1)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.trips.Add(1)
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	r.statements.Add(1)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (r *roundTrips) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	r.trips.Add(1)
	r.statements.Add(1)
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (r *roundTrips) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// sampleWaits samples, every 50 ms until the returned function is
// called, what the sessions on database db are doing (wait event, state,
// statement), and then logs the 25 most frequent: where a benchmark's
// wall time goes inside PostgreSQL (DOCKSIDE_BENCH_WAITS=1).
func sampleWaits(b *testing.B, pool *pgxpool.Pool, db string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	hist := map[string]int{}
	var sampling sync.WaitGroup
	sampling.Go(func() {
		for ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			rows, err := pool.Query(ctx, `SELECT coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-') || ' ' || state || ' ' ||
				left(regexp_replace(query, '\s+', ' ', 'g'), 50) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, db)
			if err != nil {
				continue
			}
			for rows.Next() {
				var k string
				rows.Scan(&k)
				hist[k]++
			}
			rows.Close()
		}
	})
	return func() {
		cancel()
		sampling.Wait()
		keys := make([]string, 0, len(hist))
		for k := range hist {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return hist[keys[i]] > hist[keys[j]] })
		for _, k := range keys[:min(len(keys), 25)] {
			b.Logf("%5d %s", hist[k], k)
		}
	}
}
