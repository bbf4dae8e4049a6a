package specs

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/dockside-edi/dockside/edi/x12"
)

// valueProblem is what is wrong with one simple value, before it becomes
// an ElementError (kept small so the happy path builds nothing).
type valueProblem uint8

const (
	valueOK valueProblem = iota
	valueTooShort
	valueTooLong
	valueBadChar
	valueBadCode
	valueBadDate
	valueBadTime
	valueComponent // a component separator in a simple element
)

// code returns the AK403/IK403 code of a problem.
func (p valueProblem) code() string {
	switch p {
	case valueTooShort:
		return x12.ElemTooShort
	case valueTooLong:
		return x12.ElemTooLong
	case valueBadChar:
		return x12.ElemInvalidChar
	case valueBadCode:
		return x12.ElemInvalidCode
	case valueBadDate:
		return x12.ElemInvalidDate
	case valueBadTime:
		return x12.ElemInvalidTime
	}
	return ""
}

// checkValue checks a present (non-empty) simple value against its
// element definition. It returns the first problem and, for length
// problems, the length counted.
func checkValue(el *Element, b []byte, comp byte) (valueProblem, int) {
	switch el.Type {
	case TypeN:
		n, ok := numericDigits(b, false)
		if !ok {
			return valueBadChar, 0
		}
		return checkLength(el, n)
	case TypeR:
		n, ok := numericDigits(b, true)
		if !ok {
			return valueBadChar, 0
		}
		return checkLength(el, n)
	case TypeDT:
		if !allDigits(b) {
			return valueBadDate, 0
		}
		if p, n := checkLength(el, len(b)); p != valueOK {
			return p, n
		}
		if !validDate(b) {
			return valueBadDate, 0
		}
		return valueOK, 0
	case TypeTM:
		if !allDigits(b) {
			return valueBadTime, 0
		}
		if p, n := checkLength(el, len(b)); p != valueOK {
			return p, n
		}
		if !x12.ValidTime(string(b)) {
			return valueBadTime, 0
		}
		return valueOK, 0
	}
	if el.codes != nil && el.codes.has(b) {
		// Codes are printable and fit the element's length.
		return valueOK, 0
	}
	// AN and ID: printable characters of the basic and extended sets.
	n, ok := textLength(b, comp)
	if !ok {
		if comp != 0 && bytes.IndexByte(b, comp) >= 0 {
			return valueComponent, 0
		}
		return valueBadChar, 0
	}
	if el.codes != nil {
		// A code list defines the valid values, length included.
		return valueBadCode, 0
	}
	return checkLength(el, n)
}

func checkLength(el *Element, n int) (valueProblem, int) {
	switch {
	case n < el.Min:
		return valueTooShort, n
	case n > el.Max:
		return valueTooLong, n
	}
	return valueOK, n
}

// numericDigits validates an N or (decimal) R value: an optional leading
// minus, digits, and for R at most one decimal point. It returns the
// number of digits, which is what X12 lengths count.
func numericDigits(b []byte, decimal bool) (int, bool) {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	digits, point := 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && decimal && !point:
			point = true
		default:
			return 0, false
		}
	}
	return digits, digits > 0
}

// textLength counts the characters of an AN or ID value and reports
// whether all are printable and none is the component separator comp: no control characters (below 0x20, 0x7F, the
// C1 range) and valid UTF-8 beyond ASCII.
func textLength(b []byte, comp byte) (int, bool) {
	// Eight bytes at a time while they are all printable ASCII other than
	// comp (the usual case); the loop below checks the rest one by one.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	compMask := ones * uint64(comp)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		below := (w - 0x20*ones) &^ w // high bit set where a byte is < 0x20 (w has no high bits here)
		del := w ^ 0x7F*ones          // zero bytes where a byte is 0x7F
		sep := w ^ compMask           // zero bytes where a byte is comp
		zero := ((del - ones) &^ del) | ((sep - ones) &^ sep)
		if (w|below|zero)&highs != 0 {
			break
		}
	}
	ascii := true
	for _, c := range b[i:] {
		if c < 0x20 || c == 0x7F || c == comp {
			return 0, false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return len(b), true
	}
	n := i
	b = b[i:]
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 || r >= 0x80 && r < 0xA0 {
			return 0, false
		}
		b = b[size:]
		n++
	}
	return n, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// validDate checks CCYYMMDD, or YYMMDD with either century.
func validDate(b []byte) bool {
	switch len(b) {
	case 8:
		return x12.ValidDate(string(b))
	case 6:
		var buf [8]byte
		copy(buf[2:], b)
		buf[0], buf[1] = '2', '0'
		if x12.ValidDate(string(buf[:])) {
			return true
		}
		buf[0], buf[1] = '1', '9'
		return x12.ValidDate(string(buf[:]))
	}
	return false
}
