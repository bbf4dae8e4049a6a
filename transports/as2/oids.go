package as2

import (
	"crypto"
	"encoding/asn1"
	"strings"
)

// Object identifiers of the CMS structures and algorithms used here.
var (
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidEnvelopedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3}
	oidCompressedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 9}
	oidAuthEnvelopedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 23}
	oidZlib              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 3, 8}

	oidAttrContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}

	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAOAEP       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 7}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidPSpecified    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 9}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidSHA224WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidECDSAWithSHA1 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA2 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3} // prefix of ecdsa-with-SHA224..512
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}

	oidAES128CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3   = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// digestAlg is a digest this station supports for signatures and MICs.
type digestAlg struct {
	name   string // normalized: sha1, sha256...
	micalg string // as RFC 5751 spells it in micalg and MICs: sha-1, sha-256...
	hash   crypto.Hash
	oid    asn1.ObjectIdentifier
}

var digestAlgs = []digestAlg{
	{"sha1", "sha-1", crypto.SHA1, oidSHA1},
	{"sha224", "sha-224", crypto.SHA224, oidSHA224},
	{"sha256", "sha-256", crypto.SHA256, oidSHA256},
	{"sha384", "sha-384", crypto.SHA384, oidSHA384},
	{"sha512", "sha-512", crypto.SHA512, oidSHA512},
}

// normalizeDigestName lower-cases a digest name and drops dashes, so that
// "SHA-256", "sha256" and "sha-256" compare equal.
func normalizeDigestName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "")
}

// digestByName finds a supported digest by any spelling of its name.
func digestByName(s string) (digestAlg, bool) {
	n := normalizeDigestName(s)
	for _, d := range digestAlgs {
		if d.name == n {
			return d, true
		}
	}
	return digestAlg{}, false
}

// digestByOID finds a supported digest by its OID.
func digestByOID(oid asn1.ObjectIdentifier) (digestAlg, bool) {
	for _, d := range digestAlgs {
		if d.oid.Equal(oid) {
			return d, true
		}
	}
	return digestAlg{}, false
}
