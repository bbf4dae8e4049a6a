package as2

import (
	"errors"
	"strings"
)

// Disposition is the outcome an MDN reports, e.g. "processed",
// "processed/error: decryption-failed", "failed/failure: unsupported
// format".
type Disposition struct {
	Type     string // processed or failed
	Modifier string // "", error, warning or failure
	Detail   string // e.g. decryption-failed
}

// The dispositions this station gives.
var (
	DispProcessed          = Disposition{Type: "processed"}
	DispDecryptionFailed   = Disposition{"processed", "error", "decryption-failed"}
	DispAuthFailed         = Disposition{"processed", "error", "authentication-failed"}
	DispIntegrityFailed    = Disposition{"processed", "error", "integrity-check-failed"}
	DispDecompressFailed   = Disposition{"processed", "error", "decompression-failed"}
	DispUnexpectedError    = Disposition{"processed", "error", "unexpected-processing-error"}
	DispUnsupportedFormat  = Disposition{"failed", "failure", "unsupported format"}
	DispUnsupportedMICAlgs = Disposition{"failed", "failure", "unsupported MIC-algorithms"}
)

// String formats the disposition as in the Disposition field, without
// the action mode.
func (d Disposition) String() string {
	s := d.Type
	if d.Modifier != "" {
		s += "/" + d.Modifier + ": " + d.Detail
	}
	return s
}

// Field is the whole Disposition field value.
func (d Disposition) Field() string {
	return "automatic-action/MDN-sent-automatically; " + d.String()
}

// OK reports whether the disposition confirms processing: "processed",
// possibly with a warning.
func (d Disposition) OK() bool {
	return d.Type == "processed" && (d.Modifier == "" || d.Modifier == "warning")
}

// ParseDisposition reads a Disposition field value, with or without its
// action mode ("automatic-action/MDN-sent-automatically; processed").
func ParseDisposition(s string) (Disposition, bool) {
	if _, after, ok := strings.Cut(s, ";"); ok {
		s = after
	}
	s = strings.TrimSpace(s)
	typ, rest, hasMod := strings.Cut(s, "/")
	d := Disposition{Type: strings.ToLower(strings.TrimSpace(typ))}
	if hasMod {
		mod, detail, _ := strings.Cut(rest, ":")
		d.Modifier = strings.ToLower(strings.TrimSpace(mod))
		d.Detail = strings.TrimSpace(detail)
	}
	switch d.Type {
	case "processed", "failed", "displayed", "dispatched", "deleted", "denied":
		return d, true
	}
	return d, false
}

// dispositionFor maps a receive error to the disposition of its MDN.
func dispositionFor(err error) Disposition {
	switch {
	case errors.Is(err, ErrUnsupportedMIC):
		return DispUnsupportedMICAlgs
	case errors.Is(err, ErrUnsupported):
		return DispUnsupportedFormat
	case errors.Is(err, ErrDecryption):
		return DispDecryptionFailed
	case errors.Is(err, ErrIntegrity):
		return DispIntegrityFailed
	case errors.Is(err, ErrAuthentication), errors.Is(err, ErrUnknownPartner):
		return DispAuthFailed
	case errors.Is(err, ErrDecompression):
		return DispDecompressFailed
	}
	return DispUnexpectedError
}
