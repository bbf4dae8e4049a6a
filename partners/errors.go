package partners

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sentinel errors. A [*ProfileError] wraps one of them, so errors.Is tells
// the class of a problem while the message says the details.
var (
	// ErrSyntax: the file is not valid YAML, is empty, or holds more than
	// one document.
	ErrSyntax = errors.New("invalid YAML")
	// ErrUnknownKey: a key that the profile schema does not define.
	ErrUnknownKey = errors.New("unknown key")
	// ErrDuplicateKey: the same key twice in one mapping.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrType: a value of the wrong type (a list where a mapping is
	// expected, text where a number is expected...).
	ErrType = errors.New("wrong type")
	// ErrEnum: a value outside its list of allowed values.
	ErrEnum = errors.New("value not allowed")
	// ErrRequired: a required field is missing or empty.
	ErrRequired = errors.New("required field missing")
	// ErrDuration: a duration that does not parse or is negative.
	ErrDuration = errors.New("invalid duration")
	// ErrCron: a schedule that is not a valid cron expression.
	ErrCron = errors.New("invalid cron expression")
	// ErrInvalid: a value with the right type that breaks a rule (range,
	// format, length).
	ErrInvalid = errors.New("invalid value")
	// ErrConflict: options that cannot be used together, or an option that
	// does not apply here.
	ErrConflict = errors.New("conflicting options")
	// ErrUndefinedTable: a reference to a table not defined under tables:.
	ErrUndefinedTable = errors.New("undefined table")
	// ErrTable: a cross-reference table whose content is unusable
	// (missing column, duplicate key, CSV syntax).
	ErrTable = errors.New("invalid table")
	// ErrFile: a referenced file (key, certificate, table) that does not
	// exist or cannot be read.
	ErrFile = errors.New("file not usable")
	// ErrKey: key material that does not parse (authorized_keys line,
	// known_hosts line, private key, certificate, password hash).
	ErrKey = errors.New("invalid key material")
	// ErrDuplicateID: two profiles with the same id.
	ErrDuplicateID = errors.New("duplicate partner id")
	// ErrAmbiguousIdentity: the same ISA sender, AS2 id or SFTP user in two
	// profiles (or twice in one).
	ErrAmbiguousIdentity = errors.New("ambiguous identity")
	// ErrFulfilledTwice: one of our locations named under fulfils by two
	// warehouse partners.
	ErrFulfilledTwice = errors.New("location fulfilled twice")
	// ErrTooComplex: a file too large, or whose aliases expand too far.
	ErrTooComplex = errors.New("profile too large")

	// ErrNoProfiles: the folder holds no *.yaml or *.yml file.
	ErrNoProfiles = errors.New("no partner profiles")
	// ErrUnknownPartner: a lookup that matches no profile.
	ErrUnknownPartner = errors.New("unknown partner")
	// ErrAmbiguousPartner: a lookup that matches more than one profile
	// (an ISA id looked up without its qualifier).
	ErrAmbiguousPartner = errors.New("ambiguous partner")
)

// ProfileError is one problem in one profile file, with its place.
type ProfileError struct {
	File   string // the profile file (or a table's CSV file), as given to Load
	Line   int    // 1-based; 0 when the problem concerns the whole file
	Column int    // 1-based; 0 when unknown
	Path   string // field path, e.g. documents[0].mapping.items.lookup; "" for the whole file
	Err    error  // the detail; wraps one of the sentinels
}

// Error returns "file:line:col: path: message"; the path part is left out
// when the problem concerns the whole file, and line:col when there is no
// line.
func (e *ProfileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the detail error, which wraps the sentinel.
func (e *ProfileError) Unwrap() error { return e.Err }

// LoadError carries every problem found while loading profiles, sorted by
// file, line, column and path.
type LoadError struct {
	Errs []*ProfileError
}

// Error returns one problem per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Errs))
	for i, pe := range e.Errs {
		lines[i] = pe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so errors.Is and errors.As see each of them.
func (e *LoadError) Unwrap() []error {
	errs := make([]error, len(e.Errs))
	for i, pe := range e.Errs {
		errs[i] = pe
	}
	return errs
}

// sortProfileErrors orders problems by file, line, column, path, message.
func sortProfileErrors(errs []*ProfileError) {
	slices.SortStableFunc(errs, func(a, b *ProfileError) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Err.Error(), b.Err.Error()),
		)
	})
}

// detail is a message that wraps a sentinel without repeating its text:
// Error() is the message alone, errors.Is finds the sentinel.
type detail struct {
	msg      string
	sentinel error
}

func (d *detail) Error() string { return d.msg }
func (d *detail) Unwrap() error { return d.sentinel }

// details builds a detail error.
func details(sentinel error, format string, args ...any) error {
	return &detail{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}
