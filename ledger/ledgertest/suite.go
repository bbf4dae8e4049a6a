// Package ledgertest is the ledger's contract suite: the behaviour every
// ledger.Store must have, whatever keeps it. Run it from a store's tests
// with a function that opens an empty store:
//
//	func TestContract(t *testing.T) { ledgertest.Run(t, openStore) }
//
// These are the ledger package's behavioural tests (postings, duplicates,
// snapshots as of a time, stale and absorbed movements, allocations and
// reservations, queries, timelines, source keys, reconciliation, and the
// property tests); what only the bbolt file has (its layout, crash
// recovery, read-only opening) is tested in package ledger.
package ledgertest

import "testing"

// Run runs the whole suite against the stores open makes, each test on
// an empty store of its own.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"LateMovementsAfterSnapshot", testLateMovementsAfterSnapshot},
		{"Kinds", testKinds},
		{"AvailableNegativeIsReported", testAvailableNegativeIsReported},
		{"RecordedFields", testRecordedFields},
		{"SourceLookups", testSourceLookups},
		{"Duplicates", testDuplicates},
		{"EmptyDocument", testEmptyDocument},
		{"BadInput", testBadInput},
		{"BadDocument", testBadDocument},
		{"OverflowWritesNothing", testOverflowWritesNothing},
		{"ConcurrentPostersShareCommits", testConcurrentPostersShareCommits},
		{"FailureInsideGroupCommit", testFailureInsideGroupCommit},
		{"CanceledContext", testCanceledContext},
		{"LargeDocument", testLargeDocument},
		{"PostLeavesMovementsWhenRefused", testPostLeavesMovementsWhenRefused},
		{"PropertyRandomPostings", testPropertyRandomPostings},
		{"PropertySnapshotOrder", testPropertySnapshotOrder},
		{"PropertyGroupCommitIsSerial", testPropertyGroupCommitIsSerial},
		{"Balances", testBalances},
		{"BalanceAcrossLocations", testBalanceAcrossLocations},
		{"History", testHistory},
		{"ChangesSince", testChangesSince},
		{"BalancesSkipLongTimelines", testBalancesSkipLongTimelines},
		{"AllocationsBesideTimeline", testAllocationsBesideTimeline},
		{"BalanceAsOfExtremes", testBalanceAsOfExtremes},
		{"Reconcile", testReconcile},
		{"ReconcileBadInput", testReconcileBadInput},
		{"RequireAvailableNeverPromisesTheSameUnitTwice", testRequireAvailableNeverPromisesTheSameUnitTwice},
		{"SnapshotTiming", testSnapshotTiming},
		{"TimelineLongAndLate", testTimelineLongAndLate},
		{"SnapshotAgainstSpilledTimeline", testSnapshotAgainstSpilledTimeline},
		{"PositionsLoadedInKeyOrder", testPositionsLoadedInKeyOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}
