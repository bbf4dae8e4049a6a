package libcrypto

import (
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"hash"
)

// digestInfoPrefix is the DER of a DigestInfo up to its digest, per hash
// (RFC 8017 §9.2, note 1): SEQUENCE { SEQUENCE { OID, NULL }, OCTET
// STRING of the hash's size }.
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// errKeyTooSmall is crypto/rsa's complaint for a modulus too small for
// the DigestInfo; keys of libcrypto's sizes never meet it.
var errKeyTooSmall = errors.New("crypto/rsa: key size too small for PKCS#1 v1.5 signature")

// encodePKCS1v15Signature is EMSA-PKCS1-v1_5 (RFC 8017 §9.2) for a
// modulus of size bytes: 0x00 0x01 0xff... 0x00 DigestInfo.
func encodePKCS1v15Signature(size int, h crypto.Hash, digest []byte) ([]byte, error) {
	prefix := digestInfoPrefix[h]
	tLen := len(prefix) + len(digest)
	if size < tLen+11 {
		return nil, errKeyTooSmall
	}
	em := make([]byte, size)
	em[1] = 0x01
	for i := 2; i < size-tLen-1; i++ {
		em[i] = 0xff
	}
	copy(em[size-tLen:], prefix)
	copy(em[size-len(digest):], digest)
	return em, nil
}

// checkPKCS1v15Encryption checks EME-PKCS1-v1_5 (RFC 8017 §7.2.2) in
// constant time: valid is 1 when em is 0x00 0x02, at least 8 non-zero
// bytes, 0x00, message; index is where the message starts (0 when not
// valid).
func checkPKCS1v15Encryption(em []byte) (valid, index int) {
	first0 := subtle.ConstantTimeByteEq(em[0], 0)
	second2 := subtle.ConstantTimeByteEq(em[1], 2)
	looking := 1 // still looking for the 0x00 separator
	for i := 2; i < len(em); i++ {
		is0 := subtle.ConstantTimeByteEq(em[i], 0)
		index = subtle.ConstantTimeSelect(looking&is0, i, index)
		looking = subtle.ConstantTimeSelect(is0, 0, looking)
	}
	longPS := subtle.ConstantTimeLessOrEq(2+8, index)
	valid = first0 & second2 & (looking ^ 1) & longPS
	return valid, subtle.ConstantTimeSelect(valid, index+1, 0)
}

// copySessionKey copies the message of em into key when em is a valid
// encryption block whose message has exactly len(key) bytes, in
// constant time; key keeps its bytes otherwise.
func copySessionKey(em, key []byte) {
	valid, index := checkPKCS1v15Encryption(em)
	valid &= subtle.ConstantTimeEq(int32(len(em)-index), int32(len(key)))
	subtle.ConstantTimeCopy(valid, key, em[len(em)-len(key):])
}

// decodeOAEP is EME-OAEP decoding (RFC 8017 §7.1.2, step 3) of em, the
// whole modulus-sized block, with every check in constant time and one
// error for all of them.
func decodeOAEP(em []byte, h, mgf crypto.Hash, label []byte) ([]byte, error) {
	hLen := h.Size()
	lh := h.New()
	lh.Write(label)
	lHash := lh.Sum(nil)

	seed, db := em[1:1+hLen], em[1+hLen:]
	m := mgf.New()
	mgf1XOR(seed, m, db)
	mgf1XOR(db, m, seed)

	ok := subtle.ConstantTimeByteEq(em[0], 0) & subtle.ConstantTimeCompare(lHash, db[:hLen])
	rest := db[hLen:]
	looking, index, bad := 1, 0, 0 // bad: a byte other than 0x00 before the 0x01
	for i := range rest {
		is0 := subtle.ConstantTimeByteEq(rest[i], 0)
		is1 := subtle.ConstantTimeByteEq(rest[i], 1)
		index = subtle.ConstantTimeSelect(looking&is1, i, index)
		looking = subtle.ConstantTimeSelect(is1, 0, looking)
		bad = subtle.ConstantTimeSelect(looking&(is0^1), 1, bad)
	}
	if ok&(bad^1)&(looking^1) != 1 {
		return nil, rsa.ErrDecryption
	}
	return rest[index+1:], nil
}

// mgf1XOR XORs out with MGF1(seed) made with h (RFC 8017 §B.2.1).
func mgf1XOR(out []byte, h hash.Hash, seed []byte) {
	var counter [4]byte
	var block []byte
	for done := 0; done < len(out); {
		h.Reset()
		h.Write(seed)
		h.Write(counter[:])
		block = h.Sum(block[:0])
		done += subtle.XORBytes(out[done:], out[done:], block)
		for i := 3; i >= 0; i-- {
			counter[i]++
			if counter[i] != 0 {
				break
			}
		}
	}
}
