package webhooks

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
)

func TestScope(t *testing.T) {
	sc := &Scope{Partner: "north", Locations: map[string]string{"DAL": "N-DAL", "FTW": ""}, Items: map[string]string{"A": "N-A"}}
	ev := func(partner, loc, sku string) stream.Event {
		return stream.Event{ID: "1-0", Data: stream.Data{Change: 1, Partner: partner, Location: loc, SKU: sku, Document: partner + "|850|DOC-1",
			DocumentType: "850", Order: "ORD-1", Reason: "why"}}
	}
	for _, tc := range []struct {
		name       string
		ev         stream.Event
		keeps      bool
		refs       bool
		code, item string
	}{
		{"own, coded", ev("north", "DAL", "A"), true, true, "N-DAL", "N-A"},
		{"another's at its location", ev("shop", "DAL", "B"), true, false, "N-DAL", ""},
		{"an operator's, no code", ev("", "FTW", "A"), true, false, "", "N-A"},
		{"elsewhere", ev("north", "ATL", "A"), false, true, "", "N-A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sc.Keeps(&tc.ev); got != tc.keeps {
				t.Fatalf("Keeps = %v", got)
			}
			orig := tc.ev
			got := sc.Apply(tc.ev)
			d := got.Data
			if hasRefs := d.Partner != "" && d.Document != "" && d.DocumentType != "" && d.Order != "" && d.Reason != ""; hasRefs != tc.refs {
				t.Fatalf("references kept = %v: %+v", hasRefs, d)
			}
			if !tc.refs {
				b, _ := json.Marshal(got)
				for _, f := range []string{`"partner"`, `"document"`, `"document_type"`, `"order"`, `"reason"`} {
					if strings.Contains(string(b), f) {
						t.Fatalf("%s in %s", f, b)
					}
				}
			}
			if d.LocationCode != tc.code || d.Item != tc.item {
				t.Fatalf("codes %q %q", d.LocationCode, d.Item)
			}
			if tc.ev != orig {
				t.Fatal("Apply changed its argument")
			}
		})
	}
}

// TestUpdateWhileRunning: subscribers added, removed and changed by
// Update take effect while the manager runs; an unchanged one keeps its
// relay; a removed one gets nothing more; one added again resumes from
// its cursor.
func TestUpdateWhileRunning(t *testing.T) {
	f := newFixture(t)
	secret := stdwebhooks.NewSecret()
	a, b := whtest.Start(t, secret.Text()), whtest.Start(t, secret.Text())
	subA, subB := subscriber("a", a, secret), subscriber("b", b, secret)
	m := f.start(subA)
	f.post(3)
	eventually(t, "a's events", func() bool { return len(accepted(t, a)) == 3 })
	if err := m.Update([]Subscriber{subA, subA}); err == nil {
		t.Fatal("a name twice accepted")
	}
	if err := m.Update([]Subscriber{subA, subB}); err != nil {
		t.Fatal(err)
	}
	f.post(2)
	eventually(t, "b's events", func() bool { return len(accepted(t, b)) == 5 })
	eventually(t, "a's events", func() bool { return len(accepted(t, a)) == 5 })
	st, _ := m.Statuses(context.Background())
	if len(st) != 2 || st[0].Delivered != 5 { // a's relay kept running
		t.Fatalf("statuses %+v", st)
	}
	if err := m.Update([]Subscriber{subB}); err != nil {
		t.Fatal(err)
	}
	f.post(2)
	eventually(t, "b's events", func() bool { return len(accepted(t, b)) == 7 })
	time.Sleep(200 * time.Millisecond) // a removed subscriber must stay quiet: give it a chance not to
	if got := accepted(t, a); !slices.Equal(got, wantIDs(1, 5)) {
		t.Fatalf("removed a got %v", got)
	}
	if _, err := m.Enable("a"); err == nil {
		t.Fatal("Enable of a removed subscriber")
	}
	if err := m.Update([]Subscriber{subB, subA}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a back", func() bool { return len(accepted(t, a)) == 7 })
	if got := accepted(t, a); !slices.Equal(got, wantIDs(1, 7)) {
		t.Fatalf("a got %v", got)
	}
}
