package as2

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// contentCipher is a content-encryption algorithm of EnvelopedData.
type contentCipher struct {
	name   string // Partner.Encrypt spelling
	oid    asn1.ObjectIdentifier
	keyLen int
	block  func(key []byte) (cipher.Block, error)
}

var contentCiphers = []contentCipher{
	{EncryptAES128CBC, oidAES128CBC, 16, aes.NewCipher},
	{EncryptAES192CBC, oidAES192CBC, 24, aes.NewCipher},
	{EncryptAES256CBC, oidAES256CBC, 32, aes.NewCipher},
	{Encrypt3DES, oidDESEDE3, 24, des.NewTripleDESCipher},
}

func cipherByName(name string) (contentCipher, bool) {
	for _, c := range contentCiphers {
		if c.name == name {
			return c, true
		}
	}
	return contentCipher{}, false
}

func cipherByOID(oid asn1.ObjectIdentifier) (contentCipher, bool) {
	for _, c := range contentCiphers {
		if c.oid.Equal(oid) {
			return c, true
		}
	}
	return contentCipher{}, false
}

// encryptEnveloped returns the DER ContentInfo of an EnvelopedData of
// content for recipient, with the named content cipher and key transport
// (KeyRSA or KeyRSAOAEP).
func encryptEnveloped(content []byte, recipient *x509.Certificate, cipherName, keyTransport string) ([]byte, error) {
	cc, ok := cipherByName(cipherName)
	if !ok {
		return nil, fmt.Errorf("%w: content encryption %q", ErrUnsupported, cipherName)
	}
	pub, ok := recipient.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: recipient certificate %q has no RSA key", ErrConfig, recipient.Subject)
	}
	key := make([]byte, cc.keyLen)
	rand.Read(key)
	block, err := cc.block(key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, block.BlockSize())
	rand.Read(iv)
	ct := pkcs7Pad(content, block.BlockSize())
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)

	var ek []byte
	var keyAlg func(*cryptobyte.Builder)
	switch keyTransport {
	case KeyRSAOAEP:
		ek, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, key, nil)
		keyAlg = func(b *cryptobyte.Builder) { addAlgorithm(b, oidRSAOAEP, addOAEPSHA256Params) }
	default:
		ek, err = rsa.EncryptPKCS1v15(rand.Reader, pub, key)
		keyAlg = func(b *cryptobyte.Builder) {
			addAlgorithm(b, oidRSAEncryption, func(b *cryptobyte.Builder) { b.AddASN1NULL() })
		}
	}
	if err != nil {
		return nil, fmt.Errorf("as2: encrypting the content key: %w", err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidEnvelopedData)
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(0)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(0)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(recipient.RawIssuer)
							b.AddASN1BigInt(recipient.SerialNumber)
						})
						keyAlg(b)
						b.AddASN1OctetString(ek)
					})
				})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidData)
					addAlgorithm(b, cc.oid, func(b *cryptobyte.Builder) { b.AddASN1OctetString(iv) })
					b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(ct) })
				})
			})
		})
	})
	return b.Bytes()
}

// addOAEPSHA256Params writes RSAES-OAEP-params with SHA-256 and
// MGF1-SHA-256 (RFC 4055).
func addOAEPSHA256Params(b *cryptobyte.Builder) {
	sha := func(b *cryptobyte.Builder) {
		addAlgorithm(b, oidSHA256, func(b *cryptobyte.Builder) { b.AddASN1NULL() })
	}
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(tagExplicit0, sha)
		b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			addAlgorithm(b, oidMGF1, sha)
		})
	})
}

func pkcs7Pad(b []byte, size int) []byte {
	n := size - len(b)%size
	out := make([]byte, len(b)+n)
	copy(out, b)
	for i := len(b); i < len(out); i++ {
		out[i] = byte(n)
	}
	return out
}

func pkcs7Unpad(b []byte, size int) ([]byte, error) {
	if len(b) == 0 || len(b)%size != 0 {
		return nil, errors.New("ciphertext is not a whole number of blocks")
	}
	n := int(b[len(b)-1])
	if n == 0 || n > size {
		return nil, errors.New("bad padding")
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errors.New("bad padding")
		}
	}
	return b[:len(b)-n], nil
}

// decryptedContent is what decryptEnveloped found.
type decryptedContent struct {
	content      []byte
	cipher       string // Partner.Encrypt spelling
	keyTransport string // KeyRSA or KeyRSAOAEP
}

// keyTrans is one KeyTransRecipientInfo.
type keyTrans struct {
	issuer []byte // DER Name, for issuerAndSerialNumber
	serial *big.Int
	skid   []byte // subjectKeyIdentifier, the other form
	alg    asn1.ObjectIdentifier
	params cryptobyte.String
	ek     []byte
}

