package x12

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Delimiters are the separators of one interchange, read from its ISA.
type Delimiters struct {
	Element    byte // ISA byte 3
	Repetition byte // ISA11 from version 00402 on; 0 when there is none
	Component  byte // ISA16
	// Segment is the segment terminator: usually one byte, but a partner may
	// use a multi-byte UTF-8 character (a lenient reader accepts it).
	Segment string
	// Suffix is written after every terminator by a Writer (e.g. "\n" or
	// "\r\n"); the reader skips CR and LF after terminators on its own.
	Suffix string
}

// DefaultDelimiters are the delimiters Dockside writes unless a profile
// chooses others: * ^ > ~ and a newline after each segment.
var DefaultDelimiters = Delimiters{Element: '*', Repetition: '^', Component: '>', Segment: "~", Suffix: "\n"}

// Validate reports whether the delimiters can be told apart from each other
// and from data.
func (d Delimiters) Validate() error {
	if d.Segment == "" {
		return fmt.Errorf("%w: empty", ErrBadTerminator)
	}
	// One byte, or one UTF-8 character (a leniency some partners need).
	if len(d.Segment) > 1 && (!utf8.ValidString(d.Segment) || utf8.RuneCountInString(d.Segment) != 1) {
		return fmt.Errorf("%w: %q is not one character", ErrBadTerminator, d.Segment)
	}
	if strings.Trim(d.Suffix, "\r\n") != "" {
		return fmt.Errorf("suffix %q: only CR and LF may follow a terminator", d.Suffix)
	}
	seps := []byte{d.Element, d.Component, d.Segment[0]}
	if d.Repetition != 0 {
		seps = append(seps, d.Repetition)
	}
	for i, a := range seps {
		if isAlnum(a) || a == ' ' {
			return fmt.Errorf("delimiter %q is a letter, digit or space", a)
		}
		// Readers skip line breaks after terminators: only the terminator
		// itself may be one.
		if (a == '\r' || a == '\n') && i != 2 {
			return fmt.Errorf("delimiter %q: only the segment terminator may be a line break", a)
		}
		for _, b := range seps[i+1:] {
			if a == b {
				return fmt.Errorf("delimiter %q used twice", a)
			}
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
