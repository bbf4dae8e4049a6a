package authkeys

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestAddressListMatch(t *testing.T) {
	for _, tc := range []struct {
		list  string
		allow []string
		deny  []string
	}{
		{"127.0.0.1", []string{"127.0.0.1", "::ffff:127.0.0.1"}, []string{"127.0.0.2", "::1", "invalid"}},
		{"203.0.113.0/24", []string{"203.0.113.0", "203.0.113.255"}, []string{"203.0.114.1", "127.0.0.1"}},
		{"127.0.0.0/8,::1", []string{"127.0.0.2", "127.255.0.1", "::1"}, []string{"10.0.0.1", "::2"}},
		{"127.0.0.0/30,!127.0.0.2", []string{"127.0.0.1", "127.0.0.3"}, []string{"127.0.0.2", "127.0.0.4"}},
		{"!127.0.0.2,127.0.0.0/30", []string{"127.0.0.1"}, []string{"127.0.0.2"}}, // negation wins wherever it is
		{"!10.0.0.1", nil, []string{"10.0.0.1", "10.0.0.2"}},                      // negation alone allows nothing
		{"*", []string{"127.0.0.1", "2001:db8::1"}, []string{"invalid"}},
		{"*,!192.0.2.*", []string{"198.51.100.7"}, []string{"192.0.2.1"}},
		{"127.0.0.?", []string{"127.0.0.1", "127.0.0.9"}, []string{"127.0.0.10"}},
		{"*.0.0.1", []string{"127.0.0.1", "10.0.0.1"}, []string{"127.0.0.2"}},
		{"10.*.1", []string{"10.2.3.1", "10.0.0.1"}, []string{"10.0.0.2"}},
		{"2001:db8::/32", []string{"2001:db8:1::1", "2001:DB8::5"}, []string{"2001:db9::1", "127.0.0.1"}},
		{"2001:DB8:*", []string{"2001:db8:ffff::1"}, []string{"2001:db9::1"}},
		{"fe80::1", []string{"fe80::1%eth0"}, []string{"fe80::2"}},
		{"::ffff:192.0.2.0/120", []string{"192.0.2.5", "::ffff:192.0.2.6"}, []string{"192.0.3.1"}},
		{"0.0.0.0/0", []string{"8.8.8.8"}, []string{"::1"}},
	} {
		l, err := ParseAddressList(tc.list)
		if err != nil {
			t.Errorf("%q: %v", tc.list, err)
			continue
		}
		check := func(addrs []string, want bool) {
			for _, s := range addrs {
				a, _ := netip.ParseAddr(s) // "invalid" stays the zero Addr
				if got := l.Match(a); got != want {
					t.Errorf("from=%q, %s: match %v, want %v", tc.list, s, got, want)
				}
			}
		}
		check(tc.allow, true)
		check(tc.deny, false)
		if l.String() != tc.list {
			t.Errorf("String() = %q", l.String())
		}
	}
}

func TestAddressListRefused(t *testing.T) {
	for _, tc := range []struct{ list, want string }{
		{"", "empty pattern list"},
		{"127.0.0.1,", "empty pattern"},
		{"!", "empty pattern"},
		{"10.0.0.1/8", "host bits set after the mask (did you mean 10.0.0.0/8?)"},
		{"10.0.0.0/33", "not a CIDR block"},
		{"10.0.0.0/", "not a CIDR block"},
		{"gw.example.com", "host name patterns are not supported"},
		{"*.example.com", "host name patterns are not supported"},
		{"!*.evil.example", "host name patterns are not supported"},
		{"localhost", "host name patterns are not supported"},
		{"bad.cafe*", "host name patterns are not supported"}, // hex letters without a colon: not an address
		{"fe80::1%eth0/64", "not a CIDR block"},
		{"127.0.0.1 ", "host name patterns are not supported"},
		{strings.Repeat("1.2.3.4,", maxEntries) + "1.2.3.4", "more than 256 patterns"},
	} {
		_, err := ParseAddressList(tc.list)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.list, err, tc.want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*a*a*b", strings.Repeat("a", 50), false},
		{"1*.1", "10.0.0.1", true},
		{"1*.1", "10.0.0.2", false},
	} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"20200101", nil, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"20200101", chicago, time.Date(2020, 1, 1, 6, 0, 0, 0, time.UTC)},
		{"20200101Z", chicago, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"20200101z", chicago, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"20200101UTC", chicago, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"202007011230", chicago, time.Date(2020, 7, 1, 17, 30, 0, 0, time.UTC)}, // CDT, UTC-5
		{"20991231235959Z", nil, time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"20240229", nil, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := ParseExpiry(tc.in, tc.loc)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q in %v: %v %v, want %v", tc.in, tc.loc, got.UTC(), err, tc.want)
		}
	}
	for _, bad := range []string{"", "Z", "2020", "2020010", "202001011", "2020-01-01", "20201301", "20230229", "202001012460",
		"20200101235960", "20200101 ", "+2020101", "20200101ZZ", "20200101EST", "２０２００１０１"} {
		if got, err := ParseExpiry(bad, nil); err == nil {
			t.Errorf("%q: accepted as %v", bad, got)
		}
	}
}

