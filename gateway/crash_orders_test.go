package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// TestCrashOrdersChild is the child of TestCrashOrdersAllocateOnce: it
// receives every file of a folder (the partner is the name's first part)
// and processes the inbox.
func TestCrashOrdersChild(t *testing.T) {
	if os.Getenv("DOCKSIDE_CRASH_ORDERS_CHILD") == "" {
		t.Skip("child process of the orders crash test")
	}
	cfg := crashConfig(os.Getenv("DOCKSIDE_CRASH_STORAGE"), os.Getenv("DOCKSIDE_CRASH_DATA"), os.Getenv("DOCKSIDE_CRASH_PARTNERS"))
	cfg.Workers = 4
	cfg.Limits.MaxAttempts = 100 // killed on purpose, often
	g, err := Open(cfg, &Options{Logger: crashChildLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	files, _ := filepath.Glob(filepath.Join(os.Getenv("DOCKSIDE_CRASH_FILES"), "*.edi"))
	for _, f := range files {
		body, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		partner, _, _ := strings.Cut(filepath.Base(f), ".")
		_, err = g.Inbox.Receive(context.Background(), inbox.Arrival{Partner: partner, Transport: "test", Name: filepath.Base(f)}, body)
		body.Close()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%sreceived %s\n", crashStep, filepath.Base(f))
	}
	if err := g.Drain(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
}

// TestCrashOrdersAllocateOnce: orders (940) and ship notices (856), each
// sent twice under other control numbers (a partner that got no
// acknowledgement sends again), are ingested by a child process killed
// with SIGKILL at random moments, many rounds. In the end every order is
// allocated once and every shipment is in transit once, and no message
// failed: a crash between the ledger and the order book counts nothing
// twice, whichever copy is settled first. On bbolt and on PostgreSQL.
func TestCrashOrdersAllocateOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: many child processes")
	}
	crashStorages(t, testCrashOrdersAllocateOnce)
}

func testCrashOrdersAllocateOnce(t *testing.T, storage string) {
	dir := t.TempDir()
	partnersDir, filesDir, data := filepath.Join(dir, "partners"), filepath.Join(dir, "files"), filepath.Join(dir, "data")
	copyTree(t, "../examples/partners", partnersDir)
	os.MkdirAll(filesDir, 0o755)
	var allocated, inTransit int64
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(filesDir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		q := int64(i%7 + 1)
		allocated += q
		inTransit += q
		for copy := range 2 {
			ctl := 100 + 2*i + copy
			write(fmt.Sprintf("shopmart.order-%02d-%d.edi", i, copy), crashOrder940(ctl, fmt.Sprintf("SO-C%02d", i), q))
			write(fmt.Sprintf("acme-3pl.asn-%02d-%d.edi", i, copy), crashNotice856(ctl, fmt.Sprintf("SHP-C%02d", i), q))
		}
	}

	killRounds(t, rand.New(rand.NewPCG(5, 3)), 12, 240, func() *exec.Cmd { return crashOrdersChild(storage, data, partnersDir, filesDir) })
	checkCrashStorage(t, storage, data)

	g, err := Open(crashConfig(storage, data, partnersDir), &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.Ledger.Verify(context.Background()); err != nil {
		t.Fatalf("ledger inconsistent: %v", err)
	}
	msgs, _ := g.Inbox.List(inbox.Filter{Limit: 1 << 20})
	logCutShort(t, msgs)
	for _, m := range msgs {
		if m.State != inbox.Done && m.State != inbox.Duplicate {
			t.Errorf("message %d (%s) left %s: %v", m.ID, m.Name, m.State, m.Errors)
		}
	}
	b := balance(t, g, "WIDGET-RED", "dallas")
	if b.Allocated != allocated || b.InTransit != inTransit {
		t.Errorf("WIDGET-RED@dallas: allocated %d, in transit %d; want %d, %d", b.Allocated, b.InTransit, allocated, inTransit)
	}
}

func crashOrdersChild(storage, data, partnersDir, filesDir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashOrdersChild$")
	cmd.Env = append(os.Environ(), "DOCKSIDE_CRASH_ORDERS_CHILD=1", "DOCKSIDE_CRASH_STORAGE="+storage, "DOCKSIDE_CRASH_DATA="+data,
		"DOCKSIDE_CRASH_PARTNERS="+partnersDir, "DOCKSIDE_CRASH_FILES="+filesDir)
	return cmd
}

// crashOrder940 is a Shopmart 940 opening order number for q WIDGET-RED
// at Dallas, under control number ctl.
func crashOrder940(ctl int, number string, q int64) string {
	return fmt.Sprintf("ISA*00*          *00*          *ZZ*SHOPMART       *ZZ*DOCKSIDE       *261125*2330*U*00401*%09d*0*P*>~\n"+
		"GS*OW*SHOPMART*DOCKSIDE*20261125*2330*%d*X*004010~\nST*940*0001~\nW05*N*%s*PO-%s~\nN1*WH*Dockside Dallas*92*SM-DAL~\n"+
		"LX*1~\nW01*%d*EA**VN*SM-88001~\nW76*%d~\nSE*7*0001~\nGE*1*%d~\nIEA*1*%09d~\n", ctl, ctl, number, number, q, q, ctl, ctl)
}

// crashNotice856 is an ACME 856 of shipment id, q WIDGET-RED to Dallas.
func crashNotice856(ctl int, id string, q int64) string {
	return fmt.Sprintf("ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*%09d*0*P*>~\n"+
		"GS*SH*ACME3PL*DOCKSIDE*20261125*2330*%d*X*004010~\nST*856*0001~\nBSN*00*%s*20261125*1200*0001~\nDTM*017*20261128~\n"+
		"HL*1**S~\nN1*ST*Dockside Dallas*92*DAL1~\nHL*2*1*O~\nPRF*PO-5001~\nHL*3*2*I~\nLIN*1*VN*AC-1001~\nSN1**%d*EA~\nCTT*3~\nSE*12*0001~\n"+
		"GE*1*%d~\nIEA*1*%09d~\n", ctl, ctl, id, q, ctl, ctl)
}
