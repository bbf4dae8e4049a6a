package as2

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// verifiedSignature is what verifySignedData established.
type verifiedSignature struct {
	digest        digestAlg
	content       []byte // the candidate whose digest matched, or the encapsulated content
	contentDigest []byte // content's digest with digest
	signer        *x509.Certificate
}

// signerInfo is one parsed SignerInfo.
type signerInfo struct {
	issuer      []byte
	serial      *big.Int
	skid        []byte
	digestOID   asn1.ObjectIdentifier
	signedAttrs []byte // the DER of the [0] IMPLICIT signed attributes, nil when absent
	sigOID      asn1.ObjectIdentifier
	signature   []byte
}

func (si *signerInfo) names(c *x509.Certificate) bool {
	if si.skid != nil {
		return len(c.SubjectKeyId) > 0 && bytes.Equal(si.skid, c.SubjectKeyId)
	}
	return bytes.Equal(si.issuer, c.RawIssuer) && si.serial.Cmp(c.SerialNumber) == 0
}

// verifySignedData checks a CMS SignedData (BER or DER) made by one of
// certs. For a detached signature, candidates are the possible forms of
// the signed content (as received, canonicalized); the first whose
// digest matches is returned. With no candidates the encapsulated content
// is verified and returned. Certificates carried in the message are
// ignored: only the partner's own certificates are trusted.
func verifySignedData(sig []byte, candidates [][]byte, certs []*x509.Certificate) (*verifiedSignature, error) {
	const st = "SignedData"
	oid, content, err := parseContentInfo(sig, st)
	if err != nil {
		return nil, err
	}
	if !oid.Equal(oidSignedData) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "content type " + oid.String()}
	}
	var sd, encap, infos cryptobyte.String
	var version int64
	var ctype asn1.ObjectIdentifier
	if !content.ReadASN1(&sd, cbasn1.SEQUENCE) || !sd.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) ||
		!sd.SkipASN1(cbasn1.SET) || !sd.ReadASN1(&encap, cbasn1.SEQUENCE) || !encap.ReadASN1ObjectIdentifier(&ctype) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed"}
	}
	if candidates == nil {
		var wrapped cryptobyte.String
		if !encap.ReadASN1(&wrapped, tagExplicit0) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "no content and no detached content"}
		}
		c, ok := readOctets(&wrapped, cbasn1.OCTET_STRING)
		if !ok {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed encapsulated content"}
		}
		candidates = [][]byte{c}
	}
	if !sd.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!sd.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) ||
		!sd.ReadASN1(&infos, cbasn1.SET) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed certificates or signer infos"}
	}
	var sis []*signerInfo
	for !infos.Empty() {
		var raw cryptobyte.String
		if !infos.ReadASN1(&raw, cbasn1.SEQUENCE) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed SignerInfo"}
		}
		si, err := parseSignerInfo(raw)
		if err != nil {
			return nil, err
		}
		sis = append(sis, si)
	}
	if len(sis) == 0 {
		return nil, fmt.Errorf("%w: no signer", ErrAuthentication)
	}
	for _, si := range sis {
		for _, c := range certs {
			if si.names(c) {
				return si.verify(c, candidates)
			}
		}
	}
	return nil, fmt.Errorf("%w: signed by a certificate not in the partner's profile", ErrAuthentication)
}

func parseSignerInfo(s cryptobyte.String) (*signerInfo, error) {
	const st = "SignerInfo"
	si := &signerInfo{}
	var version int64
	if !s.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed"}
	}
	if s.PeekASN1Tag(cbasn1.SEQUENCE) {
		var ias, issuer cryptobyte.String
		si.serial = new(big.Int)
		if !s.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !ias.ReadASN1Integer(si.serial) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed issuerAndSerialNumber"}
		}
		si.issuer = issuer
	} else {
		var skid cryptobyte.String
		if !s.ReadASN1(&skid, cbasn1.Tag(0).ContextSpecific()) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed signer identifier"}
		}
		si.skid = skid
	}
	var ok bool
	if si.digestOID, _, ok = readAlgorithm(&s); !ok {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed digest algorithm"}
	}
	tagAttrs := cbasn1.Tag(0).Constructed().ContextSpecific()
	if s.PeekASN1Tag(tagAttrs) {
		var attrs cryptobyte.String
		if !s.ReadASN1Element(&attrs, tagAttrs) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed signed attributes"}
		}
		si.signedAttrs = attrs
	}
	if si.sigOID, _, ok = readAlgorithm(&s); !ok {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed signature algorithm"}
	}
	var sig cryptobyte.String
	if !s.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed signature"}
	}
	si.signature = sig
	return si, nil
}

