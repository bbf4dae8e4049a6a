package as2

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// quoteAS2ID writes an AS2 id for a header: as is when it is an atom,
// else quoted with \ and " escaped (RFC 4130 §6.2).
func quoteAS2ID(id string) string {
	atom := id != ""
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			atom = false
			break
		}
	}
	if atom {
		return id
	}
	return `"` + quotedPairs.Replace(id) + `"`
}

// quotedPairs escapes \ and " in a quoted-string (read-only once built).
var quotedPairs = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// unquoteAS2ID reads an AS2-From or AS2-To value: quoted or not.
func unquoteAS2ID(v string) string {
	return unquote(strings.TrimSpace(v))
}

// normalizeMessageID returns a Message-ID with its angle brackets,
// adding them when a sender left them off. ok is false for an empty or
// oversized id.
func normalizeMessageID(v string) (string, bool) {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "<")
	v = strings.TrimSuffix(v, ">")
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 998 || strings.ContainsAny(v, "<>\r\n") {
		return "", false
	}
	return "<" + v + ">", true
}

// newMessageID returns a fresh Message-ID in our domain.
func newMessageID(prefix, as2id string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return "<" + prefix + "-" + hex.EncodeToString(b) + "@" + messageIDDomain(as2id) + ">"
}

// messageIDDomain turns an AS2 id into a dot-atom for the right side of a
// Message-ID.
func messageIDDomain(as2id string) string {
	var b strings.Builder
	for _, r := range as2id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		case r == ' ' || r == '_':
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), ".-")
	if s == "" {
		return "dockside"
	}
	return s
}

// safeFileName returns a file name without folders or control
// characters, or "" when nothing usable remains.
func safeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		if r < ' ' || r == 0x7f || strings.ContainsRune(`<>:"|?*`, r) {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	s := strings.TrimSpace(b.String())
	if s == "." || s == ".." || len(s) > 200 {
		return ""
	}
	return s
}
