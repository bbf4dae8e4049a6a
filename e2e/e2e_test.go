// Package e2e runs `dockside serve` as a process with the example partners
// on loopback ports and talks to it as the partners do: the 3PL over
// OpenSSH sftp, the marketplace over AS2 (openssl cms + curl), the
// supplier through its watched folder. It kills the server with SIGKILL
// mid-run and checks that nothing is lost and nothing is counted twice.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/browsertest"
	"github.com/dockside-edi/dockside/transports/as2"
)

// root is the repository root.
func root(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it)", tool)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// env is one end-to-end setup: the binary, its configuration, and the
// partners' side.
type env struct {
	t                   *testing.T
	dir, bin, config    string
	data, partners      string
	repo                string
	sftpPort, httpPort  int
	server              *exec.Cmd
	serverLog           *os.File
	channelInbox        *inbox.Store // what the marketplace's AS2 station received
	channelStationClose func()
}

func setup(t *testing.T) *env {
	need(t, "sftp", "openssl", "curl")
	e := &env{t: t, dir: t.TempDir(), repo: root(t)}
	e.bin = filepath.Join(e.dir, "dockside")
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/dockside")
	build.Dir = e.repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building dockside: %v\n%s", err, out)
	}
	e.data, e.partners = filepath.Join(e.dir, "data"), filepath.Join(e.dir, "partners")
	copyTree(t, filepath.Join(e.repo, "examples/partners"), e.partners)
	e.sftpPort, e.httpPort = freePort(t), freePort(t)
	e.config = filepath.Join(e.dir, "dockside.yaml")
	cfg := fmt.Sprintf("data: %s\npartners: %s\nworkers: 2\nhttp:\n  listen: 127.0.0.1:%d\nsftp:\n  listen: 127.0.0.1:%d\nfolders:\n  rescan: 1s\n",
		e.data, e.partners, e.httpPort, e.sftpPort)
	os.WriteFile(e.config, []byte(cfg), 0o644)
	return e
}

// startChannelStation runs the marketplace's own AS2 station, which our
// advice is sent to, and points Shopmart's profile at it.
func (e *env) startChannelStation() {
	t := e.t
	id, err := as2.LoadIdentity(filepath.Join(e.repo, "examples/keys/shopmart-demo.key"),
		filepath.Join(e.repo, "examples/partners/certs/shopmart-2025.pem"), "SHOPMART-AS2")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := as2.LoadCertificates(filepath.Join(e.data, "as2", as2.IdentityCertFile))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(e.dir, "shopmart-station")
	os.MkdirAll(dir, 0o755)
	in, err := inbox.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := as2.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := as2.NewHandler(as2.HandlerConfig{Identity: id, Inbox: in, Store: st,
		Partners: as2.PartnerList{{ID: "dockside", AS2ID: "DOCKSIDE", Certs: ours, Sign: "sha256", MDNSigned: true}},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	e.channelInbox = in
	e.channelStationClose = func() { srv.Close(); st.Close(); in.Close() }
	t.Cleanup(e.channelStationClose)
	// Shopmart: our advice goes to its station with a synchronous MDN, and
	// near real time (2 s after a change) so the test need not wait hours.
	p := filepath.Join(e.partners, "shopmart.yaml")
	b, _ := os.ReadFile(p)
	// The demo delivers to a local folder; here Shopmart is reached over AS2.
	s := string(b)
	i := strings.Index(s, "    - folder:\n        path: ../outbound/shopmart")
	if i < 0 {
		t.Fatal("shopmart.yaml has no outbound folder to replace")
	}
	j := i + strings.Index(s[i:], "\n\n")
	s = s[:i] + "    - as2:\n        url: " + srv.URL + "\n        partner_certs: [certs/shopmart-2025.pem]\n" +
		"        mdn: sync\n        mdn_signed: true" + s[j:]
	s = strings.Replace(s, "debounce: 10m", "debounce: 2s", 1)
	os.WriteFile(p, []byte(s), 0o644)
}

func (e *env) start() {
	t := e.t
	var err error
	if e.serverLog == nil {
		if e.serverLog, err = os.Create(filepath.Join(e.dir, "server.log")); err != nil {
			t.Fatal(err)
		}
	}
	e.server = exec.Command(e.bin, "serve", "--config", e.config)
	e.server.Stdout, e.server.Stderr = e.serverLog, e.serverLog
	if err := e.server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if e.server.ProcessState == nil {
			e.server.Process.Kill()
			e.server.Wait()
		}
	})
	e.waitFor("the listeners", 20*time.Second, func() bool {
		return dial(e.sftpPort) && dial(e.httpPort)
	})
}