// verify checks si with cert over the first matching candidate.
func (si *signerInfo) verify(cert *x509.Certificate, candidates [][]byte) (*verifiedSignature, error) {
	d, ok := digestByOID(si.digestOID)
	if !ok {
		return nil, fmt.Errorf("%w: signature digest %s", ErrUnsupported, si.digestOID)
	}
	v := &verifiedSignature{digest: d, signer: cert}
	if si.signedAttrs == nil {
		for _, c := range candidates {
			if sum := digestOf(d.hash, c); si.check(cert, d.hash, sum) == nil {
				v.content, v.contentDigest = c, sum
				return v, nil
			}
		}
		return nil, fmt.Errorf("%w: signature without signed attributes does not match the content", ErrIntegrity)
	}
	want, err := attrMessageDigest(si.signedAttrs)
	if err != nil {
		return nil, err
	}
	for _, c := range candidates {
		if sum := digestOf(d.hash, c); subtle.ConstantTimeCompare(want, sum) == 1 {
			v.content, v.contentDigest = c, sum
			break
		}
	}
	if v.content == nil {
		return nil, fmt.Errorf("%w: the content's %s digest is not the signed one", ErrIntegrity, d.micalg)
	}
	// The signature covers the signed attributes as a SET OF.
	signed := append([]byte{0x31}, si.signedAttrs[1:]...)
	if err := si.check(cert, d.hash, digestOf(d.hash, signed)); err != nil {
		return nil, err
	}
	return v, nil
}

// check verifies the signature over a digest with cert's public key.
func (si *signerInfo) check(cert *x509.Certificate, h crypto.Hash, digest []byte) error {
	var err error
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		switch {
		case si.sigOID.Equal(oidRSAPSS):
			err = rsa.VerifyPSS(pub, h, digest, si.signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		case si.sigOID.Equal(oidRSAEncryption), si.sigOID.Equal(oidSHA1WithRSA), si.sigOID.Equal(oidSHA224WithRSA),
			si.sigOID.Equal(oidSHA256WithRSA), si.sigOID.Equal(oidSHA384WithRSA), si.sigOID.Equal(oidSHA512WithRSA):
			err = rsa.VerifyPKCS1v15(pub, h, digest, si.signature)
		default:
			return fmt.Errorf("%w: signature algorithm %s", ErrUnsupported, si.sigOID)
		}
	case *ecdsa.PublicKey:
		if !si.sigOID.Equal(oidECPublicKey) && !si.sigOID.Equal(oidECDSAWithSHA1) &&
			!(len(si.sigOID) == len(oidECDSAWithSHA2)+1 && si.sigOID[:len(oidECDSAWithSHA2)].Equal(oidECDSAWithSHA2)) {
			return fmt.Errorf("%w: signature algorithm %s", ErrUnsupported, si.sigOID)
		}
		if !ecdsa.VerifyASN1(pub, digest, si.signature) {
			err = fmt.Errorf("ECDSA verification error")
		}
	default:
		return fmt.Errorf("%w: certificate key type %T", ErrUnsupported, cert.PublicKey)
	}
	if err != nil {
		return fmt.Errorf("%w: signature does not verify with %s: %v", ErrAuthentication, cert.Subject, err)
	}
	return nil
}

// attrMessageDigest returns the messageDigest signed attribute.
func attrMessageDigest(attrs []byte) ([]byte, error) {
	s := cryptobyte.String(attrs)
	var set cryptobyte.String
	if !s.ReadASN1(&set, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, &ASN1Error{Structure: "signed attributes", Offset: -1, Msg: "malformed"}
	}
	for !set.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !set.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) || !attr.ReadASN1(&values, cbasn1.SET) {
			return nil, &ASN1Error{Structure: "signed attributes", Offset: -1, Msg: "malformed attribute"}
		}
		if oid.Equal(oidAttrMessageDigest) {
			var d cryptobyte.String
			if !values.ReadASN1(&d, cbasn1.OCTET_STRING) {
				return nil, &ASN1Error{Structure: "signed attributes", Offset: -1, Msg: "malformed messageDigest"}
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: no messageDigest signed attribute", ErrIntegrity)
}

func digestOf(h crypto.Hash, b []byte) []byte {
	w := h.New()
	w.Write(b)
	return w.Sum(nil)
}
