package web

import (
	"strings"
	"time"

	"github.com/dockside-edi/dockside/internal/ratelimit"
)

// limiters keeps one token bucket per key: "token:<name>" for an
// authenticated token, "addr:<ip>" for everything else (anonymous
// loopback access, logins and failed authentications).
type limiters struct{ b *ratelimit.PerKey }

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{b: ratelimit.New(perSecond, burst)}
}

// allow takes one request from key's bucket. When the bucket is empty it
// returns false and how long until a request would be allowed.
func (l *limiters) allow(key string, now time.Time) (bool, time.Duration) {
	if ip, ok := strings.CutPrefix(key, "addr:"); ok {
		key = "addr:" + ratelimit.AddrKey(ip) // an IPv6 client's /64 is one bucket
	}
	return l.b.Allow(key, now)
}

// retryAfter is the Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) int { return ratelimit.RetryAfter(d) }
