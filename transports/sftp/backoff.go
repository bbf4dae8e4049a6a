package sftp

import (
	"sync"
	"time"
)

// Login backoff: after n failed logins from one address for one user,
// each further attempt waits loginDelayBase·2^(n-1), at most loginDelayMax.
// Failures are forgotten after loginForget without one.
const (
	loginDelayBase = 250 * time.Millisecond
	loginDelayMax  = 4 * time.Second
	loginForget    = 15 * time.Minute
	// failureTableMax bounds the tracker; past it, stale entries are
	// dropped, then the oldest.
	failureTableMax = 16384
)

// failures counts failed logins per source address and user.
type failures struct {
	now       func() time.Time
	base, max time.Duration // loginDelayBase, loginDelayMax

	mu sync.Mutex
	m  map[string]*failureRecord
}

type failureRecord struct {
	n    int
	last time.Time
}

func newFailures(now func() time.Time) *failures {
	return &failures{now: now, base: loginDelayBase, max: loginDelayMax, m: map[string]*failureRecord{}}
}

func failureKey(ip, user string) string { return ip + "\x00" + user }

// delay returns how long an attempt from ip as user must wait.
func (f *failures) delay(ip, user string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.m[failureKey(ip, user)]
	if r == nil || f.now().Sub(r.last) > loginForget {
		return 0
	}
	return f.backoff(r.n)
}

// backoff is the wait after n failures.
func (f *failures) backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := f.base
	for i := 1; i < n && d < f.max; i++ {
		d *= 2
	}
	return min(d, f.max)
}

// fail records a failed login and returns the number of failures.
func (f *failures) fail(ip, user string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	k := failureKey(ip, user)
	r := f.m[k]
	if r == nil || now.Sub(r.last) > loginForget {
		if len(f.m) >= failureTableMax {
			f.prune(now)
		}
		r = &failureRecord{}
		f.m[k] = r
	}
	r.n++
	r.last = now
	return r.n
}

// reset forgets the failures of ip as user, after a successful login.
func (f *failures) reset(ip, user string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, failureKey(ip, user))
}

// count returns the current failure count of ip as user.
func (f *failures) count(ip, user string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.m[failureKey(ip, user)]; r != nil && f.now().Sub(r.last) <= loginForget {
		return r.n
	}
	return 0
}

// prune drops stale records; if the table is still full (a flood of
// addresses), the records older than a minute, then all of them.
func (f *failures) prune(now time.Time) {
	for _, age := range []time.Duration{loginForget, time.Minute, 0} {
		for k, r := range f.m {
			if now.Sub(r.last) >= age {
				delete(f.m, k)
			}
		}
		if len(f.m) < failureTableMax {
			return
		}
	}
}
