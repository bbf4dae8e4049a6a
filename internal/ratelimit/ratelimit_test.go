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
