package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/outbox"
)

// pg is the PostgreSQL server of the package's cluster tests, started at
// the first test that asks for a database.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// clusterNode makes one more serve node of a cluster: its own data folder
// and ports, the shared partner profiles, binary and database.
func clusterNode(t *testing.T, first *env, storage string) *env {
	e := &env{t: t, dir: t.TempDir(), repo: first.repo, bin: first.bin, partners: first.partners}
	e.data = filepath.Join(e.dir, "data")
	e.sftpPort, e.httpPort = freePort(t), freePort(t)
	e.config = filepath.Join(e.dir, "dockside.yaml")
	cfg := fmt.Sprintf("data: %s\npartners: %s\nstorage: %s\nworkers: 2\nhttp:\n  listen: 127.0.0.1:%d\nsftp:\n  listen: 127.0.0.1:%d\nfolders:\n  rescan: 1s\n",
		e.data, e.partners, storage, e.httpPort, e.sftpPort)
	if err := os.WriteFile(e.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	// The nodes share host keys, the AS2 identity and the operator token
	// (docs/deploy.md): partners and operators see one gateway.
	for _, dir := range []string{"keys", "as2"} {
		copyTree(t, filepath.Join(first.data, dir), filepath.Join(e.data, dir))
		filepath.WalkDir(filepath.Join(e.data, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				os.Chmod(p, 0o600) // private keys: as the first node wrote them
			}
			return nil
		})
	}
	tok, err := os.ReadFile(filepath.Join(first.data, "operator-token"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.data, "operator-token"), tok, 0o600)
	return e
}

// clusterStock returns a position's figures as a node's API reads them
// from the shared ledger.
func (e *env) clusterStock(sku, loc string) map[string]float64 {
	var page struct {
		Balances []map[string]any `json:"balances"`
	}
	json.Unmarshal([]byte(e.get("/api/v1/stock?sku="+url.QueryEscape(sku))), &page)
	for _, b := range page.Balances {
		if b["sku"] == sku && b["location"] == loc {
			out := map[string]float64{}
			for k, v := range b {
				if n, ok := v.(float64); ok {
					out[k] = n
				}
			}
			return out
		}
	}
	return nil
}

// allMessages pages through the inbox as a node's API lists it.
func (e *env) allMessages() []*inbox.Message {
	var all []*inbox.Message
	before := uint64(0)
	for {
		var page struct {
			Messages   []*inbox.Message `json:"messages"`
			NextBefore uint64           `json:"next_before"`
		}
		q := "/api/v1/messages?limit=500"
		if before != 0 {
			q += fmt.Sprintf("&before=%d", before)
		}
		json.Unmarshal([]byte(e.get(q)), &page)
		all = append(all, page.Messages...)
		if page.NextBefore == 0 || len(page.Messages) == 0 {
			return all
		}
		before = page.NextBefore
	}
}

// outboxMessages lists the outbox as a node's API reads it.
func (e *env) outboxMessages() []*outbox.Message {
	var page struct {
		Messages []*outbox.Message `json:"messages"`
	}
	json.Unmarshal([]byte(e.get("/api/v1/outbox?limit=500")), &page)
	return page.Messages
}

// startCluster starts three serve nodes on a new database, migrated with
// `dockside migrate`; with station, the marketplace's AS2 station that the
// first node's environment holds receives the advice.
func startCluster(t *testing.T, station bool) []*env {
	first := setup(t)
	storage := pg.Database(t)
	if out, err := exec.Command(first.bin, "migrate", "--storage", storage).CombinedOutput(); err != nil {
		t.Fatalf("dockside migrate: %v\n%s", err, out)
	}
	cfg, _ := os.ReadFile(first.config)
	os.WriteFile(first.config, append(cfg, []byte("storage: "+storage+"\n")...), 0o644)
	first.start() // generates the host keys and the AS2 identity the nodes share
	first.stop()
	if station {
		first.startChannelStation()
	}
	nodes := []*env{first, clusterNode(t, first, storage), clusterNode(t, first, storage)}
	for _, n := range nodes {
		n.start()
	}
	return nodes
}