// testKey is an authorized_keys key field ("ssh-ed25519 AAAA...").
func testKey(t testing.TB) (ssh.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func TestParseOptions(t *testing.T) {
	pub, key := testKey(t)
	lo, other := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		options       string
		fromLo, from2 bool // permitted from 127.0.0.1, 127.0.0.2 at now
	}{
		{"", true, true},
		{`restrict`, true, true},
		{`no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc`, true, true},
		{`RESTRICT,No-Pty`, true, true},
		{`command="internal-sftp"`, true, true},
		{`from="127.0.0.1"`, true, false},
		{`FROM="127.0.0.2/32"`, false, true},
		{`from="127.0.0.0/8,!127.0.0.2"`, true, false},
		{`expiry-time="20200101"`, false, false},
		{`expiry-time="20991231Z"`, true, true},
		{`expiry-time="20991231",expiry-time="20260101"`, false, false}, // the earlier applies
		{`restrict,from="127.0.0.1",expiry-time="20991231235959Z"`, true, false},
	} {
		line := key + " partner@example"
		if tc.options != "" {
			line = tc.options + " " + line
		}
		k, err := Parse(line, time.UTC)
		if err != nil {
			t.Errorf("%s: %v", tc.options, err)
			continue
		}
		if string(k.PublicKey.Marshal()) != string(pub.Marshal()) || k.Comment != "partner@example" {
			t.Errorf("%s: key or comment lost", tc.options)
		}
		for _, c := range []struct {
			addr netip.Addr
			want bool
		}{{lo, tc.fromLo}, {other, tc.from2}} {
			err := k.Permit(c.addr, now)
			if (err == nil) != c.want {
				t.Errorf("%s from %s: %v, want permitted %v", tc.options, c.addr, err, c.want)
			}
			if err != nil && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrFromRefused) {
				t.Errorf("%s: error %v wraps no sentinel", tc.options, err)
			}
		}
	}
}

