package documents

import "math"

// Decimal is an X12 numeric value (type R or N0) kept as written, e.g.
// "12", "12.0", "-3" or ".5". The decoder accepts only an optional minus
// sign, digits and at most one decimal point with at least one digit.
type Decimal string

// Int64 returns the value as a whole number: "12.0" gives 12, "-3" gives
// -3. It fails with ErrNotWhole for a fraction ("12.5") or a value out of
// range, and with ErrBadNumber for text that is not a number (including
// "").
func (d Decimal) Int64() (int64, error) {
	s := string(d)
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if !validUnsigned(s) {
		return 0, ErrBadNumber
	}
	var n uint64
	i := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		if n > (math.MaxInt64+1)/10 {
			return 0, ErrNotWhole
		}
		n = n*10 + uint64(s[i]-'0')
	}
	for i++; i < len(s); i++ {
		if s[i] != '0' {
			return 0, ErrNotWhole
		}
	}
	switch {
	case neg && n <= math.MaxInt64+1:
		return -int64(n), nil // two's complement: -(1<<63) is MinInt64
	case !neg && n <= math.MaxInt64:
		return int64(n), nil
	}
	return 0, ErrNotWhole
}

// Valid reports whether d is an X12 decimal number.
func (d Decimal) Valid() bool { return validDecimal(string(d)) }

// validDecimal reports whether s is an X12 decimal: [-]digits[.digits]
// with at least one digit.
func validDecimal[S string | []byte](s S) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	return validUnsigned(s)
}

func validUnsigned[S string | []byte](s S) bool {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// validInteger reports whether s is an X12 N0 number: [-]digits.
func validInteger[S string | []byte](s S) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
