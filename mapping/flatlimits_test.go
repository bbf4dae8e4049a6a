package mapping

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/flat"
	"github.com/dockside-edi/dockside/partners"
)

// TestFlatLimits reads files over the flat-file limits: each is rejected
// whole, with a problem naming the limit, even with on_error: post_good
// (but for a value too long, a problem of its row only).
func TestFlatLimits(t *testing.T) {
	const head = "item,loc,qty,uom,kind\n"
	good := strings.Repeat("A1,W1,1,EA,OK\n", 3)
	tests := []struct {
		name, rows string
		limits     FlatLimits
		problems   int
		last       string // the last problem
		posted     int    // movements posted (post_good)
	}{
		{"rows at the limit", good, FlatLimits{MaxRows: 3}, 0, "", 3},
		{"rows over the limit", good + "B1,W1,1,EA,OK\n", FlatLimits{MaxRows: 3}, 1,
			"t.csv:5: too many rows: more than 3 (limit max_rows = 3); nothing of the file is posted", 0},
		{"too many problems", good + strings.Repeat("ZZ,W1,1,EA,OK\n", 10), FlatLimits{MaxProblems: 4}, 5,
			"t.csv: more than 4 problems (limit max_problems = 4): reading stopped; nothing of the file is posted", 0},
		{"a value longer than the ledger keeps", good + "A1,W1," + strings.Repeat("9", 2000) + ",EA,OK\n", FlatLimits{}, 1,
			`t.csv:5:7: quantity "` + strings.Repeat("9", 64) + `…": longer than 1024 bytes (2000)`, 3},
		{"a record over the byte limit", good + "B1,W1,1,EA,OK," + strings.Repeat("x", 100) + "\n", FlatLimits{Record: flat.Limits{MaxRecordBytes: 64}}, 1,
			"t.csv: t.csv:5: record too long: the record starting on line 5 has more bytes (limit max_record_bytes = 64)", 0},
		{"too many columns", good + "B1,W1,1,EA,OK,a,b,c\n", FlatLimits{Record: flat.Limits{MaxColumns: 6}}, 1,
			"t.csv: t.csv:5: too many columns: the record has more fields (limit max_columns = 6)", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewWithLimits(profile(t, fmt.Sprintf(csvProfile, "error", "snapshot", "post_good")), tc.limits)
			res, err := m.Flat(partners.DocCSV, strings.NewReader(head+tc.rows), Source{Partner: "t", FileHash: "h", FileName: "t.csv", Received: received})
			if res == nil {
				t.Fatal(err)
			}
			if len(res.Problems) != tc.problems {
				t.Fatalf("%d problems, want %d: %v", len(res.Problems), tc.problems, res.Problems)
			}
			if len(res.Movements) != tc.posted {
				t.Errorf("%d movements posted, want %d", len(res.Movements), tc.posted)
			}
			if tc.problems == 0 {
				if err != nil {
					t.Error(err)
				}
				return
			}
			if got := res.Problems[len(res.Problems)-1].Error(); got != tc.last {
				t.Errorf("last problem:\n got %q\nwant %q", got, tc.last)
			}
			if rejected := errors.Is(err, ErrRejected); rejected != (tc.posted == 0) {
				t.Errorf("rejected: %v (%v), want %v", rejected, err, tc.posted == 0)
			}
		})
	}
}