// TestClusterOfThreeNodes runs three serve processes on one PostgreSQL,
// each with its own SFTP and HTTP ports, and uploads ship notices to each
// with OpenSSH sftp: every file is counted once in the shared ledger,
// whichever node took it; the marketplace is sent each advice once, by
// the leader alone.
func TestClusterOfThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("three serve processes")
	}
	nodes := startCluster(t, true)
	first := nodes[0]

	// Each node's SFTP takes files of its own: perNode notices of `levels`
	// units of AC-1001 inbound to DAL1, each notice its own interchange.
	const perNode, levels = 12, 3
	for i, n := range nodes {
		dir := filepath.Join(n.dir, "upload")
		os.MkdirAll(dir, 0o755)
		var puts []string
		for j := 0; j < perNode; j++ {
			name := fmt.Sprintf("asn-%d-%02d.edi", i, j)
			writeWide856(t, filepath.Join(dir, name), levels, 20000+i*100+j)
			puts = append(puts, "put "+filepath.Join(dir, name)+" in/"+name)
		}
		n.sftp(puts...)
	}
	// And a stock snapshot through the first node, which the marketplace
	// is told of (near real time, 2 s after the change) by the leader.
	first.sftp("put " + filepath.Join(first.repo, "examples/samples/acme-3pl/inventory-846.edi") + " in/inventory-846.edi")

	want := 3*perNode + 1
	var msgs []*inbox.Message
	nodes[1].waitFor("every file processed", 120*time.Second, func() bool {
		msgs = nodes[1].allMessages()
		done := 0
		for _, m := range msgs {
			if m.State == inbox.Done && m.Partner == "acme-3pl" {
				done++
			}
		}
		return done == want
	})
	names := map[string]int{}
	for _, m := range msgs {
		if m.Partner == "acme-3pl" {
			names[m.Name]++
			if m.State != inbox.Done {
				t.Errorf("message %d (%s): %s %v", m.ID, m.Name, m.State, m.Errors)
			}
		}
	}
	if len(names) != want {
		t.Errorf("%d files in the shared inbox, want %d", len(names), want)
	}
	for name, n := range names {
		if n != 1 {
			t.Errorf("%s received %d times", name, n)
		}
	}
	// Every node reads the same ledger: each notice counted once.
	for i, n := range nodes {
		b := n.clusterStock("WIDGET-RED", "dallas")
		if b == nil {
			t.Fatalf("node %d: no WIDGET-RED at dallas: %s", i, n.get("/api/v1/stock"))
		}
		t.Logf("node %d reads WIDGET-RED@dallas: %v", i, b)
		if got := b["in_transit"]; got != 3*perNode*levels {
			t.Errorf("node %d: WIDGET-RED@dallas in transit %v, want %d (each notice once)", i, got, 3*perNode*levels)
		}
	}

	// The advice: sent once per broadcast, by one node only.
	first.waitFor("the marketplace told", 60*time.Second, func() bool { return len(first.lastAdvice()) > 0 })
	time.Sleep(4 * time.Second) // any second sender would have sent by now (2 s debounce)
	var advice []*outbox.Message
	for _, m := range first.outboxMessages() {
		if m.Partner == "shopmart" && m.Kind == "846" {
			advice = append(advice, m)
			if m.State != outbox.Delivered || m.Attempts != 1 {
				t.Errorf("advice %d: %s after %d attempts", m.ID, m.State, m.Attempts)
			}
		}
	}
	got, err := first.channelInbox.List(inbox.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d advice messages sent, %d received by the marketplace", len(advice), len(got))
	if len(advice) == 0 || len(got) != len(advice) {
		t.Errorf("the marketplace received %d advice messages, the outbox sent %d", len(got), len(advice))
	}
	leaders := 0
	for i, n := range nodes {
		log, _ := os.ReadFile(filepath.Join(n.dir, "server.log"))
		if c := strings.Count(string(log), "leader: took the lease"); c > 0 {
			t.Logf("node %d took the leader lease %d time(s)", i, c)
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("%d nodes took the leader lease, want 1", leaders)
	}
	for _, n := range nodes {
		n.stop()
	}
}

// TestClusterNodeKilledMidIngest uploads a batch of large ship notices to
// one node of three and kills it with SIGKILL while the cluster ingests
// them: the survivors take over its claims once their lease (1 minute)
// runs out, and every notice is counted exactly once.
func TestClusterNodeKilledMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("three serve processes")
	}
	nodes := startCluster(t, false)
	const files, levels = 30, 20000
	victim := nodes[2]
	dir := filepath.Join(victim.dir, "upload")
	os.MkdirAll(dir, 0o755)
	var puts []string
	for j := 0; j < files; j++ {
		name := fmt.Sprintf("big-%02d.edi", j)
		writeWide856(t, filepath.Join(dir, name), levels, 30000+j)
		puts = append(puts, "put "+filepath.Join(dir, name)+" in/"+name)
	}
	victim.sftp(puts...)
	// Kill it while some of the notices are being processed.
	nodes[0].waitFor("processing under way", 60*time.Second, func() bool {
		for _, m := range nodes[0].allMessages() {
			if m.State == inbox.Processing {
				return true
			}
		}
		return false
	})
	victim.kill()
	killed := time.Now()
	var msgs []*inbox.Message
	nodes[0].waitFor("every notice processed by the survivors", 240*time.Second, func() bool {
		msgs = nodes[0].allMessages()
		done := 0
		for _, m := range msgs {
			if m.State == inbox.Done {
				done++
			}
		}
		return done == files
	})
	t.Logf("all %d notices done %s after the kill", files, time.Since(killed).Round(time.Second))
	names, interrupted := map[string]int{}, 0
	for _, m := range msgs {
		names[m.Name]++
		interrupted += m.Interrupted
	}
	// The dead node's claims were taken over (each counted in Interrupted).
	if interrupted == 0 {
		t.Error("no claim was taken over from the killed node")
	}
	t.Logf("%d claims taken over from the killed node", interrupted)
	for name, n := range names {
		if n != 1 {
			t.Errorf("%s received %d times", name, n)
		}
	}
	if len(names) != files {
		t.Errorf("%d notices in the inbox, want %d", len(names), files)
	}
	for i, n := range nodes[:2] {
		b := n.clusterStock("WIDGET-RED", "dallas")
		if b["in_transit"] != files*levels {
			t.Errorf("node %d: WIDGET-RED@dallas in transit %v, want %d (each notice once)", i, b["in_transit"], files*levels)
		}
	}
	for _, n := range nodes[:2] {
		n.stop()
	}
}

