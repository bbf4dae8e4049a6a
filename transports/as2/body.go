package as2

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/dockside-edi/dockside/internal/ratelimit"
)

// body is a request body read off the connection: in memory when small,
// else in an unlinked file until its turn to be unwrapped.
type body struct {
	mem  []byte
	f    *os.File
	size int64
	name string // the file's name while it could not be unlinked
	// spooled is the handler's count of spooled bytes, which this body's
	// size is part of until Close.
	spooled *atomic.Int64
}

// readBody reads the request body, at most MaxBody bytes: a body of up to
// spoolAbove announced bytes into memory (sized by its Content-Length,
// which net/http enforces), any other into a file in SpoolDir.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) (*body, error) {
	src := http.MaxBytesReader(w, r.Body, h.cfg.MaxBody)
	if n := r.ContentLength; n >= 0 && n <= spoolAbove {
		b := &body{mem: make([]byte, n), size: n}
		if _, err := io.ReadFull(src, b.mem); err != nil {
			return nil, err
		}
		return b, nil
	}
	if n := r.ContentLength; n > 0 && h.spooled.Load()+n > h.cfg.MaxSpool {
		return nil, errSpoolFull
	}
	f, err := os.CreateTemp(h.cfg.SpoolDir, "as2-body-*")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSpool, err)
	}
	b := &body{f: f, spooled: &h.spooled}
	if err := os.Remove(f.Name()); err != nil {
		b.name = f.Name() // removed at Close instead
	}
	buf := make([]byte, 64<<10)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			b.size += int64(n) // counted before the write, so that Close takes it back
			if h.spooled.Add(int64(n)) > h.cfg.MaxSpool {
				b.Close()
				return nil, errSpoolFull
			}
			if _, err := f.Write(buf[:n]); err != nil {
				b.Close()
				return nil, fmt.Errorf("%w: %w", errSpool, err)
			}
		}
		if rerr == io.EOF {
			return b, nil
		}
		if rerr != nil {
			b.Close()
			return nil, rerr
		}
	}
}

// bytes returns the body in memory, read from its file when spooled (one
// buffer of the exact size).
func (b *body) bytes() ([]byte, error) {
	if b.f == nil {
		return b.mem, nil
	}
	buf := make([]byte, b.size)
	if _, err := io.ReadFull(io.NewSectionReader(b.f, 0, b.size), buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// Close closes (and removes) the spooled file.
func (b *body) Close() error {
	if b.f == nil {
		return nil
	}
	err := b.f.Close()
	if b.name != "" {
		os.Remove(b.name)
	}
	b.spooled.Add(-b.size)
	b.f, b.size = nil, 0
	return err
}

// addrLimits is the per client address rate limit of the handler.
type addrLimits struct{ b *ratelimit.PerKey }

func newAddrLimits(perSecond float64, burst int) *addrLimits {
	return &addrLimits{b: ratelimit.New(perSecond, burst)}
}

func (l *addrLimits) allow(addr string, now time.Time) (bool, time.Duration) {
	return l.b.Allow(ratelimit.AddrKey(addr), now) // an IPv6 client's /64 is one bucket
}

func retryAfter(d time.Duration) int { return ratelimit.RetryAfter(d) }

// remoteIP is the client's IP address (the connection's; a proxy in
// front makes every partner one address).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
