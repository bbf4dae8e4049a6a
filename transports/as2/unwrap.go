package as2

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// maxLayers bounds the nesting of signed, encrypted and compressed
// layers in one message.
const maxLayers = 6

// Compression placements recorded in MetaCompressed.
const (
	compressedBeforeSigning = "before-signing"
	compressedAfterSigning  = "after-signing"
	compressedUnsigned      = "yes"
)

// unwrapped is a received message with its layers undone.
type unwrapped struct {
	entity     *entity // the payload's MIME entity
	payload    []byte  // its body, transfer encoding undone
	micInput   []byte  // the bytes the Received-Content-MIC covers
	micDigest  []byte  // micInput's digest with signDigest, when signed
	signed     bool
	signDigest digestAlg
	cipher     string // content encryption, "" when not encrypted
	keyTrans   string
	compressed string // "", compressedBeforeSigning, compressedAfterSigning, compressedUnsigned
	// zlibOutside: the compression layer came before any signature.
	zlibOutside bool
}

// expansion bounds decompressed content: at most max bytes, each asked
// of grow (when not nil) before it is kept.
type expansion struct {
	max  int64
	grow func(n int64) error
}

// unwrap undoes the encryption, compression and signature layers of a
// message from partner p, in whatever order they come, and checks the
// partner's requirements. exp bounds decompressed content. Errors wrap
// the sentinel that decides the MDN disposition.
func unwrap(top *entity, p Partner, id Identity, exp expansion) (*unwrapped, error) {
	u := &unwrapped{}
	cur := top
	for i := 0; ; i++ {
		if i == maxLayers {
			return nil, fmt.Errorf("%w: more than %d nested layers", ErrUnsupported, maxLayers)
		}
		t, params := cur.mediaType()
		var next []byte
		var err error
		switch t {
		case "multipart/signed":
			next, err = u.verify(cur, params["boundary"], p)
		case "application/pkcs7-mime", "application/x-pkcs7-mime":
			next, err = u.open(cur, p, id, exp)
		default:
			return u.finish(top, cur, p)
		}
		if err != nil {
			return nil, err
		}
		if cur, err = parseEntity(next, "inner entity"); err != nil {
			return nil, err
		}
	}
}

// verify checks a multipart/signed layer and returns the signed entity.
func (u *unwrapped) verify(cur *entity, boundary string, p Partner) ([]byte, error) {
	if u.signed {
		return nil, fmt.Errorf("%w: signature inside a signature", ErrUnsupported)
	}
	if len(p.Certs) == 0 {
		return nil, fmt.Errorf("%w: no certificate in partner %s's profile", ErrAuthentication, p.ID)
	}
	content, v, err := verifyMultipartSigned(cur.body, boundary, p.Certs, "message")
	if err != nil {
		return nil, classify(err, ErrAuthentication)
	}
	u.signed, u.signDigest, u.micInput, u.micDigest = true, v.digest, content, v.contentDigest
	return content, nil
}

// open undoes an application/pkcs7-mime layer: EnvelopedData,
// CompressedData or opaque SignedData, told apart by their CMS content
// type (smime-type parameters are not always right).
func (u *unwrapped) open(cur *entity, p Partner, id Identity, exp expansion) ([]byte, error) {
	der, err := cur.decodedBody()
	if err != nil {
		return nil, fmt.Errorf("%w: transfer encoding: %v", ErrUnsupported, err)
	}
	if len(der) > 0 && der[0] != 0x30 { // base64 without its Content-Transfer-Encoding
		if d, err := decodeBase64(der); err == nil && len(d) > 0 && d[0] == 0x30 {
			der = d
		}
	}
	oid := contentType(der)
	switch {
	case oid == nil:
		return nil, fmt.Errorf("%w: application/pkcs7-mime body is not CMS", ErrUnsupported)
	case oid.Equal(oidEnvelopedData), oid.Equal(oidAuthEnvelopedData):
		if u.cipher != "" || u.signed || u.compressed != "" {
			return nil, fmt.Errorf("%w: encryption inside another layer", ErrUnsupported)
		}
		dc, err := decryptEnveloped(der, id)
		if err != nil {
			return nil, classify(err, ErrDecryption)
		}
		u.cipher, u.keyTrans = dc.cipher, dc.keyTransport
		return checkEntity(dc.content, ErrDecryption)
	case oid.Equal(oidCompressedData):
		if u.compressed != "" {
			return nil, fmt.Errorf("%w: compression inside compression", ErrUnsupported)
		}
		plain, err := decompressData(der, exp.max, exp.grow)
		if err != nil {
			return nil, classify(err, ErrDecompression)
		}
		u.compressed, u.zlibOutside = compressedBeforeSigning, !u.signed
		return checkEntity(plain, ErrDecompression)
	case oid.Equal(oidSignedData):
		if u.signed {
			return nil, fmt.Errorf("%w: signature inside a signature", ErrUnsupported)
		}
		if len(p.Certs) == 0 {
			return nil, fmt.Errorf("%w: no certificate in partner %s's profile", ErrAuthentication, p.ID)
		}
		v, err := verifySignedData(der, nil, p.Certs)
		if err != nil {
			return nil, classify(err, ErrAuthentication)
		}
		u.signed, u.signDigest, u.micInput, u.micDigest = true, v.digest, v.content, v.contentDigest
		return v.content, nil
	}
	return nil, fmt.Errorf("%w: CMS content type %s", ErrUnsupported, oid)
}

