package stdwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a timestamp may be from the verifier's
// clock, either way.
const DefaultTolerance = 5 * time.Minute

// maxIDLen bounds webhook-id (the signed content must stay unambiguous and
// headers small).
const maxIDLen = 256

// Signature returns the webhook-signature value: "v1,<base64>" for each
// secret, space-separated, in the order given.
func Signature(secrets []Secret, id string, ts time.Time, body []byte) (string, error) {
	var b strings.Builder
	n := 0
	for _, s := range secrets {
		if s.IsZero() {
			continue
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac(s, id, ts.Unix(), body)))
		n++
	}
	if n == 0 {
		return "", ErrNoSecret
	}
	return b.String(), nil
}

// Sign sets the three webhook headers on h for an attempt at time ts.
func Sign(h http.Header, secrets []Secret, id string, ts time.Time, body []byte) error {
	if err := checkID(id); err != nil {
		return err
	}
	sig, err := Signature(secrets, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}

func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return &HeaderError{Header: HeaderID, Reason: fmt.Sprintf("want 1 to %d characters", maxIDLen)}
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] >= 0x7f {
			return &HeaderError{Header: HeaderID, Reason: "want printable ASCII without spaces"}
		}
	}
	return nil
}

// mac is HMAC-SHA256(secret, "{id}.{ts}.{body}").
func mac(s Secret, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a request's headers and raw body against the secrets: the
// timestamp within tolerance of now (DefaultTolerance when 0), and at
// least one v1 signature made with one of the secrets. Signatures of
// other versions (v1a) are skipped. It returns the webhook-id.
func Verify(h http.Header, body []byte, secrets []Secret, tolerance time.Duration, now time.Time) (string, error) {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id := h.Get(HeaderID)
	if err := checkID(id); err != nil {
		return "", err
	}
	tsText := h.Get(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", &HeaderError{Header: HeaderTimestamp, Reason: "want Unix seconds"}
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return "", fmt.Errorf("%w: %s is %s from now (tolerance %s)", ErrTimestamp, tsText, d.Round(time.Second), tolerance)
	}
	sigs := h.Get(HeaderSignature)
	if sigs == "" {
		return "", &HeaderError{Header: HeaderSignature, Reason: "missing"}
	}
	keys := 0
	for _, s := range secrets {
		if !s.IsZero() {
			keys++
		}
	}
	if keys == 0 {
		return "", ErrNoSecret
	}
	for _, s := range secrets {
		if s.IsZero() {
			continue
		}
		want := mac(s, id, ts, body)
		for _, field := range strings.Fields(sigs) {
			version, value, ok := strings.Cut(field, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				continue
			}
			if hmac.Equal(got, want) {
				return id, nil
			}
		}
	}
	return "", ErrSignature
}
