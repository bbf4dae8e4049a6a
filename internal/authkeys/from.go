package authkeys

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// maxEntries bounds a from= list.
const maxEntries = 256

// AddressList is a parsed from= pattern list (see the package doc).
type AddressList struct {
	text    string
	entries []entry
}

// entry is one element of a pattern list: a network, or a wildcard
// pattern on the address text.
type entry struct {
	negated bool
	prefix  netip.Prefix // valid for an address or CIDR entry
	glob    string       // lower-case wildcard pattern, when prefix is not valid
}

// ParseAddressList parses a from= pattern list: comma-separated
// addresses, CIDR blocks and wildcard patterns on addresses, each
// possibly led by !. Host names are refused (Dockside does not resolve
// client names).
func ParseAddressList(list string) (*AddressList, error) {
	if list == "" {
		return nil, errors.New("empty pattern list")
	}
	parts := strings.Split(list, ",")
	if len(parts) > maxEntries {
		return nil, fmt.Errorf("more than %d patterns", maxEntries)
	}
	l := &AddressList{text: list, entries: make([]entry, 0, len(parts))}
	for _, p := range parts {
		e, err := parseEntry(p)
		if err != nil {
			return nil, err
		}
		l.entries = append(l.entries, e)
	}
	return l, nil
}

func parseEntry(p string) (entry, error) {
	var e entry
	pat := p
	if strings.HasPrefix(pat, "!") {
		e.negated, pat = true, pat[1:]
	}
	if pat == "" {
		return e, fmt.Errorf("%q: empty pattern", p)
	}
	if strings.Contains(pat, "/") {
		prefix, err := netip.ParsePrefix(pat)
		if err != nil {
			return e, fmt.Errorf("%q: not a CIDR block (address/length)", p)
		}
		if prefix.Addr().Zone() != "" {
			return e, fmt.Errorf("%q: a CIDR block has no zone", p)
		}
		if prefix.Masked() != prefix {
			return e, fmt.Errorf("%q: host bits set after the mask (did you mean %s?)", p, prefix.Masked())
		}
		e.prefix = unmapPrefix(prefix)
		return e, nil
	}
	if a, err := netip.ParseAddr(pat); err == nil {
		e.prefix = unmapPrefix(netip.PrefixFrom(a.WithZone(""), a.BitLen()))
		return e, nil
	}
	if !addressPattern(pat) {
		return e, fmt.Errorf("%q: host name patterns are not supported (Dockside does not resolve client names): use addresses, CIDR blocks or wildcards on addresses", p)
	}
	e.glob = strings.ToLower(pat)
	return e, nil
}

// unmapPrefix turns a block of IPv4-mapped IPv6 addresses into the IPv4
// block, as client addresses are matched unmapped.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// addressPattern reports whether a wildcard pattern can match an address
// text: IPv4-like (digits, dots, wildcards) or IPv6-like (a colon, hex
// digits, dots, wildcards). Anything else is a host name pattern.
func addressPattern(p string) bool {
	v4, v6 := true, strings.Contains(p, ":")
	for i := 0; i < len(p); i++ {
		c := p[i]
		digit := c >= '0' && c <= '9'
		wild := c == '*' || c == '?' || c == '.'
		hex := c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		if !digit && !wild {
			v4 = false
		}
		if !digit && !wild && !hex && c != ':' {
			v6 = false
		}
	}
	return v4 || v6
}

// Match reports whether addr is allowed: some entry matches it and no
// negated entry does. IPv4-mapped IPv6 addresses are matched as IPv4 and
// zones are ignored; an invalid addr matches nothing.
func (l *AddressList) Match(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap().WithZone("")
	text := addr.String()
	found := false
	for _, e := range l.entries {
		var hit bool
		if e.prefix.IsValid() {
			hit = e.prefix.Contains(addr)
		} else {
			hit = wildcardMatch(e.glob, text)
		}
		if hit && e.negated {
			return false
		}
		found = found || hit
	}
	return found
}

// String returns the list as written.
func (l *AddressList) String() string { return l.text }

// wildcardMatch reports whether s matches pattern, where * matches any run
// of bytes and ? one byte. It backtracks only to the last *, so it runs in
// O(len(pattern) * len(s)).
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
