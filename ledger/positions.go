package ledger

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The positions bucket holds, for each (SKU, location) with the prefix
// P = sku 0 loc 0:
//
//	P effective (8) id (8) → a block of older timeline entries, named by
//	                         its first (timeline.go)
//	P 0xFE partner 0x1F order → the partner's order's allocation (varint)
//	P 0xFE order           → an order's allocation without a partner (as
//	                         every one was before they were kept per
//	                         partner: see writer.allocation); order ""
//	                         holds what allocated snapshots adjusted
//	P 0xFF                 → balance record with the newest timeline
//	                         entries (decodePosState)
//
// Allocations and the balance sort right after the position's blocks (an
// effective time's first key byte is below 0xFE: see maxTime), so a
// posting usually rewrites one leaf page per position it touches.
// SKUs and locations hold no NUL (validText), so the first two NULs of a
// key end the SKU and the location, and one position's keys never
// interleave with another's.

// Marks after a position's prefix.
const (
	allocationMark = 0xFE // an allocation key follows with the order
	balanceMark    = 0xFF // ends a balance key
)

// positionPrefix is sku 0 loc 0, with room for a timeline suffix.
func positionPrefix(sku, loc string) []byte {
	k := make([]byte, 0, len(sku)+len(loc)+2+16)
	k = append(k, sku...)
	k = append(k, 0)
	k = append(k, loc...)
	return append(k, 0)
}

// balanceKey is sku 0 loc 0 0xFF.
func balanceKey(sku, loc string) []byte {
	return append(positionPrefix(sku, loc), balanceMark)
}

// timelineKey is prefix effective id: a timeline block's key.
func timelineKey(prefix []byte, effective int64, id uint64) []byte {
	k := make([]byte, 0, len(prefix)+16)
	k = append(k, prefix...)
	k = putU64(k, timeKey(effective))
	return putU64(k, id)
}

// Kinds of positions keys.
const (
	keyBad = iota
	keyBalance
	keyTimeline
	keyAllocation
)

// parsePositionKey returns a positions key's prefix (sku 0 loc 0) and
// kind.
func parsePositionKey(k []byte) (prefix []byte, kind int) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return nil, keyBad
	}
	j := bytes.IndexByte(k[i+1:], 0)
	if j < 0 {
		return nil, keyBad
	}
	n := i + 1 + j + 1
	switch {
	case len(k) > n && k[n] == allocationMark:
		return k[:n], keyAllocation
	case len(k) == n+1 && k[n] == balanceMark:
		return k[:n], keyBalance
	case len(k) == n+16 && k[n] < allocationMark:
		return k[:n], keyTimeline
	}
	return nil, keyBad
}

// isTimelineOf reports whether k is a timeline block key of the position
// prefix.
func isTimelineOf(k, prefix []byte) bool {
	return len(k) == len(prefix)+16 && k[len(prefix)] < allocationMark && bytes.HasPrefix(k, prefix)
}

// prefixParts returns the SKU and location of a prefix sku 0 loc 0.
func prefixParts(prefix []byte) (sku, loc string) {
	i := bytes.IndexByte(prefix, 0)
	return string(prefix[:i]), string(prefix[i+1 : len(prefix)-1])
}

// splitTimelineKey returns the effective time and ID at the end of a
// timeline key.
func splitTimelineKey(k []byte) (effective int64, id uint64) {
	n := len(k)
	return int64(timeKey(int64(getU64(k[n-16:])))), getU64(k[n-8:])
}

// scanBalances calls fn with the prefix and record of each balance from key
// start on, in key order, while keys begin with within; it stops when fn
// returns false. Timeline entries in between are stepped over, or skipped
// with a seek when there are many.
func scanBalances(c *bolt.Cursor, start, within []byte, fn func(prefix, v []byte) (bool, error)) error {
	k, v := c.Seek(start)
	for k != nil && bytes.HasPrefix(k, within) {
		prefix, kind := parsePositionKey(k)
		switch kind {
		case keyBalance:
			more, err := fn(prefix, v)
			if err != nil || !more {
				return err
			}
			k, v = c.Next()
		case keyTimeline, keyAllocation:
			// Its balance comes after the position's timeline and allocations.
			bk := append(prefix[:len(prefix):len(prefix)], balanceMark)
			for n := 0; ; n++ {
				if n == 16 {
					k, v = c.Seek(bk)
					break
				}
				if k, v = c.Next(); k == nil || len(k) == len(bk) || !bytes.HasPrefix(k, prefix) {
					break
				}
			}
		default:
			return fmt.Errorf("%w: positions key %q", ErrCorrupt, k)
		}
	}
	return nil
}

// keyAfter returns the smallest key greater than k that is not an
// extension of it.
func keyAfter(k []byte) []byte {
	return append(k[:len(k):len(k)], 0)
}