func dial(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

func (e *env) kill() {
	e.server.Process.Signal(syscall.SIGKILL)
	e.server.Wait()
}

func (e *env) stop() {
	e.server.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- e.server.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			e.t.Errorf("server exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		e.t.Fatal("server did not stop on SIGTERM")
	}
}

func (e *env) waitFor(what string, limit time.Duration, ok func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "server.log"))
	e.t.Fatalf("timed out waiting for %s; server log:\n%s", what, tail(log, 4000))
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// sftp runs OpenSSH's sftp in batch mode as the 3PL, checking the server's
// host key against the key the server generated.
func (e *env) sftp(commands ...string) string {
	t := e.t
	key := filepath.Join(e.dir, "acme_key")
	if _, err := os.Stat(key); err != nil {
		b, _ := os.ReadFile(filepath.Join(e.repo, "examples/keys/acme-demo_ed25519"))
		os.WriteFile(key, b, 0o600)
	}
	hosts := filepath.Join(e.dir, "known_hosts")
	pub, err := exec.Command("ssh-keygen", "-y", "-f", filepath.Join(e.data, "keys", "ssh_host_ed25519_key")).Output()
	if err != nil {
		t.Fatalf("reading the server's host key: %v", err)
	}
	os.WriteFile(hosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", e.sftpPort, pub)), 0o644)
	batch := filepath.Join(e.dir, "batch")
	os.WriteFile(batch, []byte(strings.Join(commands, "\n")+"\n"), 0o644)
	cmd := exec.Command("sftp", "-b", batch, "-i", key, "-P", fmt.Sprint(e.sftpPort),
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+hosts, "-o", "BatchMode=yes", "acme@127.0.0.1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	return string(out)
}

// postAS2 sends a 940 as the marketplace: signed with its key, encrypted
// to our certificate (openssl cms), posted with curl; it returns the MDN.
func (e *env) postAS2(file, messageID string) string {
	t := e.t
	dir := filepath.Join(e.dir, "as2-"+strings.Trim(messageID, "<>@."))
	os.MkdirAll(dir, 0o755)
	payload, _ := os.ReadFile(file)
	entity := append([]byte("Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=\"order.edi\"\r\n\r\n"), payload...)
	os.WriteFile(filepath.Join(dir, "entity.mime"), entity, 0o644)
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", "entity.mime",
		"-signer", filepath.Join(e.repo, "examples/partners/certs/shopmart-2025.pem"),
		"-inkey", filepath.Join(e.repo, "examples/keys/shopmart-demo.key"), "-out", "signed.mime")
	run("openssl", "cms", "-encrypt", "-binary", "-aes-256-cbc", "-in", "signed.mime", "-outform", "DER", "-out", "body.bin",
		"-recip", filepath.Join(e.data, "as2", as2.IdentityCertFile))
	run("curl", "-sS", "--fail", "-o", "mdn.bin", "-D", "headers.txt", "--data-binary", "@body.bin",
		"-H", "AS2-Version: 1.2", "-H", "AS2-From: SHOPMART-AS2", "-H", "AS2-To: DOCKSIDE", "-H", "Message-ID: "+messageID,
		"-H", `Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"`,
		"-H", "Disposition-Notification-To: edi@shopmart.example",
		"-H", "Disposition-Notification-Options: signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256",
		"-H", "Expect:", fmt.Sprintf("http://127.0.0.1:%d/as2", e.httpPort))
	mdn, _ := os.ReadFile(filepath.Join(dir, "mdn.bin"))
	return string(mdn)
}

// api calls the operator API with the demo operator token and decodes
// the JSON answer into out.
func (e *env) api(method, path, body string, headers map[string]string, wantStatus int, out any) {
	t := e.t
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(e.data, "operator-token"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", e.httpPort, path), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// replayInBrowser logs in to the dashboard with headless Chromium,
// follows the overview's failure to message id, checks its error, fixes
// the ACME item table and presses Replay; the page must show it done.
func (e *env) replayInBrowser(id uint64) {
	t := e.t
	b := browsertest.Start(t)
	tok, _ := os.ReadFile(filepath.Join(e.data, "operator-token"))
	base := fmt.Sprintf("http://127.0.0.1:%d", e.httpPort)
	b.Navigate(base + "/")
	b.WaitFor(`location.pathname === "/login" && !!document.querySelector("#token")`)
	b.Eval(`document.querySelector("#token").value = ` + browsertest.JSString(strings.TrimSpace(string(tok))) +
		`; document.querySelector("form[action='/login'] button").click(); true`)
	b.WaitFor(`location.pathname === "/" && !!document.querySelector("#failures a[href^='/messages/']")`)
	b.Eval(`document.querySelector("#failures a[href^='/messages/']").click(); true`)
	b.WaitFor(fmt.Sprintf(`location.pathname === "/messages/%d" && !!document.querySelector("#state")`, id))
	if got := b.Text(`document.querySelector("#state").textContent`); got != "failed" {
		t.Fatalf("state %q, want failed", got)
	}
	if errs := b.Text(`document.querySelector("#errors").innerText`); !strings.Contains(errs, "AC-9999") || !strings.Contains(errs, "segment 14 (LIN)") {
		t.Fatalf("the page does not show the error and its place:\n%s", errs)
	}
	table := filepath.Join(e.partners, "tables", "acme-items.csv")
	f, err := os.OpenFile(table, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("AC-9999,099999999999,GADGET-XL,4,Extra large gadget\n")
	f.Close()
	b.Eval(`document.querySelector("#replay").click(); true`)
	b.WaitFor(`location.search.includes("flash=") && !!document.querySelector("#state")`)
	if got := b.Text(`document.querySelector("#state").textContent`); got != "done" {
		t.Fatalf("after Replay the page shows %q, want done", got)
	}
}

// get returns the body of an authenticated GET.
func (e *env) get(path string) string {
	tok, _ := os.ReadFile(filepath.Join(e.data, "operator-token"))
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d%s", e.httpPort, path), nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// stock reads the balances with `dockside stock --json` (the server must
// be stopped: it holds the ledger).
func (e *env) stock() map[string]map[string]int64 {
	t := e.t
	out, err := exec.Command(e.bin, "stock", "--json", "--data", e.data).Output()
	if err != nil {
		t.Fatalf("dockside stock: %v", err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := map[string]map[string]int64{}
	for _, r := range rows {
		k := r["sku"].(string) + "@" + r["location"].(string)
		m[k] = map[string]int64{}
		for f, v := range r {
			if n, ok := v.(float64); ok {
				m[k][f] = int64(n)
			}
		}
	}
	return m
}

// lastAdvice returns the figures of the newest 846 the marketplace's
// station received, by UPC.
func (e *env) lastAdvice() map[string]string {
	msgs, err := e.channelInbox.List(inbox.Filter{Limit: 1})
	if err != nil || len(msgs) == 0 {
		return nil
	}
	rc, err := e.channelInbox.Body(msgs[0].ID)
	if err != nil {
		return nil
	}
	defer rc.Close()
	out := map[string]string{}
	x12.Check(rc, x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
		doc, err := documents.Decode846(tx)
		if err != nil {
			return err
		}
		for _, it := range doc.Items {
			out[it.IDs[0].ID] = string(it.Quantities[0].Quantity)
		}
		return nil
	})
	return out
}

func TestGatewayAsPartnersUseIt(t *testing.T) {
	e := setup(t)
	e.start() // first start generates our AS2 identity and SSH host keys
	e.stop()
	e.startChannelStation()
	e.start()
	samples := filepath.Join(e.repo, "examples/samples")

	// The 3PL uploads its nightly 846 with OpenSSH sftp.
	e.sftp("put "+samples+"/acme-3pl/inventory-846.edi in/inventory-846.edi", "ls in")
	// The marketplace posts a 940 over AS2 and gets a signed MDN back.
	if mdn := e.postAS2(samples+"/shopmart/order-940.edi", "<order-9001@shopmart.example>"); !strings.Contains(mdn, "processed") || strings.Contains(mdn, "processed/error") {
		t.Fatalf("MDN for the 940:\n%s", tail([]byte(mdn), 2000))
	}
	// The supplier drops a CSV in its watched folder, with a done-file.
	drop := filepath.Join(e.dir, "drop", "northwind")
	csv, _ := os.ReadFile(samples + "/northwind/NW_STOCK_20261125.csv")
	os.MkdirAll(drop, 0o755)
	os.WriteFile(filepath.Join(drop, "NW_STOCK_20261125.csv"), csv, 0o644)
	os.WriteFile(filepath.Join(drop, "NW_STOCK_20261125.csv.done"), nil, 0o644)

	// The 997 for the 846 waits in the 3PL's out/.
	e.waitFor("the 997 in out/", 30*time.Second, func() bool {
		return strings.Contains(e.sftp("ls out"), "997-")
	})
	got997 := filepath.Join(e.dir, "got.997")
	e.sftp("get out/997-* " + got997)
	if b, _ := os.ReadFile(got997); !bytes.Contains(b, []byte("AK1*IB*1001~")) || !bytes.Contains(b, []byte("AK9*A*1*1*1~")) {
		t.Errorf("997:\n%s", b)
	}
	// The supplier's file is archived once taken.
	e.waitFor("the CSV archived", 30*time.Second, func() bool {
		entries, _ := os.ReadDir(filepath.Join(drop, "archive"))
		return len(entries) == 1
	})
	// The marketplace's advice: 80% of (Dallas + Reno available − 2),
	// by its UPCs, once everything is posted.
	want := map[string]string{"012345678905": "280", "012345678912": "35", "012345678929": "36"}
	e.waitFor("the channel's 846 with the final figures", 40*time.Second, func() bool {
		return fmt.Sprint(e.lastAdvice()) == fmt.Sprint(want)
	})

	// The API shows the balances and Shopmart's availability.
	var avail struct {
		Locations []struct {
			Location  string `json:"location"`
			Available int64  `json:"available"`
			Allocated int64  `json:"allocated"`
		} `json:"locations"`
		Channels []struct {
			Partner  string `json:"partner"`
			Quantity int64  `json:"quantity"`
		} `json:"channels"`
	}
	e.api("GET", "/api/v1/availability/WIDGET-RED", "", nil, 200, &avail)
	got := map[string]int64{}
	for _, l := range avail.Locations {
		got[l.Location] = l.Available
	}
	if got["dallas"] != 232 || got["reno"] != 120 || len(avail.Channels) != 1 || avail.Channels[0].Quantity != 280 {
		t.Errorf("availability of WIDGET-RED: %+v", avail)
	}
	// A portal reserves 2 with an idempotency key; its retry allocates
	// nothing more; asking for more than is available is refused.
	hdr := map[string]string{"Idempotency-Key": "portal-77", "Content-Type": "application/json"}
	e.api("POST", "/api/v1/reservations", `{"sku":"WIDGET-BLUE","location":"dallas","quantity":2}`, hdr, 201, nil)
	e.api("POST", "/api/v1/reservations", `{"sku":"WIDGET-BLUE","location":"dallas","quantity":2}`, hdr, 200, nil)
	hdr["Idempotency-Key"] = "portal-78"
	e.api("POST", "/api/v1/reservations", `{"sku":"WIDGET-BLUE","location":"dallas","quantity":1000}`, hdr, 409, nil)

	// Metrics count the partners' connections, bytes and messages.
	metrics := e.get("/metrics")
	for _, want := range []string{`dockside_transport_connections_total{transport="sftp"}`, `dockside_transport_connections_total{transport="as2"}`,
		`dockside_transport_bytes_total{direction="in",transport="sftp"}`, `dockside_messages_total{`, `dockside_processing_seconds_bucket{`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// An operator finds a failed file in the dashboard, fixes the
	// profile and replays it, in a real browser.
	e.sftp("put " + samples + "/acme-3pl/inventory-846-unknown-item.edi in/unknown-item.edi")
	var failed []struct {
		ID uint64 `json:"id"`
	}
	e.waitFor("the unknown item's 846 to fail", 30*time.Second, func() bool {
		var page struct {
			Messages []struct {
				ID uint64 `json:"id"`
			} `json:"messages"`
		}
		json.Unmarshal([]byte(e.get("/api/v1/messages?state=failed")), &page)
		failed = page.Messages
		return len(failed) == 1
	})
	e.replayInBrowser(failed[0].ID)

	// More files arrive; the server is killed while it works on them.
	e.sftp("put "+samples+"/acme-3pl/ship-notice-856.edi in/ship-notice-856.edi",
		"put "+samples+"/acme-3pl/inventory-846.edi in/inventory-846-again.edi")
	e.kill()
	e.start()
	// The same order again over AS2 (a partner's retry): not counted twice.
	e.postAS2(samples+"/shopmart/order-940.edi", "<order-9001@shopmart.example>")
	// Done in the inbox, whether before the kill (its log line may be
	// lost with it) or after the restart.
	e.waitFor("the 856 processed after the restart", 30*time.Second, func() bool {
		var page struct {
			Messages []struct {
				Name string `json:"name"`
			} `json:"messages"`
		}
		json.Unmarshal([]byte(e.get("/api/v1/messages?state=done&limit=500")), &page)
		for _, m := range page.Messages {
			if m.Name == "ship-notice-856.edi" {
				return true
			}
		}
		return false
	})
	e.stop()

	stock := e.stock()
	expect := map[string]map[string]int64{
		"WIDGET-RED@dallas":   {"on_hand": 240, "allocated": 5, "damaged": 3, "in_transit": 60, "available": 232},
		"WIDGET-BLUE@dallas":  {"on_hand": 48, "allocated": 4, "available": 44}, // the 940 and the portal, 2 each
		"WIDGET-RED@reno":     {"on_hand": 120, "available": 120},
		"GADGET-S@reno":       {"on_hand": 48, "damaged": 1, "available": 47},
		"GADGET-L@dallas":     {"in_transit": 30},
		"WIDGET-RED@london":   {"on_hand": 120, "available": 120},
		"GADGET-XL@dallas":    {"on_hand": 48, "available": 48}, // the replayed 846
		"GADGET-S@manchester": {"on_hand": 35, "available": 35},
	}
	for pos, fields := range expect {
		for f, v := range fields {
			if stock[pos][f] != v {
				t.Errorf("%s %s = %d, want %d (all: %v)", pos, f, stock[pos][f], v, stock[pos])
			}
		}
	}
	out, _ := exec.Command(e.bin, "messages", "list", "--json", "--data", e.data).Output()
	var msgs []inbox.Message
	json.Unmarshal(out, &msgs)
	states := map[string]int{}
	for _, m := range msgs {
		states[string(m.State)]++
		if m.State == inbox.Received || m.State == inbox.Processing || m.State == inbox.Failed {
			t.Errorf("message %d (%s) left %s: %v", m.ID, m.Name, m.State, m.Errors)
		}
	}
	t.Logf("messages by state: %v", states)
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
