package specs

import (
	"fmt"
	"io"
	"strconv"
)

// gen846 generates an 004010 inventory advice stream on the fly: one
// interchange, one group, sets of perSet LIN items (BIA/DTM/N1 header;
// per item LIN, PID, QTY*17, QTY*33; CTT, SE). It never holds more than
// one chunk, so it can stand for a gigabyte input.
type gen846 struct {
	items, perSet int // total items, items per set
	item          int // items written so far
	inSet         int // items written in the open set
	segs          int // segments of the open set so far
	sets          int
	open, done    bool
	buf           []byte
	off           int
	// Segments counts every segment written, envelopes included.
	Segments int
}

func newGen846(items, perSet int) *gen846 {
	g := &gen846{items: items, perSet: perSet, buf: make([]byte, 0, 64<<10)}
	g.seg("ISA*00*          *00*          *ZZ*DOCKSIDE       *ZZ*PARTNER        *240101*1200*U*00401*000000001*0*P*>")
	g.seg("GS*IB*DOCKSIDE*PARTNER*20240101*1200*1*X*004010")
	return g
}

func (g *gen846) seg(s string) {
	g.buf = append(g.buf, s...)
	g.buf = append(g.buf, '~', '\n')
	g.Segments++
	if g.open {
		g.segs++
	}
}

// fill appends the next chunk; false when the stream is complete.
func (g *gen846) fill() bool {
	g.buf, g.off = g.buf[:0], 0
	if g.done {
		return false
	}
	if g.item == g.items && !g.open {
		g.seg("GE*" + strconv.Itoa(g.sets) + "*1")
		g.seg("IEA*1*000000001")
		g.done = true
		return true
	}
	if !g.open {
		g.sets++
		g.open, g.segs, g.inSet = true, 0, 0
		ctl := fmt.Sprintf("%04d", g.sets)
		g.seg("ST*846*" + ctl)
		g.seg("BIA*00*SI*INV" + ctl + "*20240101*1200")
		g.seg("DTM*007*20240101")
		g.seg("N1*WH*DOCKSIDE WAREHOUSE*92*WH01")
	}
	for k := 0; k < 200 && g.inSet < g.perSet && g.item < g.items; k++ {
		n := int64(g.item + 1)
		b := g.buf
		b = append(b, "LIN*"...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, "*SK*SKU"...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, "*UP*0123456"...)
		b = appendPad5(b, g.item)
		b = append(b, "~\nPID*F****WIDGET NUMBER "...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, "~\nQTY*17*"...)
		b = strconv.AppendInt(b, int64(g.item%1000), 10)
		b = append(b, "*EA~\nQTY*33*"...)
		b = strconv.AppendInt(b, int64(g.item%700), 10)
		b = append(b, "*EA~\n"...)
		g.buf = b
		g.Segments += 4
		g.segs += 4
		g.item++
		g.inSet++
	}
	if g.inSet == g.perSet || g.item == g.items {
		g.seg("CTT*" + strconv.Itoa(g.inSet))
		g.segs++ // SE counts itself
		g.open = false
		g.Segments++
		g.buf = append(g.buf, "SE*"+strconv.Itoa(g.segs)+"*"+fmt.Sprintf("%04d", g.sets)+"~\n"...)
	}
	return true
}

// appendPad5 appends i mod 100000 as five digits.
func appendPad5(b []byte, i int) []byte {
	i %= 100000
	return append(b, byte('0'+i/10000), byte('0'+i/1000%10), byte('0'+i/100%10), byte('0'+i/10%10), byte('0'+i%10))
}

func (g *gen846) Read(p []byte) (int, error) {
	for g.off >= len(g.buf) {
		if !g.fill() {
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}
