package authkeys

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ParseExpiry parses an expiry-time value: YYYYMMDD, YYYYMMDDHHMM or
// YYYYMMDDHHMMSS, followed by Z or UTC (case-insensitive) for UTC, else
// read in loc (nil: UTC).
func ParseExpiry(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	digits := s
	switch {
	case len(s) > 1 && strings.EqualFold(s[len(s)-1:], "Z"):
		digits, loc = s[:len(s)-1], time.UTC
	case len(s) > 3 && strings.EqualFold(s[len(s)-3:], "UTC"):
		digits, loc = s[:len(s)-3], time.UTC
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return time.Time{}, fmt.Errorf("%q: want YYYYMMDD[HHMM[SS]][Z]", s)
		}
	}
	var layout string
	switch len(digits) {
	case 8:
		layout = "20060102"
	case 12:
		layout = "200601021504"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}, fmt.Errorf("%q: want YYYYMMDD[HHMM[SS]][Z]", s)
	}
	t, err := time.ParseInLocation(layout, digits, loc)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			return time.Time{}, fmt.Errorf("%q: not a date and time%s", s, pe.Message)
		}
		return time.Time{}, fmt.Errorf("%q: not a date and time (want YYYYMMDD[HHMM[SS]][Z])", s)
	}
	return t, nil
}