// writeWide856 writes a ship notice of items lines of one unit of AC-1001
// to DAL1, every item under the order level, as interchange control.
func writeWide856(t *testing.T, path string, items, control int) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*%09d*0*P*>~\n", control)
	fmt.Fprintf(&b, "GS*SH*ACME3PL*DOCKSIDE*20261125*2330*%d*X*004010~\nST*856*0001~\nBSN*00*SHP-WIDE-%d*20261125*1200*0001~\n", control, control)
	b.WriteString("HL*1**S~\nN1*ST*Dockside Dallas*92*DAL1~\nHL*2*1*O~\nPRF*PO-5001~\n")
	for i := 3; i < items+3; i++ {
		fmt.Fprintf(&b, "HL*%d*2*I~\nLIN**VN*AC-1001~\nSN1**1*EA~\n", i)
	}
	fmt.Fprintf(&b, "CTT*%d~\nSE*%d*0001~\nGE*1*%d~\nIEA*1*%09d~\n", items+2, 3*items+8, control, control)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestClusterLeaderKilledMidBroadcast kills the leader with SIGKILL while
// a stock change waits for its near-real-time advice (2 s debounce):
// another node takes the leader lease over and the marketplace is told,
// each advice delivered once.
func TestClusterLeaderKilledMidBroadcast(t *testing.T) {
	if testing.Short() {
		t.Skip("three serve processes")
	}
	nodes := startCluster(t, true)
	leader := -1
	nodes[1].waitFor("a leader", 30*time.Second, func() bool {
		for i, n := range nodes {
			log, _ := os.ReadFile(filepath.Join(n.dir, "server.log"))
			before := 0
			if i == 0 {
				before = 1 // the first node's first start, stopped since
			}
			if strings.Count(string(log), "leader: took the lease") > before {
				leader = i
				return true
			}
		}
		return false
	})
	other := nodes[(leader+1)%3]
	other.sftp("put " + filepath.Join(other.repo, "examples/samples/acme-3pl/inventory-846.edi") + " in/inventory-846.edi")
	other.waitFor("the 846 posted", 60*time.Second, func() bool {
		for _, m := range other.allMessages() {
			if m.Name == "inventory-846.edi" && m.State == inbox.Done {
				return true
			}
		}
		return false
	})
	nodes[leader].kill()
	killed := time.Now()
	first := nodes[0]
	other.waitFor("the marketplace told after the leader died", 120*time.Second, func() bool { return len(first.lastAdvice()) > 0 })
	t.Logf("marketplace told %s after the kill", time.Since(killed).Round(time.Second))
	took := 0
	for i, n := range nodes {
		if i == leader {
			continue
		}
		log, _ := os.ReadFile(filepath.Join(n.dir, "server.log"))
		took += strings.Count(string(log), "leader: took the lease")
	}
	if took == 0 {
		t.Error("no surviving node took the leader lease")
	}
	time.Sleep(4 * time.Second) // a second sender would have sent by now
	var delivered int
	for _, m := range other.outboxMessages() {
		if m.Partner == "shopmart" && m.Kind == "846" && m.State == outbox.Delivered {
			delivered++
		}
	}
	got, err := first.channelInbox.List(inbox.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d advice messages delivered, %d received by the marketplace", delivered, len(got))
	if delivered == 0 || len(got) != delivered {
		t.Errorf("the marketplace received %d advice messages, the outbox delivered %d", len(got), delivered)
	}
	for i, n := range nodes {
		if i != leader {
			n.stop()
		}
	}
}
