package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// CopyFrom copies the list of src (a stopped bbolt gateway's
// webhook-endpoints.json, webhook.OpenEndpoints) into dst: the disabled
// endpoints (name, URL, since, reason) and failure clocks dst lacks, by
// name, in one transaction (webhook.Endpoints.Adopt), keeping what dst
// has. Then it verifies that dst holds exactly src's entries, times to
// the nanosecond (the shared list is a JSON document, as the file is). A
// second run copies nothing. Source counts disabled endpoints and
// failure clocks. See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *webhook.Endpoints, dst *State) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	disabled, failing := src.List(""), src.FailingSince()
	r.Source = len(disabled) + len(failing)
	shared, err := webhook.OpenSharedEndpoints(ctx, dst)
	if err != nil {
		return r, err
	}
	n, err := shared.Adopt(ctx, disabled, failing)
	if err != nil {
		return r, fmt.Errorf("webhook endpoints: copying: %w", err)
	}
	r.Copied, r.Present = n, r.Source-n
	return r, verify(disabled, failing, shared, &r)
}

// verify compares the shared list with the source's entries, in name
// order, and reports the first difference.
func verify(disabled []webhook.EndpointState, failing map[string]time.Time, shared *webhook.Endpoints, r *pgstore.CopyReport) error {
	have := shared.List("") // by name, as src.List
	for i, w := range disabled {
		what := fmt.Sprintf("disabled endpoint %q", w.Name)
		switch {
		case i >= len(have) || have[i].Name > w.Name:
			return pgstore.Mismatch(r.Store, what, "missing in PostgreSQL")
		case have[i].Name < w.Name:
			return pgstore.Mismatch(r.Store, fmt.Sprintf("disabled endpoint %q", have[i].Name), "in PostgreSQL, not in the source")
		case !equalState(have[i], w):
			return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %+v, the source %+v", have[i], w))
		}
		r.Verified++
	}
	if len(have) > len(disabled) {
		return pgstore.Mismatch(r.Store, fmt.Sprintf("disabled endpoint %q", have[len(disabled)].Name), "in PostgreSQL, not in the source")
	}
	clocks := shared.FailingSince()
	for _, name := range slices.Sorted(maps.Keys(failing)) {
		what := fmt.Sprintf("failure clock of %q", name)
		t, ok := clocks[name]
		switch {
		case !ok:
			return pgstore.Mismatch(r.Store, what, "missing in PostgreSQL")
		case !t.Equal(failing[name]):
			return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %v, the source %v", t, failing[name]))
		}
		r.Verified++
	}
	for _, name := range slices.Sorted(maps.Keys(clocks)) {
		if _, ok := failing[name]; !ok {
			return pgstore.Mismatch(r.Store, fmt.Sprintf("failure clock of %q", name), "in PostgreSQL, not in the source")
		}
	}
	return nil
}

// equalState reports whether a and b are the same entry (times by
// instant).
func equalState(a, b webhook.EndpointState) bool {
	return a.Name == b.Name && a.URL == b.URL && a.Reason == b.Reason && a.Since.Equal(b.Since)
}
