package gateway

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// TestLeadingBlanksAsTheReaderTakesThem: the gateway decides "X12 or
// not" as the X12 reader reads: an 846 after 1,000 blank lines (past the
// 512 bytes the gateway used to look at) is processed as X12, and one
// after more blanks than the reader skips fails as not X12.
func TestLeadingBlanksAsTheReaderTakesThem(t *testing.T) {
	stock, err := os.ReadFile(samples + "/acme-3pl/inventory-846.edi")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		blanks int
		state  inbox.State
		want   string
	}{
		{"1,000 blanks", 1000, inbox.Done, ""},
		{"64 KiB of blanks", 64 << 10, inbox.Done, ""},
		{"64 KiB and one", 64<<10 + 1, inbox.Failed, "not X12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := openTest(t, nil)
			body := append(bytes.Repeat([]byte("\n"), tt.blanks), stock...)
			m := limitsDrain(t, g, limitsReceive(t, g, "acme-3pl", "padded.edi", body).ID)
			if m.State != tt.state || !strings.Contains(errorsText(m), tt.want) {
				t.Fatalf("%s, want %s with %q: %v", m.State, tt.state, tt.want, m.Errors)
			}
			if tt.state == inbox.Done && m.Result.Movements != 7 {
				t.Errorf("%d movements, want 7", m.Result.Movements)
			}
		})
	}
}