func (k *keyTrans) names(c *x509.Certificate) bool {
	if k.skid != nil {
		return bytes.Equal(k.skid, c.SubjectKeyId)
	}
	return bytes.Equal(k.issuer, c.RawIssuer) && k.serial.Cmp(c.SerialNumber) == 0
}

// decryptEnveloped decrypts an EnvelopedData ContentInfo (BER or DER)
// addressed to id.
func decryptEnveloped(in []byte, id Identity) (*decryptedContent, error) {
	const st = "EnvelopedData"
	oid, content, err := parseContentInfo(in, st)
	if err != nil {
		return nil, err
	}
	switch {
	case oid.Equal(oidAuthEnvelopedData):
		return nil, fmt.Errorf("%w: AuthEnvelopedData (AES-GCM)", ErrUnsupported)
	case !oid.Equal(oidEnvelopedData):
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "content type " + oid.String()}
	}
	var ed, ris, eci cryptobyte.String
	var version int64
	if !content.ReadASN1(&ed, cbasn1.SEQUENCE) || !ed.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) ||
		!ed.SkipOptionalASN1(tagExplicit0) || !ed.ReadASN1(&ris, cbasn1.SET) || !ed.ReadASN1(&eci, cbasn1.SEQUENCE) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed"}
	}
	var ktris []*keyTrans
	for !ris.Empty() {
		var ri cryptobyte.String
		var tag cbasn1.Tag
		if !ris.ReadAnyASN1(&ri, &tag) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed RecipientInfo"}
		}
		if tag != cbasn1.SEQUENCE {
			continue // key agreement, KEK, password: not ours to read
		}
		k, err := parseKeyTrans(ri)
		if err != nil {
			return nil, err
		}
		ktris = append(ktris, k)
	}
	var ktri *keyTrans
	for _, k := range ktris {
		if k.names(id.Cert) {
			ktri = k
			break
		}
	}
	guessed := false
	if ktri == nil && len(ktris) == 1 {
		ktri, guessed = ktris[0], true // our key under another certificate: try it
	}
	if ktri == nil {
		return nil, fmt.Errorf("%w: no recipient is our certificate (%s)", ErrDecryption, id.Cert.Subject)
	}

	var ctype cryptobyte.String
	if !eci.ReadASN1(&ctype, cbasn1.OBJECT_IDENTIFIER) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed EncryptedContentInfo"}
	}
	calg, cparams, ok := readAlgorithm(&eci)
	if !ok {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed content-encryption algorithm"}
	}
	cc, ok := cipherByOID(calg)
	if !ok {
		return nil, fmt.Errorf("%w: content encryption %s", ErrUnsupported, calg)
	}
	var iv cryptobyte.String
	if !cparams.ReadASN1(&iv, cbasn1.OCTET_STRING) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "content-encryption algorithm without an IV"}
	}
	ct, ok := readOctets(&eci, cbasn1.Tag(0).ContextSpecific())
	if !ok {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "no encrypted content"}
	}

	key, transport, err := decryptContentKey(ktri, id, cc.keyLen)
	if err != nil {
		return nil, err
	}
	block, err := cc.block(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecryption, err)
	}
	if len(iv) != block.BlockSize() || len(ct)%block.BlockSize() != 0 || len(ct) == 0 {
		return nil, fmt.Errorf("%w: IV or ciphertext of the wrong size", ErrDecryption)
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	plain, err = pkcs7Unpad(plain, block.BlockSize())
	if err != nil {
		return nil, fmt.Errorf("%w: %v (wrong key?)", ErrDecryption, err)
	}
	// A PKCS#1 v1.5 key transport rejects a wrong key implicitly (a random
	// content key, so as not to be a padding oracle), and about once in
	// 256 the CBC padding then looks right. When the recipient was only
	// guessed, garbage must not pass for content: AS2 encrypts a MIME
	// entity, which starts with a header line.
	if guessed && !startsWithHeader(plain) {
		return nil, fmt.Errorf("%w: the only recipient is another certificate, and our key does not read the content", ErrDecryption)
	}
	return &decryptedContent{content: plain, cipher: cc.name, keyTransport: transport}, nil
}

// startsWithHeader reports whether b starts with a MIME header line
// ("Name: value", the name printable ASCII without spaces) and holds the
// blank line that ends the headers.
func startsWithHeader(b []byte) bool {
	colon := bytes.IndexByte(b, ':')
	if colon <= 0 || colon > 76 {
		return false
	}
	for _, c := range b[:colon] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return bytes.Contains(b, []byte("\r\n\r\n")) || bytes.Contains(b, []byte("\n\n"))
}

