package as2

import (
	_ "crypto/sha1" // SHA-1 for MICs and signatures
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/base64"
	"strings"
)

// MIC is a Received-Content-MIC: a base64 digest and the name of its
// algorithm as written in the MDN ("sha-256", "sha1"...).
type MIC struct {
	Value string
	Alg   string
}

// String formats the MIC as the MDN field does: "value, alg".
func (m MIC) String() string {
	if m.Value == "" {
		return ""
	}
	return m.Value + ", " + m.Alg
}

// Equal compares MICs: same digest, same algorithm whatever its spelling
// (sha1 = sha-1 = SHA1).
func (m MIC) Equal(o MIC) bool {
	return m.Value == o.Value && normalizeDigestName(m.Alg) == normalizeDigestName(o.Alg)
}

// ParseMIC reads a Received-Content-MIC field value ("value, alg").
func ParseMIC(s string) (MIC, bool) {
	i := strings.LastIndexByte(s, ',')
	if i < 0 {
		return MIC{}, false
	}
	m := MIC{Value: strings.TrimSpace(s[:i]), Alg: strings.TrimSpace(s[i+1:])}
	return m, m.Value != "" && m.Alg != ""
}

// computeMIC digests b with d; alg is the spelling to report.
func computeMIC(d digestAlg, alg string, b []byte) MIC {
	return MIC{Value: base64.StdEncoding.EncodeToString(digestOf(d.hash, b)), Alg: alg}
}
