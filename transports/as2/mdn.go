package as2

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// MDN is a parsed Message Disposition Notification.
type MDN struct {
	OriginalMessageID string
	ReportingUA       string
	FinalRecipient    string
	Disposition       Disposition
	DispositionField  string // as received
	MIC               MIC    // zero when the MDN has none
	Signed            bool
	Signer            *x509.Certificate // when signed
	Text              string            // the human-readable part
}

// Summary is a one-line account of the MDN, for outbox receipts.
func (m *MDN) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "MDN for %s: %s", m.OriginalMessageID, m.Disposition)
	if m.MIC.Value != "" {
		fmt.Fprintf(&b, "; MIC %s", m.MIC)
	}
	if m.Signed {
		fmt.Fprintf(&b, "; signed by %s", m.Signer.Subject.CommonName)
	} else {
		b.WriteString("; unsigned")
	}
	return b.String()
}

// mdnReport is what goes into an MDN we make.
type mdnReport struct {
	reportingUA       string
	from, to          string // AS2-From and AS2-To of the original message
	originalMessageID string
	disposition       Disposition
	mic               MIC // zero: no Received-Content-MIC
	text              string
	sign              bool
	digest            digestAlg // of the signature, when sign
}

// buildMDN returns the Content-Type and body of an MDN: a
// multipart/report, wrapped in multipart/signed when r.sign.
func buildMDN(r mdnReport, id Identity) (string, []byte, error) {
	boundary := newBoundary()
	var b bytes.Buffer
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n", boundary)
	b.WriteString(asciiText(r.text))
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: message/disposition-notification\r\nContent-Transfer-Encoding: 7bit\r\n\r\n", boundary)
	fmt.Fprintf(&b, "Reporting-UA: %s\r\n", r.reportingUA)
	fmt.Fprintf(&b, "Original-Recipient: rfc822; %s\r\n", quoteAS2ID(r.to))
	fmt.Fprintf(&b, "Final-Recipient: rfc822; %s\r\n", quoteAS2ID(r.to))
	fmt.Fprintf(&b, "Original-Message-ID: %s\r\n", r.originalMessageID)
	fmt.Fprintf(&b, "Disposition: %s\r\n", r.disposition.Field())
	if r.mic.Value != "" {
		fmt.Fprintf(&b, "Received-Content-MIC: %s\r\n", r.mic)
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	ctype := fmt.Sprintf(`multipart/report; report-type=disposition-notification; boundary="%s"`, boundary)
	if !r.sign {
		return ctype, b.Bytes(), nil
	}
	report := newEntity([]field{{"Content-Type", ctype}, {"Content-Transfer-Encoding", "7bit"}}, b.Bytes())
	return signEntity(report.raw, id, r.digest)
}

// signEntity signs a MIME entity (headers and body, as they are) and
// returns the Content-Type and body of the multipart/signed holding it.
//
// The layout is OpenSSL's: delimiter lines end in LF and the line break
// before a delimiter is a bare LF, while the signed entity keeps its CRLFs.
// `openssl cms -verify -binary` keeps a CR before a delimiter as content,
// so a CRLF layout cannot verify there; this one reads the same (the
// entity, byte for byte) in OpenSSL with or without -binary, in MIME
// parsers that take CRLF or LF delimiters (JavaMail, Python's email, Go's
// mime/multipart) and in ours.
func signEntity(raw []byte, id Identity, d digestAlg) (string, []byte, error) {
	sig, err := signDetached(raw, id, d)
	if err != nil {
		return "", nil, err
	}
	boundary := newBoundary()
	var b bytes.Buffer
	b.Grow(len(raw) + len(sig)*4/3 + 512)
	fmt.Fprintf(&b, "--%s\n", boundary)
	b.Write(raw)
	fmt.Fprintf(&b, "\n--%s\n", boundary)
	b.WriteString("Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\n" +
		"Content-Transfer-Encoding: base64\n" +
		"Content-Disposition: attachment; filename=\"smime.p7s\"\n\n")
	b.Write(bytes.ReplaceAll(encodeBase64Lines(sig), []byte("\r\n"), []byte("\n")))
	fmt.Fprintf(&b, "\n--%s--\n", boundary)
	ctype := fmt.Sprintf(`multipart/signed; protocol="application/pkcs7-signature"; micalg=%s; boundary="%s"`, d.micalg, boundary)
	return ctype, b.Bytes(), nil
}

// parseMDN reads an MDN given its Content-Type and body. A signed MDN is
// verified with certs (ErrAuthentication, ErrIntegrity); an unsigned one
// is refused when requireSigned.
func parseMDN(ctype string, body []byte, certs []*x509.Certificate, requireSigned bool) (*MDN, error) {
	m := &MDN{}
	t, params := parseMediaType(ctype)
	inner := &entity{fields: []field{{"Content-Type", ctype}}, body: body}
	if t == "multipart/signed" {
		content, v, err := verifyMultipartSigned(body, params["boundary"], certs, "MDN")
		if err != nil {
			return nil, err
		}
		m.Signed, m.Signer = true, v.signer
		if inner, err = parseEntity(content, "signed MDN"); err != nil {
			return nil, err
		}
		t, params = inner.mediaType()
	} else if requireSigned {
		return nil, fmt.Errorf("%w: MDN not signed (%s)", ErrAuthentication, t)
	}
	var notification []byte
	switch t {
	case "message/disposition-notification":
		notification = inner.body
	case "multipart/report":
		parts, err := splitMultipart(inner.body, params["boundary"], "multipart/report")
		if err != nil {
			return nil, err
		}
		for i, p := range parts {
			pe, err := parseEntity(p, fmt.Sprintf("multipart/report part %d", i+1))
			if err != nil {
				return nil, err
			}
			switch pt, _ := pe.mediaType(); pt {
			case "message/disposition-notification":
				notification = pe.body
			case "text/plain":
				if m.Text == "" {
					text, _ := pe.decodedBody()
					m.Text = strings.TrimSpace(string(text))
				}
			}
		}
	default:
		return nil, &MIMEError{Layer: "MDN", Msg: "content type " + t + " is not an MDN"}
	}
	if notification == nil {
		return nil, &MIMEError{Layer: "MDN", Msg: "no message/disposition-notification part"}
	}
	block := append(append([]byte(nil), bytes.TrimRight(notification, "\r\n")...), "\r\n\r\n"...)
	fields, err := parseEntity(block, "disposition notification")
	if err != nil {
		return nil, err
	}
	m.OriginalMessageID = fields.header("Original-Message-ID")
	m.ReportingUA = fields.header("Reporting-UA")
	m.FinalRecipient = fields.header("Final-Recipient")
	m.DispositionField = fields.header("Disposition")
	var ok bool
	if m.Disposition, ok = ParseDisposition(m.DispositionField); !ok {
		return nil, &MIMEError{Layer: "disposition notification", Msg: fmt.Sprintf("disposition %q", m.DispositionField)}
	}
	if v := fields.header("Received-Content-MIC"); v != "" {
		m.MIC, _ = ParseMIC(v)
	}
	return m, nil
}

// verifyMultipartSigned checks a multipart/signed body and returns the
// signed part's bytes as they were signed (as received, or canonicalized
// to CRLF when only that form matches).
func verifyMultipartSigned(body []byte, boundary string, certs []*x509.Certificate, layer string) ([]byte, *verifiedSignature, error) {
	parts, err := splitMultipart(body, boundary, layer+" multipart/signed")
	if err != nil {
		return nil, nil, err
	}
	if len(parts) != 2 {
		return nil, nil, &MIMEError{Layer: layer + " multipart/signed", Msg: fmt.Sprintf("%d parts, want 2", len(parts))}
	}
	sigEntity, err := parseEntity(parts[1], layer+" multipart/signed part 2")
	if err != nil {
		return nil, nil, err
	}
	sig, err := sigEntity.decodedBody()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signature encoding: %v", ErrAuthentication, err)
	}
	if len(sig) > 0 && sig[0] != 0x30 { // base64 without its Content-Transfer-Encoding
		if d, err := decodeBase64(sig); err == nil && len(d) > 0 && d[0] == 0x30 {
			sig = d
		}
	}
	v, err := verifySignedData(sig, [][]byte{parts[0]}, certs)
	if errors.Is(err, ErrIntegrity) {
		// Other readings of the same bytes, tried only when the usual one
		// does not match.
		var others [][]byte
		if p := parts[0]; len(p) < cap(p) && p[:len(p)+1][len(p)] == '\r' {
			// The part ended in CR LF before the delimiter. RFC 2046 gives
			// the CR LF to the delimiter; OpenSSL's -binary reading keeps
			// the CR as content. (parts[0] is a slice of body: the byte
			// after it is the one that follows in body.)
			others = append(others, p[:len(p)+1])
		}
		if c := canonicalCRLF(parts[0]); len(c) != len(parts[0]) {
			others = append(others, c) // text signed in canonical form, sent with LFs
		}
		if len(others) > 0 {
			if v2, err2 := verifySignedData(sig, others, certs); err2 == nil {
				v, err = v2, nil
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return v.content, v, nil
}

func newBoundary() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "----=_Dockside_" + hex.EncodeToString(b)
}

// asciiText keeps printable ASCII and line breaks (as CRLF).
func asciiText(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '\n':
			b.WriteString("\r\n")
		case r == '\t' || (r >= ' ' && r < 0x7f):
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
