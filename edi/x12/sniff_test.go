package x12

import (
	"bytes"
	"strings"
	"testing"
)

// TestLooksLikeX12AgreesWithReader: for every prefix before an ISA,
// LooksLikeX12 on the file's first HeadSize bytes says X12 exactly when
// the Reader reads the ISA.
func TestLooksLikeX12AgreesWithReader(t *testing.T) {
	const isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261125*2330*U*00401*000000001*0*P*>~\n"
	bom := "\xEF\xBB\xBF"
	tests := []struct {
		name   string
		prefix string
		want   bool
	}{
		{"none", "", true},
		{"line breaks", "\r\n\n", true},
		{"byte order mark", bom, true},
		{"byte order mark and indentation", bom + "  \t", true},
		{"600 blanks (past the old 512-byte look)", strings.Repeat(" ", 600), true},
		{"64 KiB of blanks", strings.Repeat("\n", maxPadding), true},
		{"64 KiB less one of blanks, then a byte order mark", strings.Repeat(" ", maxPadding-1) + bom, true},
		{"64 KiB and one of blanks", strings.Repeat(" ", maxPadding+1), false},
		{"a NUL", "\x00", false},
		{"text", "SKU,QTY\n", false},
		{"ISA as a word", "ISAAC", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := []byte(tt.prefix + isa)
			seg, err := NewReader(bytes.NewReader(file), nil).Next()
			read := err == nil && seg.ID == "ISA"
			if read != tt.want {
				t.Fatalf("the reader reads an ISA: %v (%v), want %v", read, err, tt.want)
			}
			head := file[:min(len(file), HeadSize)]
			if got := LooksLikeX12(head); got != read {
				t.Errorf("LooksLikeX12 = %v, the reader: %v", got, read)
			}
		})
	}
}

// FuzzLooksLikeX12: whatever comes before it, an ISA the Reader reads is
// one LooksLikeX12 sees (the Reader checks more than the tag, so the
// converse does not hold); and LooksLikeX12 never reads past its head.
func FuzzLooksLikeX12(f *testing.F) {
	const isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261125*2330*U*00401*000000001*0*P*>~\n"
	for _, p := range []string{"", " \n", "\xEF\xBB\xBF", "\x00", "ISAAC", "\xEF\xBB"} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, prefix []byte) {
		file := append(prefix, isa...)
		head := file[:min(len(file), HeadSize)]
		seg, err := NewReader(bytes.NewReader(file), nil).Next()
		if err == nil && seg.ID == "ISA" && !LooksLikeX12(head) {
			t.Fatalf("the reader reads an ISA after %q; LooksLikeX12 says no", prefix)
		}
	})
}