func TestParseRefusesOptions(t *testing.T) {
	_, key := testKey(t)
	for _, tc := range []struct {
		options  string
		sentinel error
		want     string
	}{
		{`command="/bin/sh"`, ErrUnsupported, `option 1 "command": "/bin/sh": Dockside serves SFTP only`},
		{`command="internal-sftp -R"`, ErrUnsupported, `only command="internal-sftp" (without flags)`},
		{`environment="A=b"`, ErrUnsupported, `option 1 "environment": not enforced`},
		{`permitopen="host:80"`, ErrUnsupported, `"permitopen": not enforced`},
		{`permitlisten="8080"`, ErrUnsupported, `"permitlisten": not enforced`},
		{`tunnel="0"`, ErrUnsupported, `"tunnel": not enforced`},
		{`cert-authority`, ErrUnsupported, `certificate logins are not supported`},
		{`principals="a"`, ErrUnsupported, `certificate logins are not supported`},
		{`restrict,pty`, ErrUnsupported, `option 2 "pty": grants a terminal`},
		{`restrict,port-forwarding`, ErrUnsupported, `option 2 "port-forwarding": grants port forwarding`},
		{`agent-forwarding`, ErrUnsupported, `grants agent forwarding`},
		{`X11-forwarding`, ErrUnsupported, `option 1 "X11-forwarding": grants X11`},
		{`user-rc`, ErrUnsupported, `grants ~/.ssh/rc`},
		{`no-touch-required`, ErrUnsupported, `not enforced`},
		{`verify-required`, ErrUnsupported, `not enforced`},
		{`restrict,no-pty,bogus`, ErrUnsupported, `option 3 "bogus": unknown option`},
		{`from`, ErrBadOption, `option 1 "from": needs a value`},
		{`expiry-time`, ErrBadOption, `needs a value`},
		{`no-pty="x"`, ErrBadOption, `"no-pty": takes no value`},
		{`from=127.0.0.1`, ErrBadOption, `must be double-quoted`},
		{`from="127.0.0.1"x`, ErrBadOption, `text after the closing quote`},
		{`from="127.0.0.1",from="::1"`, ErrBadOption, `option 2 "from": given twice`},
		{`from="*.example.com"`, ErrBadOption, `host name patterns are not supported`},
		{`from="10.0.0.1/8"`, ErrBadOption, `did you mean 10.0.0.0/8?`},
		{`from=""`, ErrBadOption, `empty pattern list`},
		{`expiry-time="2020-01-01"`, ErrBadOption, `want YYYYMMDD[HHMM[SS]][Z]`},
		{`expiry-time="20201301"`, ErrBadOption, `not a date and time`},
	} {
		_, err := Parse(tc.options+" "+key+" c", time.UTC)
		var oe *OptionError
		if !errors.Is(err, tc.sentinel) || !errors.As(err, &oe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %v containing %q", tc.options, err, tc.sentinel, tc.want)
		}
	}
}

func TestParseRefusesLines(t *testing.T) {
	_, key := testKey(t)
	for _, line := range []string{"", "  ", "ssh-ed25519 AAAA", key + "\n" + key, "# " + key, `from="1.2.3.4 ` + key} {
		if _, err := Parse(line, nil); !errors.Is(err, ErrKey) {
			t.Errorf("%q: %v, want ErrKey", line, err)
		}
	}
}

// FuzzParse feeds random lines to the parser: it must not panic; a line
// it accepts has a key, and parses again to the same restrictions.
func FuzzParse(f *testing.F) {
	_, key := testKey(f)
	for _, opt := range []string{"", "restrict", `from="127.0.0.1,!10.0.0.0/8,2001:db8:*"`, `expiry-time="20991231235959Z"`,
		`command="internal-sftp"`, `from="a\"b"`, `permitopen="x:1"`, `from="*.example.com"`, `no-pty,,restrict`} {
		f.Add(opt + " " + key + " comment")
	}
	f.Add(`from="1.2.3.4`)
	f.Fuzz(func(t *testing.T, line string) {
		k, err := Parse(line, time.UTC)
		if err != nil {
			if !errors.Is(err, ErrKey) && !errors.Is(err, ErrBadOption) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if k.PublicKey == nil {
			t.Fatal("accepted without a key")
		}
		again, err := Parse(line, time.UTC)
		if err != nil || !again.Expires.Equal(k.Expires) || (again.From == nil) != (k.From == nil) {
			t.Fatalf("second parse differs: %v", err)
		}
		for _, a := range []string{"127.0.0.1", "::1", "203.0.113.9"} {
			addr := netip.MustParseAddr(a)
			if (k.Permit(addr, time.Unix(0, 0)) == nil) != (again.Permit(addr, time.Unix(0, 0)) == nil) {
				t.Fatalf("permits differ for %s", a)
			}
		}
	})
}

// FuzzAddressList matches random addresses against random lists: it must
// not panic, and adding the address itself negated must refuse it.
func FuzzAddressList(f *testing.F) {
	f.Add("127.0.0.0/8,!127.0.0.2", "127.0.0.2")
	f.Add("*,!2001:db8::/32", "2001:db8::1")
	f.Add("1?.*.*", "10.1.2.3")
	f.Fuzz(func(t *testing.T, list, addr string) {
		l, err := ParseAddressList(list)
		if err != nil {
			return
		}
		a, err := netip.ParseAddr(addr)
		if !l.Match(a) || err != nil {
			return
		}
		without, err := ParseAddressList(list + ",!" + a.WithZone("").String())
		if err == nil && without.Match(a) {
			t.Fatalf("%q allows %s despite !%s", list, a, a)
		}
	})
}
