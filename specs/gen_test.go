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

func (g *gen846) segBytes(parts ...string) {
	for i, p := range parts {
		if i > 0 {
			g.buf = append(g.buf, '*')
		}
		g.buf = append(g.buf, p...)
	}
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
	var num [20]byte
	for k := 0; k < 200 && g.inSet < g.perSet && g.item < g.items; k++ {
		n := string(strconv.AppendInt(num[:0], int64(g.item+1), 10))
		g.segBytes("LIN", n, "SK", "SKU"+n, "UP", "0123456"+pad5(g.item))
		g.segBytes("PID", "F", "", "", "", "WIDGET NUMBER "+n)
		g.segBytes("QTY", "17", strconv.Itoa(g.item%1000), "EA")
		g.segBytes("QTY", "33", strconv.Itoa(g.item%700), "EA")
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

func pad5(i int) string {
	s := strconv.Itoa(i % 100000)
	for len(s) < 5 {
		s = "0" + s
	}
	return s
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
