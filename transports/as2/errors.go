package as2

import (
	"errors"
	"fmt"
)

// Sentinel errors of the package. The receive-side ones decide the MDN
// disposition (see dispositionFor).
var (
	// ErrBadRequest means an HTTP request is not an AS2 message: a
	// required header is missing or malformed.
	ErrBadRequest = errors.New("as2: bad request")
	// ErrUnknownPartner means no partner has the AS2 id or partner id.
	ErrUnknownPartner = errors.New("as2: unknown partner")
	// ErrNotForUs means AS2-To does not name this station.
	ErrNotForUs = errors.New("as2: message not addressed to this station")
	// ErrDecryption means the message could not be decrypted, or was not
	// encrypted when the partner's profile requires it.
	ErrDecryption = errors.New("as2: decryption failed")
	// ErrAuthentication means the signer could not be authenticated: the
	// signature does not verify with the partner's certificates, or the
	// message is unsigned when the profile requires a signature.
	ErrAuthentication = errors.New("as2: authentication failed")
	// ErrIntegrity means the content does not match its signature.
	ErrIntegrity = errors.New("as2: integrity check failed")
	// ErrDecompression means CompressedData could not be decompressed.
	ErrDecompression = errors.New("as2: decompression failed")
	// ErrUnsupported means an algorithm or format this station does not
	// implement (e.g. RC2, AES-GCM, MD5, an unknown CMS content type).
	ErrUnsupported = errors.New("as2: unsupported algorithm or format")
	// ErrUnsupportedMIC means the partner required a signed-receipt-micalg
	// of which we support none.
	ErrUnsupportedMIC = errors.New("as2: unsupported MIC algorithms")
	// ErrMIME means malformed MIME.
	ErrMIME = errors.New("as2: malformed MIME")
	// ErrASN1 means malformed BER/DER.
	ErrASN1 = errors.New("as2: malformed ASN.1")
	// ErrTooLarge means a message or its decompressed content exceeds
	// the configured limit.
	ErrTooLarge = errors.New("as2: message too large")
	// ErrMDN means the partner's MDN reports a failure, does not match
	// what we sent, or cannot be read.
	ErrMDN = errors.New("as2: negative or invalid MDN")
	// ErrMICMismatch means the MIC in the partner's MDN is not the MIC of
	// what we sent.
	ErrMICMismatch = errors.New("as2: MIC mismatch")
	// ErrHTTP means the partner's server answered with an HTTP error.
	ErrHTTP = errors.New("as2: HTTP error")
	// ErrConfig means a Partner, Identity or configuration value is
	// invalid.
	ErrConfig = errors.New("as2: invalid configuration")
	// ErrReceivedBefore means a processed outcome is already recorded for
	// the partner's Message-ID (Records.PutReceived): the first stays.
	ErrReceivedBefore = errors.New("as2: message received and processed before")
)

// errOurs marks a failure of this station rather than of the message
// (the inbox could not store it, a profile is invalid): without an MDN,
// the sender is told 500 and should send again.
var errOurs = errors.New("as2: this station failed")

// errSpool means a body could not be written to the spool folder.
var errSpool = errors.New("as2: spooling the body")

// errSpoolFull means a body would take the spool folder over
// HandlerConfig.MaxSpool.
var errSpoolFull = errors.New("as2: the spool is full")

// HeaderError is a missing or malformed AS2 header.
type HeaderError struct {
	Header string // e.g. "AS2-From"
	Value  string // the value received, "" when missing
	Msg    string
}

// Error reports the header, its value and the problem.
func (e *HeaderError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("as2: header %s: %s", e.Header, e.Msg)
	}
	return fmt.Sprintf("as2: header %s %q: %s", e.Header, e.Value, e.Msg)
}

// Unwrap makes errors.Is(err, ErrBadRequest) true.
func (e *HeaderError) Unwrap() error { return ErrBadRequest }

// MIMEError is malformed MIME at a place: the layer of the message (e.g.
// "decrypted entity", "multipart/signed part 2") and a byte offset in it.
type MIMEError struct {
	Layer  string
	Offset int
	Msg    string
}

// Error reports the layer, the offset and the problem.
func (e *MIMEError) Error() string {
	return fmt.Sprintf("as2: %s, byte %d: %s", e.Layer, e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrMIME) true.
func (e *MIMEError) Unwrap() error { return ErrMIME }

// ASN1Error is malformed BER/DER at a byte offset of a CMS structure.
type ASN1Error struct {
	Structure string // e.g. "EnvelopedData"
	Offset    int    // -1 when unknown
	Msg       string
}

// Error reports the structure, the offset and the problem.
func (e *ASN1Error) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("as2: %s: %s", e.Structure, e.Msg)
	}
	return fmt.Sprintf("as2: %s, byte %d: %s", e.Structure, e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrASN1) true.
func (e *ASN1Error) Unwrap() error { return ErrASN1 }

// MDNError is a partner's MDN that does not confirm what we sent: a
// processed/error or failed disposition, a wrong Original-Message-ID, a
// missing signature, or a MIC that differs (then it also wraps
// ErrMICMismatch).
type MDNError struct {
	MessageID   string // our Message-ID
	Disposition string // as the MDN states it
	Msg         string
	mic         bool
}

// Error reports our Message-ID, the problem and the disposition.
func (e *MDNError) Error() string {
	s := fmt.Sprintf("as2: MDN for %s: %s", e.MessageID, e.Msg)
	if e.Disposition != "" {
		s += " (disposition: " + e.Disposition + ")"
	}
	return s
}

// Unwrap makes errors.Is work with ErrMDN, and with ErrMICMismatch for a
// MIC mismatch.
func (e *MDNError) Unwrap() []error {
	if e.mic {
		return []error{ErrMDN, ErrMICMismatch}
	}
	return []error{ErrMDN}
}

// HTTPError is an HTTP status other than 2xx from a partner's server.
type HTTPError struct {
	URL    string
	Status int
	Body   string // the start of the response body
}

// Error reports the URL, the status and the start of the body.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("as2: POST %s: HTTP %d: %s", e.URL, e.Status, e.Body)
}

// Unwrap makes errors.Is(err, ErrHTTP) true.
func (e *HTTPError) Unwrap() error { return ErrHTTP }
