package x12

import (
	"fmt"
	"io"
	"strconv"
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
	b = append(b, upc12(n)...)
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
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// upc12 is an 11-digit number with its UPC-A check digit.
func upc12(n int) string {
	base := fmt.Sprintf("%011d", n%100000000000)
	odd, even := 0, 0
	for i := 0; i < 11; i++ {
		d := int(base[i] - '0')
		if i%2 == 0 {
			odd += d
		} else {
			even += d
		}
	}
	return base + strconv.Itoa((10-(odd*3+even)%10)%10)
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
