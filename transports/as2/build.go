package as2

import (
	"bytes"
	"fmt"
	"mime"
	"time"

	"github.com/dockside-edi/dockside/outbox"
)

// outboundMessage is a message ready to POST: entity's fields become HTTP
// headers and its body the HTTP body.
type outboundMessage struct {
	entity    *entity
	mic       MIC // what the partner's MDN must report
	micDigest digestAlg
}

// buildMessage wraps a payload per the partner's profile: MIME entity,
// compression before or after signing, signature, encryption. It also
// computes the MIC the MDN must return (RFC 4130 §7.3.1, RFC 5402 §4.1).
func buildMessage(p Partner, id Identity, m *outbox.Message, payload []byte, now time.Time) (*outboundMessage, error) {
	ctype := m.Meta[MetaContentType]
	if ctype == "" {
		ctype = guessContentType(payload)
	}
	name := safeFileName(m.Name)
	if name == "" {
		name = fmt.Sprintf("dockside-%d%s", m.ID, extensionFor(ctype))
	}
	fields := []field{
		{"Content-Type", ctype},
		{"Content-Transfer-Encoding", p.TransferEncoding},
		{"Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name})},
	}
	body := payload
	if p.TransferEncoding == TransferBase64 {
		body = encodeBase64Lines(payload)
	}
	inner := newEntity(fields, body)
	cur := inner
	out := &outboundMessage{}
	out.micDigest, _ = digestByName(SignSHA256)
	signed := p.Sign != SignNone
	if signed {
		out.micDigest, _ = digestByName(p.Sign)
	}
	var err error
	if p.Compress && !p.CompressAfterSigning {
		if cur, err = compressEntity(cur); err != nil {
			return nil, err
		}
	}
	if signed {
		out.mic = computeMIC(out.micDigest, out.micDigest.micalg, cur.raw)
		ctype, sbody, err := signEntity(cur.raw, id, out.micDigest)
		if err != nil {
			return nil, err
		}
		cur = newEntity([]field{{"Content-Type", ctype}}, sbody)
	}
	if p.Compress && p.CompressAfterSigning {
		if cur, err = compressEntity(cur); err != nil {
			return nil, err
		}
	}
	if !signed {
		if p.Compress || p.Encrypt != EncryptNone {
			out.mic = computeMIC(out.micDigest, out.micDigest.micalg, inner.raw)
		} else {
			out.mic = computeMIC(out.micDigest, out.micDigest.micalg, inner.body)
		}
	}
	if p.Encrypt != EncryptNone {
		cert := encryptionCert(p.Certs, now)
		if cert == nil {
			return nil, fmt.Errorf("%w: partner %s has no certificate to encrypt to", ErrConfig, p.ID)
		}
		env, err := encryptEnveloped(cur.raw, cert, p.Encrypt, p.KeyEncryption)
		if err != nil {
			return nil, err
		}
		cur = newEntity([]field{
			{"Content-Type", `application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"`},
			{"Content-Transfer-Encoding", "binary"},
			{"Content-Disposition", `attachment; filename="smime.p7m"`},
		}, env)
	}
	out.entity = cur
	return out, nil
}

// compressEntity wraps an entity in CompressedData.
func compressEntity(e *entity) (*entity, error) {
	z, err := compressData(e.raw)
	if err != nil {
		return nil, fmt.Errorf("as2: compressing: %w", err)
	}
	return newEntity([]field{
		{"Content-Type", `application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"`},
		{"Content-Transfer-Encoding", "binary"},
		{"Content-Disposition", `attachment; filename="smime.p7z"`},
	}, z), nil
}

// guessContentType names a payload's media type from its first bytes.
func guessContentType(b []byte) string {
	t := bytes.TrimLeft(b, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(t, []byte("ISA")):
		return "application/edi-x12"
	case bytes.HasPrefix(t, []byte("UNA")), bytes.HasPrefix(t, []byte("UNB")):
		return "application/edifact"
	case bytes.HasPrefix(t, []byte("<")):
		return "application/xml"
	}
	return "application/octet-stream"
}
