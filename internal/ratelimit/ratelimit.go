// Package ratelimit keeps one token bucket per key (a client address, a
// token name), for the HTTP listeners' rate limits.
package ratelimit

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys bounds the buckets kept; when it is reached, the buckets that
// are full again (idle clients) are dropped.
const maxKeys = 10_000

// PerKey keeps one token bucket per key. It is safe for concurrent use.
type PerKey struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

// New returns buckets allowing perSecond requests a second per key, with
// bursts of burst.
func New(perSecond float64, burst int) *PerKey {
	return &PerKey{every: rate.Limit(perSecond), burst: burst, m: map[string]*rate.Limiter{}}
}

// Allow takes one request from key's bucket. When the bucket is empty it
// returns false and how long until a request would be allowed.
func (l *PerKey) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxKeys {
			l.sweep(now)
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[key] = lim
	}
	l.mu.Unlock()
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Hour
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops the buckets that have refilled; called with mu held.
func (l *PerKey) sweep(now time.Time) {
	for k, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	if len(l.m) >= maxKeys { // all busy: start over rather than grow
		clear(l.m)
	}
}

// RetryAfter is the Retry-After value for a wait: whole seconds, at
// least 1.
func RetryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// AddrKey is the bucket key of a client IP address: the address for IPv4
// (and IPv4-mapped IPv6), its /64 network for IPv6, since one host is
// routinely given a whole /64 and would otherwise have as many buckets as
// it likes (and, past maxKeys, empty everyone's). Anything that is not an
// address is its own key.
func AddrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
