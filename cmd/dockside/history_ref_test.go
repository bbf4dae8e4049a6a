package main

import (
	"testing"

	"github.com/dockside-edi/dockside/ledger"
)

// TestReferenceText: an X12 movement shows its interchange control number
// as ISA, a flat file's its hash as file.
func TestReferenceText(t *testing.T) {
	for _, tc := range []struct {
		ref  ledger.Reference
		want string
	}{
		{ledger.Reference{Partner: "acme-3pl", DocumentType: "846", Interchange: "000001001", Group: "1001", Transaction: "0001"},
			"acme-3pl 846 ISA 000001001 GS 1001 ST 0001"},
		{ledger.Reference{Partner: "northwind", DocumentType: "csv", Interchange: "9f86d081884c", Line: 3},
			"northwind csv file 9f86d081884c line 3"},
	} {
		if got := referenceText(ledger.Movement{Reference: tc.ref}); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