func parseKeyTrans(ri cryptobyte.String) (*keyTrans, error) {
	const st = "KeyTransRecipientInfo"
	k := &keyTrans{}
	var version int64
	if !ri.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed"}
	}
	switch {
	case ri.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias cryptobyte.String
		var issuer cryptobyte.String
		k.serial = new(big.Int)
		if !ri.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !ias.ReadASN1Integer(k.serial) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed issuerAndSerialNumber"}
		}
		k.issuer = issuer
	default:
		var skid cryptobyte.String
		if !ri.ReadASN1(&skid, cbasn1.Tag(0).ContextSpecific()) {
			return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed recipient identifier"}
		}
		k.skid = skid
	}
	var ok bool
	if k.alg, k.params, ok = readAlgorithm(&ri); !ok {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed key-encryption algorithm"}
	}
	var ek cryptobyte.String
	if !ri.ReadASN1(&ek, cbasn1.OCTET_STRING) {
		return nil, &ASN1Error{Structure: st, Offset: -1, Msg: "malformed encrypted key"}
	}
	k.ek = ek
	return k, nil
}

// decryptContentKey decrypts the content-encryption key. With PKCS#1
// v1.5 a bad padding yields a random key (no padding oracle); the content
// then fails to decrypt.
func decryptContentKey(k *keyTrans, id Identity, keyLen int) ([]byte, string, error) {
	dec, ok := id.Key.(crypto.Decrypter)
	if !ok {
		return nil, "", fmt.Errorf("%w: our key cannot decrypt", ErrConfig)
	}
	switch {
	case k.alg.Equal(oidRSAEncryption):
		key, err := dec.Decrypt(rand.Reader, k.ek, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: keyLen})
		if err != nil {
			return nil, "", fmt.Errorf("%w: content key: %v", ErrDecryption, err)
		}
		return key, KeyRSA, nil
	case k.alg.Equal(oidRSAOAEP):
		opts, err := parseOAEPParams(k.params)
		if err != nil {
			return nil, "", err
		}
		key, err := dec.Decrypt(rand.Reader, k.ek, opts)
		if err != nil {
			return nil, "", fmt.Errorf("%w: content key: %v", ErrDecryption, err)
		}
		if len(key) != keyLen {
			return nil, "", fmt.Errorf("%w: content key of %d bytes", ErrDecryption, len(key))
		}
		return key, KeyRSAOAEP, nil
	}
	return nil, "", fmt.Errorf("%w: key transport %s", ErrUnsupported, k.alg)
}

// parseOAEPParams reads RSAES-OAEP-params (RFC 4055 §4.1); absent fields
// take their defaults (SHA-1, MGF1-SHA-1, empty label).
func parseOAEPParams(params cryptobyte.String) (*rsa.OAEPOptions, error) {
	opts := &rsa.OAEPOptions{Hash: crypto.SHA1, MGFHash: crypto.SHA1}
	if params.Empty() || params.PeekASN1Tag(cbasn1.NULL) {
		return opts, nil
	}
	bad := func(msg string) error {
		return &ASN1Error{Structure: "RSAES-OAEP-params", Offset: -1, Msg: msg}
	}
	var seq cryptobyte.String
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, bad("malformed")
	}
	var v cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&v, &present, tagExplicit0) {
		return nil, bad("malformed hash")
	}
	if present {
		oid, _, ok := readAlgorithm(&v)
		d, known := digestByOID(oid)
		if !ok || !known {
			return nil, fmt.Errorf("%w: OAEP hash %s", ErrUnsupported, oid)
		}
		opts.Hash = d.hash
	}
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, bad("malformed mask generation")
	}
	if present {
		oid, p, ok := readAlgorithm(&v)
		if !ok || !oid.Equal(oidMGF1) {
			return nil, fmt.Errorf("%w: OAEP mask generation %s", ErrUnsupported, oid)
		}
		hoid, _, ok := readAlgorithm(&p)
		d, known := digestByOID(hoid)
		if !ok || !known {
			return nil, fmt.Errorf("%w: MGF1 hash %s", ErrUnsupported, hoid)
		}
		opts.MGFHash = d.hash
	}
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(2).Constructed().ContextSpecific()) {
		return nil, bad("malformed label source")
	}
	if present {
		oid, p, ok := readAlgorithm(&v)
		var label cryptobyte.String
		if !ok || !oid.Equal(oidPSpecified) || !p.ReadASN1(&label, cbasn1.OCTET_STRING) {
			return nil, fmt.Errorf("%w: OAEP label source %s", ErrUnsupported, oid)
		}
		opts.Label = label
	}
	return opts, nil
}
