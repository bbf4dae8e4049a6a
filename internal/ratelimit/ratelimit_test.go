package ratelimit

import (
	"testing"
	"time"
)

func TestPerKey(t *testing.T) {
	l := New(1, 3)
	now := time.Unix(1_000_000, 0)
	for i := range 3 {
		if ok, _ := l.Allow("a", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a", now)
	if ok || wait <= 0 || RetryAfter(wait) != 1 {
		t.Fatalf("over the burst: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("b", now); !ok {
		t.Fatal("another key is limited too")
	}
	if ok, _ := l.Allow("a", now.Add(time.Second)); !ok {
		t.Fatal("not refilled after a second")
	}
}

func TestSweepBounds(t *testing.T) {
	l := New(1, 1)
	now := time.Unix(1_000_000, 0)
	for i := range maxKeys + 10 {
		l.Allow(string(rune(i)), now)
	}
	if n := len(l.m); n > maxKeys {
		t.Fatalf("%d buckets kept", n)
	}
}

// TestAddrKey: an IPv6 /64 is one key, an IPv4 address (mapped or not) its
// own.
func TestAddrKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := AddrKey(tt.in); got != tt.want {
			t.Errorf("AddrKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
