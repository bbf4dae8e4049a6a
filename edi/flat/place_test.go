package flat

import (
	"errors"
	"testing"
)

func TestPlaceString(t *testing.T) {
	tests := []struct {
		place      Place
		want, cell string
	}{
		{Place{File: "inventory.csv", Line: 14, Column: 7}, "inventory.csv:14:7", ""},
		{Place{File: "inventory.csv", Line: 14}, "inventory.csv:14", ""},
		{Place{File: "inventory.csv"}, "inventory.csv", ""},
		{Place{Line: 14, Column: 7}, "line 14, column 7", ""},
		{Place{Line: 14}, "line 14", ""},
		{Place{}, "", ""},
		{Place{File: "stock.xlsx", Sheet: "Stock", Line: 12, Column: 3}, "stock.xlsx:Stock!C12", "C12"},
		{Place{File: "stock.xlsx", Sheet: "Stock", Line: 12}, "stock.xlsx:Stock row 12", ""},
		{Place{File: "stock.xlsx", Sheet: "Stock"}, "stock.xlsx:Stock", ""},
		{Place{Sheet: "My Sheet", Line: 1, Column: 16384}, "My Sheet!XFD1", "XFD1"},
	}
	for _, tc := range tests {
		if got := tc.place.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.place, got, tc.want)
		}
		if got := tc.place.Cell(); got != tc.cell {
			t.Errorf("%#v.Cell() = %q, want %q", tc.place, got, tc.cell)
		}
	}
}

func TestColumnName(t *testing.T) {
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 53: "BA", 702: "ZZ", 703: "AAA", 16384: "XFD"} {
		if got := columnName(n); got != want {
			t.Errorf("columnName(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseError(t *testing.T) {
	err := error(&ParseError{File: "inventory.csv", Line: 14, Column: 7, Field: "qty", Err: ErrShortLine})
	if got, want := err.Error(), `inventory.csv:14:7: field "qty": line too short`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrShortLine) || errors.Is(err, ErrFieldCount) {
		t.Error("errors.Is does not follow the wrapped sentinel")
	}
	if !IsRowError(err) || IsRowError(&ParseError{Err: ErrRecordTooLong}) {
		t.Error("IsRowError misclassifies")
	}
	xl := &ParseError{File: "stock.xlsx", Sheet: "Stock", Line: 12, Column: 3, Field: "qty\n", Err: ErrFieldCount}
	if got, want := xl.Error(), `stock.xlsx:Stock!C12: field "qty\n": wrong number of fields`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if xl.Cell() != "C12" {
		t.Errorf("Cell() = %q", xl.Cell())
	}
}
