package inbox

import "sort"

// span is a byte range [start, end).
type span struct{ start, end int64 }

// spans are the written ranges of a file: sorted, disjoint, and never
// touching (adjacent ranges are merged).
type spans []span

// prefix returns the end of the range that starts at 0 (0 when none does).
func (s spans) prefix() int64 {
	if len(s) > 0 && s[0].start == 0 {
		return s[0].end
	}
	return 0
}

// add records [start, end); false when it would track more than maxSpans
// ranges.
func (s *spans) add(start, end int64) bool {
	if start >= end {
		return true
	}
	r := *s
	// First range that ends at or after start (it may touch or overlap),
	// and the first that starts after end (it does not).
	i := sort.Search(len(r), func(k int) bool { return r[k].end >= start })
	j := sort.Search(len(r), func(k int) bool { return r[k].start > end })
	if i < j { // merge r[i:j] into r[i]
		r[i] = span{min(start, r[i].start), max(end, r[j-1].end)}
		*s = append(r[:i+1], r[j:]...)
		return true
	}
	if len(r) >= maxSpans {
		return false
	}
	r = append(r, span{})
	copy(r[i+1:], r[i:])
	r[i] = span{start, end}
	*s = r
	return true
}

// clip drops everything at or after size.
func (s *spans) clip(size int64) {
	r := *s
	i := sort.Search(len(r), func(k int) bool { return r[k].end > size })
	if i < len(r) && r[i].start < size {
		r[i].end = size
		i++
	}
	*s = r[:i]
}
