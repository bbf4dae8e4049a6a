// Package inboxtest is the contract test suite of inbox.Storage: the
// bbolt store (package inbox) and the PostgreSQL store (inbox/postgres)
// run the same Run.
package inboxtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// Open opens an empty store for t, closed when t ends, whose clock is
// now (nil: time.Now) and whose size limit is maxSize (0: its default).
type Open func(t testing.TB, now func() time.Time, maxSize int64) inbox.Storage

// Run runs the whole contract against the stores open makes.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, Open)
	}{
		{"Reader", testReader},
		{"ReceiveStoresBytes", testReceiveStoresBytesFirst},
		{"Duplicates", testDuplicates},
		{"ClaimTakesTurnsBetweenPartners", testClaimTakesTurnsBetweenPartners},
		{"ReplayOnlyFailed", testReplayOnlyFailed},
		{"InterchangeDuplicates", testInterchangeDuplicates},
		{"PurgeKeepsWhatIsNotDone", testPurgeKeepsWhatIsNotDone},
		{"ReplayKeepsHistory", testReplayKeepsHistory},
		{"ReplayUnnamed", testReplayUnnamed},
		{"SizeLimit", testSizeLimit},
		{"FinishChecks", testFinishChecks},
		{"ReceiveKey", testReceiveKey},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, open) })
	}
}

func receive(t *testing.T, s inbox.Storage, partner, name, body string) *inbox.Message {
	t.Helper()
	m, err := s.Receive(context.Background(), inbox.Arrival{Partner: partner, Transport: "test", Name: name}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// claimUntil claims messages until it gets id.
func claimUntil(t *testing.T, s inbox.Storage, id uint64) *inbox.Message {
	t.Helper()
	for {
		m, err := s.Claim()
		if err != nil {
			t.Fatalf("claiming %d: %v", id, err)
		}
		if m.ID == id {
			return m
		}
	}
}

// narrow reports whether a search by f reads only matching messages in
// every backend: at most one of control, type, state and partner, or
// state and partner together (an index holds exactly those).
func narrow(f *inbox.Filter) bool {
	conds := 0
	for _, set := range []bool{f.Control != "", f.DocType != "", f.State != "", f.Partner != ""} {
		if set {
			conds++
		}
	}
	return conds <= 1 || (conds == 2 && f.State != "" && f.Partner != "")
}
