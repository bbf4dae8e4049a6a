package as2

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// compressData returns the DER ContentInfo of a CompressedData (RFC 3274)
// holding content compressed with zlib.
func compressData(content []byte) ([]byte, error) {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	if _, err := w.Write(content); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidCompressedData)
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(0)
				addAlgorithm(b, oidZlib, nil)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidData)
					b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
						b.AddASN1OctetString(z.Bytes())
					})
				})
			})
		})
	})
	return b.Bytes()
}

// decompressData reads a CompressedData ContentInfo (BER or DER) and
// returns its content, at most limit bytes. grow, when not nil, is asked
// for each piece of content before it is kept (to count it against a
// memory budget); its error ends the decompression.
func decompressData(in []byte, limit int64, grow func(n int64) error) ([]byte, error) {
	const st = "CompressedData"
	oid, content, err := parseContentInfo(in, st)
	if err != nil {
		return nil, err
	}
	if !oid.Equal(oidCompressedData) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "content type " + oid.String()}
	}
	var cd, encap cryptobyte.String
	var version int64
	if !content.ReadASN1(&cd, cbasn1.SEQUENCE) || !cd.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed"}
	}
	alg, _, ok := readAlgorithm(&cd)
	if !ok {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed compression algorithm"}
	}
	if !alg.Equal(oidZlib) {
		return nil, fmt.Errorf("%w: compression algorithm %s", ErrUnsupported, alg)
	}
	var ctype cryptobyte.String
	var wrapped cryptobyte.String
	if !cd.ReadASN1(&encap, cbasn1.SEQUENCE) || !encap.ReadASN1(&ctype, cbasn1.OBJECT_IDENTIFIER) ||
		!encap.ReadASN1(&wrapped, tagExplicit0) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "no encapsulated content"}
	}
	z, ok := readOctets(&wrapped, cbasn1.OCTET_STRING)
	if !ok {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed encapsulated content"}
	}
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecompression, err)
	}
	var out bytes.Buffer
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if int64(out.Len()+n) > limit {
				return nil, fmt.Errorf("%w: decompressed content over the decompression limit of %d bytes", ErrTooLarge, limit)
			}
			if grow != nil {
				if err := grow(int64(n)); err != nil {
					return nil, err
				}
			}
			out.Write(buf[:n])
		}
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDecompression, err)
		}
	}
}
