package as2

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"slices"
	"time"

	"github.com/smallstep/pkcs7"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// signDetached returns the DER of a detached CMS SignedData over content,
// made with id and digest d. The signed attributes are content type,
// message digest and signing time; no CMSAlgorithmProtection (IBM
// Sterling rejects it). RSA keys get the structure built here; others go
// through pkcs7, with everything set per call (pkcs7's package-level
// defaults are never read for the digest or changed).
func signDetached(content []byte, id Identity, d digestAlg) ([]byte, error) {
	if _, ok := id.Key.Public().(*rsa.PublicKey); ok {
		return signDetachedRSA(content, id, d, time.Now())
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("as2: signing: %w", err)
	}
	sd.SetDigestAlgorithm(d.oid)
	if err := sd.AddSigner(id.Cert, id.Key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("as2: signing with %s: %w", d.micalg, err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("as2: signing: %w", err)
	}
	return der, nil
}

// signDetachedRSA builds the SignedData of signDetached for an RSA key,
// signed at the given time: the same DER as pkcs7 makes (version 1,
// issuer and serial number, algorithm identifiers without parameters,
// our certificate, attributes in DER order), without its reflection.
func signDetachedRSA(content []byte, id Identity, d digestAlg, at time.Time) ([]byte, error) {
	attrs, err := signedAttributes(digestOf(d.hash, content), at)
	if err != nil {
		return nil, fmt.Errorf("as2: signing: %w", err)
	}
	// The signature covers the attributes as a SET OF (tag 0x31); the
	// SignerInfo carries them [0] IMPLICIT (tag 0xa0).
	toSign := append([]byte{0x31}, attrs[1:]...)
	sig, err := id.Key.Sign(rand.Reader, digestOf(d.hash, toSign), d.hash)
	if err != nil {
		return nil, fmt.Errorf("as2: signing with %s: %w", d.micalg, err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, d.oid, nil) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddBytes(id.Cert.Raw) })
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(id.Cert.RawIssuer)
							b.AddASN1BigInt(id.Cert.SerialNumber)
						})
						addAlgorithm(b, d.oid, nil)
						b.AddBytes(attrs)
						addAlgorithm(b, rsaSignatureOID(d), nil)
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("as2: signing: %w", err)
	}
	return der, nil
}

// signedAttributes is the DER of the [0] IMPLICIT signed attributes:
// content type (data), signing time and message digest, sorted as DER
// sorts a SET OF.
func signedAttributes(digest []byte, at time.Time) ([]byte, error) {
	attr := func(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) ([]byte, error) {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, value)
		})
		return b.Bytes()
	}
	list := make([][]byte, 0, 3)
	for _, a := range []struct {
		oid   asn1.ObjectIdentifier
		value func(*cryptobyte.Builder)
	}{
		{oidAttrContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }},
		{oidAttrSigningTime, func(b *cryptobyte.Builder) { b.AddASN1UTCTime(at.UTC().Truncate(time.Second)) }},
		{oidAttrMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }},
	} {
		enc, err := attr(a.oid, a.value)
		if err != nil {
			return nil, err
		}
		list = append(list, enc)
	}
	slices.SortFunc(list, bytes.Compare)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
		for _, a := range list {
			b.AddBytes(a)
		}
	})
	return b.Bytes()
}

// rsaSignatureOID names the signature algorithm in the SignerInfo as
// pkcs7 does: shaNNNWithRSAEncryption, or rsaEncryption.
func rsaSignatureOID(d digestAlg) asn1.ObjectIdentifier {
	switch {
	case d.oid.Equal(oidSHA1):
		return oidSHA1WithRSA
	case d.oid.Equal(oidSHA224):
		return oidSHA224WithRSA
	case d.oid.Equal(oidSHA256):
		return oidSHA256WithRSA
	case d.oid.Equal(oidSHA384):
		return oidSHA384WithRSA
	case d.oid.Equal(oidSHA512):
		return oidSHA512WithRSA
	}
	return oidRSAEncryption
}
