package as2

import (
	"encoding/asn1"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var tagExplicit0 = cbasn1.Tag(0).Constructed().ContextSpecific()

// parseContentInfo reads a CMS ContentInfo in BER or DER and returns its
// content type and the DER of its [0] EXPLICIT content.
func parseContentInfo(in []byte, structure string) (asn1.ObjectIdentifier, cryptobyte.String, error) {
	der, err := berToDER(in, structure)
	if err != nil {
		return nil, nil, err
	}
	s := cryptobyte.String(der)
	var ci, content cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&oid) {
		return nil, nil, &ASN1Error{Structure: structure, Offset: 0, Msg: "not a CMS ContentInfo"}
	}
	if !ci.ReadASN1(&content, tagExplicit0) {
		return nil, nil, &ASN1Error{Structure: structure, Offset: -1, Msg: "ContentInfo without content"}
	}
	return oid, content, nil
}

// contentType returns the CMS content type of in (BER or DER), or nil
// when in does not start like a ContentInfo. It reads only the first
// bytes: SEQUENCE header, then the OBJECT IDENTIFIER.
func contentType(in []byte) asn1.ObjectIdentifier {
	if len(in) < 4 || in[0] != 0x30 {
		return nil
	}
	i := 2
	switch l := in[1]; {
	case l == 0x80, l < 0x80:
	case l <= 0x84:
		i += int(l & 0x7f)
	default:
		return nil
	}
	s := cryptobyte.String(in[min(i, len(in)):])
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1ObjectIdentifier(&oid) {
		return nil
	}
	return oid
}

// readAlgorithm reads an AlgorithmIdentifier: its OID and the DER of its
// parameters (empty when absent).
func readAlgorithm(s *cryptobyte.String) (asn1.ObjectIdentifier, cryptobyte.String, bool) {
	var seq cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil, nil, false
	}
	return oid, seq, true
}

// addAlgorithm writes an AlgorithmIdentifier; params may be nil.
func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, params func(*cryptobyte.Builder)) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if params != nil {
			params(b)
		}
	})
}

// readOctets reads an OCTET STRING with the given tag, primitive or
// constructed of OCTET STRING segments.
func readOctets(s *cryptobyte.String, tag cbasn1.Tag) ([]byte, bool) {
	var v cryptobyte.String
	if s.PeekASN1Tag(tag) {
		if !s.ReadASN1(&v, tag) {
			return nil, false
		}
		return v, true
	}
	if !s.ReadASN1(&v, tag.Constructed()) {
		return nil, false
	}
	var out []byte
	for !v.Empty() {
		var seg cryptobyte.String
		if !v.ReadASN1(&seg, cbasn1.OCTET_STRING) {
			return nil, false
		}
		out = append(out, seg...)
	}
	return out, true
}
