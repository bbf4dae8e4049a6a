package postgres

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// fileList returns a data folder's list (a file) with two endpoints
// disabled and one failing, times with nanoseconds.
func fileList(t *testing.T) *webhook.Endpoints {
	t.Helper()
	path := filepath.Join(t.TempDir(), "webhook-endpoints.json")
	e, err := webhook.OpenEndpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 2, 3, 4, 123456789, time.UTC)
	if _, err := e.Disable("subscriber/erp", "https://erp.example/hook", "410 Gone", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Failing("partner/shopmart", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Failing("partner/acme", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Disable("partner/acme", "https://acme.example/in", "failing since "+t0.String(), t0.Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Read back from the file, as migrate --from does.
	e, err = webhook.OpenEndpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestCopyFromFile: every disabled endpoint and failure clock of a data
// folder's file is copied and verified; a second run copies nothing; an
// entry changed or added in PostgreSQL is a mismatch naming it.
func TestCopyFromFile(t *testing.T) {
	ctx := context.Background()
	src := fileList(t)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != 4 || r.Copied != 4 || r.Present != 0 || r.Verified != 4 {
		t.Fatalf("first run: %v %v", r, err)
	}
	shared, err := webhook.OpenSharedEndpoints(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := src.Disabled("subscriber/erp", "https://erp.example/hook")
	if got, off := shared.Disabled("subscriber/erp", "https://erp.example/hook"); !off || got != want {
		t.Errorf("on PostgreSQL: %+v %v; want disabled as %+v", got, off, want)
	}
	if since, err := shared.Failing("partner/shopmart", time.Now()); err != nil || !since.Equal(src.FailingSince()["partner/shopmart"]) {
		t.Errorf("failure clock on PostgreSQL: %v %v", since, err)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != 4 || r.Verified != 4 {
		t.Errorf("second run: %v %v", r, err)
	}

	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"reason changed", `"410 Gone"`, `"500"`, `disabled endpoint "subscriber/erp": PostgreSQL has`},
		{"clock moved", `"partner/shopmart": "2026-03-01T03:03:04.123456789Z"`, `"partner/shopmart": "2026-03-01T03:03:04.123456Z"`, `failure clock of "partner/shopmart": PostgreSQL has`},
		// erp is copied again; zz is the one too many.
		{"an endpoint only in PostgreSQL", `"subscriber/erp"`, `"subscriber/zz"`, `disabled endpoint "subscriber/zz": in PostgreSQL, not in the source`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before string
			if err := pool.QueryRow(ctx, `SELECT document FROM webhook_endpoints`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(before, tc.from) {
				t.Fatalf("the document lacks %s:\n%s", tc.from, before)
			}
			if _, err := pool.Exec(ctx, `UPDATE webhook_endpoints SET document = $1`, strings.Replace(before, tc.from, tc.to, 1)); err != nil {
				t.Fatal(err)
			}
			defer pool.Exec(ctx, `UPDATE webhook_endpoints SET document = $1`, before)
			if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want ErrCopyMismatch, %q", err, tc.want)
			}
		})
	}
}

// TestCopyFromContinues: a list PostgreSQL already holds part of (a run
// before, or an endpoint disabled again) gets the rest, once; an empty
// file copies nothing and finds nothing else.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	src := fileList(t)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := webhook.OpenEndpoints(filepath.Join(t.TempDir(), "none.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := CopyFrom(ctx, empty, dst); err != nil || r.Source != 0 || r.Verified != 0 {
		t.Errorf("no file: %v %v", r, err)
	}
	shared, err := webhook.OpenSharedEndpoints(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := src.Disabled("partner/acme", "https://acme.example/in")
	if _, err := shared.Adopt(ctx, []webhook.EndpointState{part}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 3 || r.Present != 1 || r.Verified != 4 {
		t.Errorf("continuing: %v %v", r, err)
	}
	if _, err := CopyFrom(ctx, empty, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("an empty source against a filled list: %v; want ErrCopyMismatch", err)
	}
}