// checkEntity makes sure decrypted or decompressed bytes are a MIME
// entity: garbage there means the layer failed (e.g. a wrong key that
// happened to give valid padding).
func checkEntity(b []byte, sentinel error) ([]byte, error) {
	if _, err := parseEntity(b, "inner entity"); err != nil {
		return nil, fmt.Errorf("%w: result is not a MIME entity: %v", sentinel, err)
	}
	return b, nil
}

// finish checks the partner's requirements and settles payload and MIC
// input once no layer is left.
func (u *unwrapped) finish(top, cur *entity, p Partner) (*unwrapped, error) {
	if p.RequireEncrypted && u.cipher == "" {
		return nil, fmt.Errorf("%w: partner %s must encrypt, and this message is not encrypted", ErrDecryption, p.ID)
	}
	if p.RequireSigned && !u.signed {
		return nil, fmt.Errorf("%w: partner %s must sign, and this message is not signed", ErrAuthentication, p.ID)
	}
	switch {
	case u.compressed == "":
	case !u.signed:
		u.compressed = compressedUnsigned
	case u.zlibOutside:
		u.compressed = compressedAfterSigning
	}
	payload, err := cur.decodedBody()
	if err != nil {
		return nil, fmt.Errorf("%w: payload transfer encoding: %v", ErrUnsupported, err)
	}
	u.entity, u.payload = cur, payload
	if !u.signed {
		if u.cipher != "" || u.compressed != "" {
			u.micInput = cur.raw // RFC 4130 §7.3.1, RFC 5402 §4.1: the entity with its headers
		} else {
			u.micInput = top.body // the content alone
		}
	}
	return u, nil
}

// mic is the Received-Content-MIC of the message with d, reported as
// alg: the digest the signature check made when it used d, else a fresh
// one.
func (u *unwrapped) mic(d digestAlg, alg string) MIC {
	if u.signed && u.micDigest != nil && u.signDigest.hash == d.hash {
		return MIC{Value: base64.StdEncoding.EncodeToString(u.micDigest), Alg: alg}
	}
	return computeMIC(d, alg, u.micInput)
}

// classify wraps err in sentinel unless it already carries a sentinel
// that decides the disposition.
func classify(err, sentinel error) error {
	for _, s := range []error{ErrUnsupported, ErrDecryption, ErrAuthentication, ErrIntegrity, ErrDecompression, ErrTooLarge} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

// payloadName is the inbox name of a payload: its Content-Disposition
// file name, else one made from the Message-ID.
func payloadName(u *unwrapped, top *entity, messageID string) string {
	for _, e := range []*entity{u.entity, top} {
		_, params := parseMediaType(e.header("Content-Disposition"))
		if n := safeFileName(params["filename"]); n != "" && !strings.HasPrefix(n, "smime.") {
			return n
		}
	}
	id := messageIDDomain(messageID)
	t, _ := u.entity.mediaType()
	return id + extensionFor(t)
}

func extensionFor(mediaType string) string {
	switch mediaType {
	case "application/edi-x12", "application/edifact", "application/edi-consent":
		return ".edi"
	case "application/xml", "text/xml":
		return ".xml"
	case "text/csv":
		return ".csv"
	case "text/plain":
		return ".txt"
	}
	return ".bin"
}
