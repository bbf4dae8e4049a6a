package sftp

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"sort"
	"sync"

	pkgsftp "github.com/pkg/sftp"
)

// download is a file of out/ being read. When it was read to its end and
// closed without a transfer error, it is a pickup.
type download struct {
	ses    *session
	name   string
	f      OutReader
	size   int64  // at open; out/ files are replaced whole, never changed in place
	sha256 string // as the OutFolder keeps it, or ""

	mu     sync.Mutex
	read   spans
	failed bool
}

var (
	_ io.ReaderAt           = (*download)(nil)
	_ pkgsftp.TransferError = (*download)(nil)
)

// ReadAt reads at off and records which bytes were sent.
func (d *download) ReadAt(p []byte, off int64) (_ int, err error) {
	defer d.ses.recovered("download read", "/out/"+d.name, &err)
	d.ses.act.begin()
	defer d.ses.act.end()
	n, err := d.f.ReadAt(p, off)
	if n > 0 {
		d.mu.Lock()
		d.read.add(off, off+int64(n))
		d.mu.Unlock()
	}
	return n, err
}

// TransferError records that the connection died mid-download.
func (d *download) TransferError(error) {
	d.mu.Lock()
	d.failed = true
	d.mu.Unlock()
}

// Close reports the pickup when every byte was sent.
func (d *download) Close() (err error) {
	defer d.ses.recovered("download close", "/out/"+d.name, &err)
	d.ses.act.begin()
	defer d.ses.act.end()
	defer d.f.Close()
	d.mu.Lock()
	complete := !d.failed && d.read.cover(d.size)
	d.mu.Unlock()
	if !complete {
		d.ses.log.Info("sftp download incomplete", "file", "/out/"+d.name, "size", d.size)
		return nil
	}
	sum := d.sha256
	if sum == "" {
		h := sha256.New()
		io.Copy(h, io.NewSectionReader(d.f, 0, d.size))
		sum = hex.EncodeToString(h.Sum(nil))
	}
	d.ses.log.Info("sftp download", "file", "/out/"+d.name, "size", d.size, "sha256", sum)
	d.ses.s.pickups.PickedUp(d.ses.partner, d.name)
	return nil
}

// span is the byte range [start, end).
type span struct{ start, end int64 }

// spans is a sorted set of disjoint, non-touching ranges.
type spans []span

// add merges [start, end) into the set.
func (s *spans) add(start, end int64) {
	i := sort.Search(len(*s), func(i int) bool { return (*s)[i].end >= start })
	j := i
	for j < len(*s) && (*s)[j].start <= end {
		start, end = min(start, (*s)[j].start), max(end, (*s)[j].end)
		j++
	}
	*s = slices.Replace(*s, i, j, span{start, end})
}

// cover reports whether the set holds every byte of [0, size).
func (s spans) cover(size int64) bool {
	if size == 0 {
		return true
	}
	return len(s) > 0 && s[0].start <= 0 && s[0].end >= size
}
