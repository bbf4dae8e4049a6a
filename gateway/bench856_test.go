package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// gen856Sets writes an interchange of n one-item 856 sets from ACME, each
// its own shipment (BSN02).
func gen856Sets(n, control int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*%09d*0*P*>~\n", control)
	fmt.Fprintf(&b, "GS*SH*ACME3PL*DOCKSIDE*20261125*2330*%d*X*004010~\n", control)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "ST*856*%04d~\nBSN*00*SHP-%d-%d*20261125*1200*0001~\nDTM*017*20261128~\nHL*1**S~\nN1*ST*Dockside Dallas*92*DAL1~\n"+
			"HL*2*1*O~\nPRF*PO-5001~\nHL*3*2*I~\nLIN*1*VN*AC-1001~\nSN1**5*CA~\nCTT*3~\nSE*12*%04d~\n", i, control, i, i)
	}
	fmt.Fprintf(&b, "GE*%d*%d~\nIEA*1*%09d~\n", n, control, control)
	return b.Bytes()
}

// BenchmarkIngest856Sets runs a file of 200 ship notices (each its own
// shipment, settled in the order book) from receipt to committed ledger.
func BenchmarkIngest856Sets(b *testing.B) {
	const sets = 200
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(b.TempDir(), "data"), "../examples/partners"
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	b.SetBytes(int64(len(gen856Sets(sets, 5000))))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := g.Inbox.Receive(context.Background(), inbox.Arrival{Partner: "acme-3pl", Transport: "test", Name: "asn.edi"}, bytes.NewReader(gen856Sets(sets, 5000+i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Drain(context.Background(), 1); err != nil {
			b.Fatal(err)
		}
		if m, _ = g.Inbox.Get(m.ID); m.State != inbox.Done || m.Result.Movements != sets {
			b.Fatalf("%s %+v %v", m.State, m.Result, m.Errors)
		}
	}
	b.ReportMetric(float64(sets*b.N)/b.Elapsed().Seconds(), "sets/s")
}
