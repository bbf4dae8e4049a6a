package x12

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
)

// gen846 generates an 004010 846 interchange on the fly, the shape of
// /work/shared/bench/x12-peers/gen846.py: ISA (106 bytes, * > ~, ISA11 U),
// GS*IB, one ST/SE per 10,000 LIN items with a BIA/DTM/N1 header, LIN / PID
// / QTY / QTY per item, CTT, and "~\n" after every segment. It is an
// io.Reader so that benchmarks can stream a gigabyte without storing it.
type gen846 struct {
	items   int // LIN items in total
	perSet  int // LIN items per transaction set
	item    int // next item, from 1
	sets    int // sets started
	inSet   int // items written in the current set
	state   int
	buf     []byte
	off     int
	segs    int // segments generated
	elems   int // elements generated (element separators)
	bytes   int64
	control int
}

const (
	genHeader = iota
	genSetStart
	genItems
	genTrailer
	genDone
)

func newGen846(items int) *gen846 {
	return &gen846{items: items, perSet: 10000, item: 1, control: 1}
}

// seg appends one segment with its terminator and counts it.
func (g *gen846) seg(s string) {
	g.buf = append(g.buf, s...)
	g.buf = append(g.buf, '~', '\n')
	g.segs++
	for i := 0; i < len(s); i++ {
		if s[i] == '*' {
			g.elems++
		}
	}
}

// refill produces the next chunk of the interchange into g.buf.
func (g *gen846) refill() {
	g.buf, g.off = g.buf[:0], 0
	switch g.state {
	case genHeader:
		g.seg("ISA*00*          *00*          *ZZ*SENDERID       *ZZ*RECEIVERID     *260101*1200*U*00401*" +
			fmt.Sprintf("%09d", g.control) + "*0*P*>")
		g.seg("GS*IB*SENDERID*RECEIVERID*20260101*1200*1*X*004010")
		g.state = genSetStart
	case genSetStart:
		if g.item > g.items && g.sets > 0 {
			g.seg("GE*" + strconv.Itoa(g.sets) + "*1")
			g.seg(fmt.Sprintf("IEA*1*%09d", g.control))
			g.state = genDone
			return
		}
		g.sets++
		g.inSet = 0
		ctl := fmt.Sprintf("%04d", g.sets)
		g.seg("ST*846*" + ctl)
		g.seg("BIA*00*DD*REF0001*20260101")
		g.seg("DTM*405*20260101")
		g.seg("N1*WH*Main*92*WH1")
		g.state = genItems
	case genItems:
		// About 64 KiB of items per refill.
		for len(g.buf) < 64<<10 && g.inSet < g.perSet && g.item <= g.items {
			g.writeItem(g.item)
			g.item++
			g.inSet++
		}
		if g.inSet == g.perSet || g.item > g.items {
			g.state = genTrailer
		}
	case genTrailer:
		g.seg("CTT*" + strconv.Itoa(g.inSet))
		g.seg("SE*" + strconv.Itoa(4+4*g.inSet+2) + "*" + fmt.Sprintf("%04d", g.sets))
		g.state = genSetStart
	}
}

func (g *gen846) writeItem(n int) {
	b := g.buf
	b = append(b, "LIN**SK*SKU"...)
	b = appendPadded(b, n, 7)
	b = append(b, "*UP*"...)
	b = appendUPC(b, n)
	b = append(b, "~\nPID*F****Widget "...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "~\nQTY*17*"...)
	b = strconv.AppendInt(b, int64(n*7919%1000), 10)
	b = append(b, "*EA~\nQTY*33*"...)
	b = strconv.AppendInt(b, int64(n*104729%500), 10)
	b = append(b, "*EA~\n"...)
	g.buf = b
	g.segs += 4
	g.elems += 5 + 5 + 3 + 3
}

func appendPadded(b []byte, n, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// upc12 is an 11-digit number with its UPC-A check digit.
func upc12(n int) string { return string(appendUPC(nil, n)) }

// appendUPC appends n's last 11 digits, zero-padded, and the UPC-A check
// digit.
func appendUPC(b []byte, n int) []byte {
	start := len(b)
	b = appendPadded(b, n%100000000000, 11)
	odd, even := 0, 0
	for i, c := range b[start:] {
		if i%2 == 0 {
			odd += int(c - '0')
		} else {
			even += int(c - '0')
		}
	}
	return append(b, byte('0'+(10-(odd*3+even)%10)%10))
}

func (g *gen846) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		if g.state == genDone {
			return 0, io.EOF
		}
		g.refill()
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	g.bytes += int64(n)
	return n, nil
}

// generate846 returns a whole generated 846 with its segment and element
// counts.
func generate846(items int) (data []byte, segments, elements int) {
	g := newGen846(items)
	data, _ = io.ReadAll(g)
	return data, g.segs, g.elems
}

func TestGen846MatchesPeerGenerator(t *testing.T) {
	// The first item as /work/shared/bench/x12-peers/gen846.py computes
	// its UPC: 00000000001 with check digit 7.
	if got := upc12(1); got != "000000000017" {
		t.Errorf("upc12(1) = %s", got)
	}
	if got := upc12(1234567); got != "000012345670" {
		t.Errorf("upc12(1234567) = %s", got)
	}
	data, segs, elems := generate846(10001)
	rep, err := Check(bytes.NewReader(data), EnvelopeOnly, &DecoderOptions{Reader: ReaderOptions{Strict: true}}, nil)
	if err != nil || !rep.Accepted() {
		t.Fatalf("generated 846 not accepted: %v %v %q", err, rep.Err, problems(rep))
	}
	if sets := len(rep.Interchanges[0].Groups[0].Sets); sets != 2 {
		t.Errorf("%d sets, want 2", sets)
	}
	if n := bytes.Count(data, []byte{'~'}); n != segs || bytes.Count(data, []byte{'*'}) != elems {
		t.Errorf("counted %d segments %d elements; '~' %d '*' %d", segs, elems, n, bytes.Count(data, []byte{'*'}))
	}
}
