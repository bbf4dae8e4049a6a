package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/authkeys"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/transports/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The partners of an order's life (issue 17): the channel Shop sends
// its 850s to a watched folder and takes its 846 advice (and our 997s)
// from a drop folder; the 3PL WH holds our Dallas stock (its code DAL1),
// uploads its 846, 997, 945, 944 and 947 to our SFTP server, and takes
// our 940s (and 997s) on its own SFTP server, where we push them; the
// supplier Maker announces its shipments to Dallas with an 856 in its
// watched folder.
const (
	shopProfile = `id: shop
name: Shop
role: channel
identities:
  isa: [{qualifier: ZZ, id: SHOP}]
  gs: [SHOP]
transports:
  inbound:
    - folder:
        path: %s
  outbound:
    - folder:
        path: %s
acks:
  send: "997"
tables:
  shop_items:
    map: {SW-1: WIDGET, SG-2: GADGET}
  shop_skus:
    map: {WIDGET: SW-1, GADGET: SG-2}
    on_miss: skip
documents:
  - type: x12/850
    mapping:
      location: {source: fixed, id: dallas}
      items: {order: [VN], lookup: shop_items}
advice:
  schedule: "0 0 1 1 *"
  mode: delta
  debounce: 2s
  items: {qualifier: VN, lookup: shop_skus}
  policy: {share_percent: 50, safety_stock: 2, locations: [dallas]}
`
	whProfile = `id: wh
name: Warehouse
role: 3pl
identities:
  isa: [{qualifier: ZZ, id: WH3PL}]
  gs: [WH3PL]
  sftp:
    user: wh
    authorized_keys:
      - from="127.0.0.1" %s
transports:
  inbound:
    - sftp: {folder: in}
  outbound:
    - sftp_push:
        host: 127.0.0.1
        port: %d
        user: dockside
        key_file: %s
        host_key: "%s"
        folder: in
acks:
  send: "997"
  expect_within: 1h
tables:
  wh_items:
    map: {W-100: WIDGET, G-200: GADGET}
  wh_skus:
    map: {WIDGET: W-100, GADGET: G-200}
  wh_sites:
    map: {DAL1: dallas}
fulfils:
  locations: {dallas: DAL1}
  items: {qualifier: VN, lookup: wh_skus}
  ship_within: 2d
documents:
  - type: x12/846
    content: snapshot
    mapping:
      buckets: {"17": on_hand}
      location: {source: lin_n1, qualifier: WH, id_qualifier: "92"}
      effective: {source: bia}
      items: {order: [VN], lookup: wh_items}
      warehouses: wh_sites
  - type: x12/945
    mapping:
      items: {order: [VN], lookup: wh_items}
  - type: x12/944
    mapping:
      items: {order: [VN], lookup: wh_items}
      warehouses: wh_sites
      receive_against: in_transit
      conditions: {"01": damaged}
  - type: x12/947
    mapping:
      items: {order: [VN], lookup: wh_items}
      warehouses: wh_sites
      reasons:
        AU: {bucket: damaged, direction: increase}
`
	makerX12Profile = `id: maker
name: Maker
role: supplier
identities:
  isa: [{qualifier: ZZ, id: MAKER}]
transports:
  inbound:
    - folder:
        path: %s
acks:
  send: none
tables:
  maker_items:
    map: {MK-1: WIDGET}
  maker_sites:
    map: {DAL1: dallas}
documents:
  - type: x12/856
    mapping:
      mode: asn
      location: {source: header_n1, qualifier: ST}
      items: {order: [VN], lookup: maker_items}
      warehouses: maker_sites
`
)

// shopPolicy is the channel's policy in the profile above.
var shopPolicy = ledger.Policy{SharePercent: 50, SafetyStock: 2, Locations: []string{"dallas"}}

// orderEnv is dockside serve with the channel, the 3PL and the supplier.
type orderEnv struct {
	*channelEnv
	shopIn, makerIn string
	station         *inbox.Store // what the 3PL's own SFTP server received from us
	whKey           string       // the 3PL's private key, for OpenSSH sftp
	sent            []sentFile   // every file the partners sent, for the resend
	ctl             int          // the partners' next control number
	today, before   string       // CCYYMMDD: the documents' date, and the 846's
}

// sentFile is a file a partner sent: how to send it again.
type sentFile struct {
	partner, fg, set string
	segs             []string
}

func setupOrders(t *testing.T) *orderEnv {
	need(t, "sftp", "ssh-keygen")
	e := &env{t: t, dir: t.TempDir(), repo: root(t)}
	e.bin = filepath.Join(e.dir, "dockside")
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/dockside")
	build.Dir = e.repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building dockside: %v\n%s", err, out)
	}
	o := &orderEnv{channelEnv: &channelEnv{env: e, out: filepath.Join(e.dir, "shop-out")},
		shopIn: filepath.Join(e.dir, "shop-in"), makerIn: filepath.Join(e.dir, "maker-in"), ctl: 100}
	now := time.Now().UTC()
	o.today, o.before = now.Format("20060102"), now.AddDate(0, 0, -1).Format("20060102")
	e.data, e.partners = filepath.Join(e.dir, "data"), filepath.Join(e.dir, "partners")
	for _, d := range []string{o.out, o.shopIn, o.makerIn, e.partners} {
		os.MkdirAll(d, 0o755)
	}
	keygen := func(name string) (priv string, pub []byte) {
		priv = filepath.Join(e.dir, name)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", priv).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, _ = os.ReadFile(priv + ".pub")
		return priv, pub
	}
	var whPub, ourPub []byte
	o.whKey, whPub = keygen("wh_key")
	ourKey, ourPub := keygen("dockside_key")

	// The 3PL's SFTP server, on loopback: our login is "dockside", our
	// pushes to in/ land in its inbox.
	ourKeyParsed, _, _, _, err := ssh.ParseAuthorizedKey(ourPub)
	if err != nil {
		t.Fatal(err)
	}
	stationDir := filepath.Join(e.dir, "wh-station")
	st, err := inbox.Open(filepath.Join(stationDir, "inbox"), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.station = st
	srv, err := sftp.New(sftp.Config{Root: filepath.Join(stationDir, "root"), HostKeyDir: filepath.Join(stationDir, "keys"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		sftp.AccountsFunc(func(user string) (sftp.Account, bool) {
			return sftp.Account{Partner: "dockside", Keys: []authkeys.Key{authkeys.Unrestricted(ourKeyParsed)}}, user == "dockside"
		}), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(served) }()
	t.Cleanup(func() { cancel(); <-served; st.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	pin := knownhosts.Line([]string{knownhosts.Normalize(ln.Addr().String())}, srv.HostKeys()[0])

	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(e.partners, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shop.yaml", fmt.Sprintf(shopProfile, o.shopIn, o.out))
	write("wh.yaml", fmt.Sprintf(whProfile, strings.TrimSpace(string(whPub)), port, ourKey, pin))
	write("maker.yaml", fmt.Sprintf(makerX12Profile, o.makerIn))
	e.httpPort, e.sftpPort = freePort(t), freePort(t)
	e.config = filepath.Join(e.dir, "dockside.yaml")
	cfg := fmt.Sprintf("data: %s\npartners: %s\nworkers: 2\nhttp:\n  listen: 127.0.0.1:%d\nsftp:\n  listen: 127.0.0.1:%d\n"+
		"folders:\n  rescan: 1s\noutbox:\n  retry_delay: 500ms\n  max_retry_delay: 1s\n", e.data, e.partners, e.httpPort, e.sftpPort)
	os.WriteFile(e.config, []byte(cfg), 0o644)
	if out, err := exec.Command(e.bin, "partners", "check", "--partners", e.partners).CombinedOutput(); err != nil {
		t.Fatalf("dockside partners check: %v\n%s", err, out)
	}
	return o
}

// interchange writes one X12 interchange from a partner (its ISA id)
// with control number ctl holding one set.
func interchange(sender, fg, set string, ctl int, segs []string) string {
	now := time.Now().UTC()
	var b strings.Builder
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*%-15s*ZZ*DOCKSIDE       *%s*%s*U*00401*%09d*0*P*>~\n",
		sender, now.Format("060102"), now.Format("1504"), ctl)
	fmt.Fprintf(&b, "GS*%s*%s*DOCKSIDE*%s*%s*%d*X*004010~\nST*%s*%04d~\n", fg, sender, now.Format("20060102"), now.Format("1504"), ctl, set, ctl%10000)
	for _, s := range segs {
		b.WriteString(s + "~\n")
	}
	fmt.Fprintf(&b, "SE*%d*%04d~\nGE*1*%d~\nIEA*1*%09d~\n", len(segs)+2, ctl%10000, ctl, ctl)
	return b.String()
}

// send sends a partner's set under the next control number: the 3PL over
// OpenSSH sftp to in/, the channel and the supplier to their watched
// folders. It waits until serve has processed it and returns the message.
func (o *orderEnv) send(partner, fg, set string, segs ...string) inbox.Message {
	o.t.Helper()
	o.sent = append(o.sent, sentFile{partner, fg, set, segs})
	o.ctl++
	name := fmt.Sprintf("%s-%d.edi", set, o.ctl)
	sender := map[string]string{"shop": "SHOP", "wh": "WH3PL", "maker": "MAKER"}[partner]
	body := interchange(sender, fg, set, o.ctl, segs)
	tmp := filepath.Join(o.dir, name)
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		o.t.Fatal(err)
	}
	switch partner {
	case "wh":
		o.sftpAs("wh", o.whKey, "put "+tmp+" in/"+name)
	case "shop":
		os.Rename(tmp, filepath.Join(o.shopIn, name))
	case "maker":
		os.Rename(tmp, filepath.Join(o.makerIn, name))
	}
	return o.processed(partner, name)
}

// processed waits until the partner's message named name is processed.
func (o *orderEnv) processed(partner, name string) inbox.Message {
	o.t.Helper()
	var got inbox.Message
	o.waitFor(name+" processed", 30*time.Second, func() bool {
		var page struct{ Messages []inbox.Message }
		o.api("GET", "/api/v1/messages?limit=200&partner="+partner, "", nil, 200, &page)
		for _, m := range page.Messages {
			if m.Name == name && m.State != inbox.Received && m.State != inbox.Processing {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// sftpAs runs OpenSSH's sftp in batch mode as a partner on our server.
func (o *orderEnv) sftpAs(user, key string, commands ...string) string {
	t := o.t
	hosts := filepath.Join(o.dir, "known_hosts")
	pub, err := exec.Command("ssh-keygen", "-y", "-f", filepath.Join(o.data, "keys", "ssh_host_ed25519_key")).Output()
	if err != nil {
		t.Fatalf("reading the server's host key: %v", err)
	}
	os.WriteFile(hosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", o.sftpPort, pub)), 0o644)
	batch := filepath.Join(o.dir, "batch")
	os.WriteFile(batch, []byte(strings.Join(commands, "\n")+"\n"), 0o644)
	out, err := exec.Command("sftp", "-b", batch, "-i", key, "-P", fmt.Sprint(o.sftpPort),
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+hosts, "-o", "BatchMode=yes", user+"@127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	return string(out)
}

// pushed returns the bodies of the files we pushed to the 3PL's server
// whose set is set ("940", "997"), oldest first.
func (o *orderEnv) pushed(set string) []string {
	msgs, err := o.station.List(inbox.Filter{Limit: 1000})
	if err != nil {
		o.t.Fatal(err)
	}
	var out []string
	for i := len(msgs) - 1; i >= 0; i-- {
		rc, err := o.station.Body(msgs[i].ID)
		if err != nil {
			o.t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.Contains(string(b), "ST*"+set+"*") {
			out = append(out, string(b))
		}
	}
	return out
}

// figures are the ledger balances of one SKU at Dallas.
type figures struct{ OnHand, Allocated, InTransit, Damaged, Available int64 }

// balances reads WIDGET and GADGET at Dallas from the API.
func (o *orderEnv) balances() map[string]figures {
	var page struct {
		Balances []struct {
			SKU, Location string
			OnHand        int64 `json:"on_hand"`
			Allocated     int64 `json:"allocated"`
			InTransit     int64 `json:"in_transit"`
			Damaged       int64 `json:"damaged"`
			Quarantined   int64 `json:"quarantined"`
			Available     int64 `json:"available"`
		}
	}
	o.api("GET", "/api/v1/stock?limit=100", "", nil, 200, &page)
	out := map[string]figures{}
	for _, b := range page.Balances {
		if b.Location == "dallas" {
			out[b.SKU] = figures{b.OnHand, b.Allocated, b.InTransit, b.Damaged, b.Available}
		}
	}
	return out
}

// expect checks the ledger's exact figures after a step, and that the
// channel's delivered advice (the 846s in its drop folder) and what the
// broadcasts say it believes are the channel's policy applied to them.
func (o *orderEnv) expect(step string, want map[string]figures) {
	o.t.Helper()
	if got := o.balances(); fmt.Sprint(got) != fmt.Sprint(want) {
		o.t.Fatalf("%s: ledger at Dallas %+v, want %+v", step, got, want)
	}
	told := map[string]string{}
	believes := map[string]int64{}
	for sku, f := range want {
		q := ledger.ChannelQuantity([]ledger.Balance{{SKU: sku, Location: "dallas",
			Quantities: ledger.Quantities{OnHand: f.OnHand, Allocated: f.Allocated, InTransit: f.InTransit, Damaged: f.Damaged}}}, shopPolicy, time.Now())
		told[map[string]string{"WIDGET": "SW-1", "GADGET": "SG-2"}[sku]] = fmt.Sprint(q)
		believes[sku] = q
	}
	o.waitHeld(step+": the channel's advice "+fmt.Sprint(told), told)
	o.waitFor(step+": the channel's belief "+fmt.Sprint(believes), 10*time.Second, func() bool {
		return fmt.Sprint(o.believesOf("shop")) == fmt.Sprint(believes)
	})
}

func (o *orderEnv) believesOf(partner string) map[string]int64 {
	var b struct{ Believes map[string]int64 }
	o.api("GET", "/api/v1/partners/"+partner+"/believes", "", nil, 200, &b)
	return b.Believes
}

// order reads the order's record from the API.
func (o *orderEnv) order(partner, number string) orderView {
	var v orderView
	o.api("GET", "/api/v1/orders/"+partner+"/"+number, "", nil, 200, &v)
	return v
}

type orderView struct {
	State      string
	Overdue    []string
	Dispatches []struct {
		Warehouse, Location, Code, Order string
		Lines                            []struct {
			SKU, Item         string
			Quantity, Shipped int64
			Status            string
			Closed            bool
		}
		Sends []struct {
			Purpose, Interchange, Group string
			AckState                    string `json:"ack_state"`
		}
		Shipments []struct{ ID string }
	}
}

// shipped is "SKU shipped/quantity status closed" per line of the first
// dispatch.
func (v orderView) shipped() string {
	var parts []string
	if len(v.Dispatches) == 0 {
		return ""
	}
	for _, l := range v.Dispatches[0].Lines {
		parts = append(parts, fmt.Sprintf("%s %d/%d %s %v", l.SKU, l.Shipped, l.Quantity, l.Status, l.Closed))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// element returns element i of the first segment with id in an X12 body.
func element(body, id string, i int) string {
	for _, seg := range strings.Split(body, "~") {
		f := strings.Split(strings.TrimSpace(seg), "*")
		if f[0] == id && len(f) > i {
			return f[i]
		}
	}
	return ""
}

// TestOrderLifeThroughServe follows an order through dockside serve
// (issue 17): the 3PL's count, a supplier's 856 to Dallas, then the
// channel's 850 → allocation → a 940 pushed to the 3PL's SFTP server →
// its 997 (the order acknowledged) → a partial 945 (backorder: the rest
// stays allocated) → a second 945 (complete: closed) → a 944 receipt
// against the 856 (in transit down, on hand up, an exception damaged) →
// a 947 damage (on hand to damaged). After each step the ledger holds the
// exact figures and the channel's delivered advice, and its belief, are
// its policy applied to them. Then every file is sent again under new
// ISA/GS/ST control numbers: nothing changes.
func TestOrderLifeThroughServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dockside serve")
	}
	o := setupOrders(t)
	o.start()

	// The 3PL's count (yesterday) and the supplier's 856: 30 WIDGET due.
	m := o.send("wh", "IB", "846", "BIA*00*DD*CNT-1*"+o.before+"*2300", "LIN*1*VN*W-100", "N1*WH*WH DALLAS*92*DAL1", "QTY*17*100*EA",
		"LIN*2*VN*G-200", "N1*WH*WH DALLAS*92*DAL1", "QTY*17*40*EA", "CTT*2")
	if m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("846: %s %+v %v", m.State, m.Result, m.Errors)
	}
	m = o.send("maker", "SH", "856", "BSN*00*ASN-77*"+o.today+"*0800*0001", "DTM*011*"+o.today, "DTM*017*"+o.today, "HL*1**S",
		"N1*ST*WH DALLAS*92*DAL1", "HL*2*1*O", "PRF*PO-77", "HL*3*2*I", "LIN*1*VN*MK-1", "SN1**30*EA", "CTT*3")
	if m.State != inbox.Done || m.Result.Movements != 1 {
		t.Fatalf("856: %s %+v %v", m.State, m.Result, m.Errors)
	}
	o.expect("the count and the 856", map[string]figures{
		"WIDGET": {OnHand: 100, InTransit: 30, Available: 100},
		"GADGET": {OnHand: 40, Available: 40},
	})

	// The channel's 850: 10 WIDGET and 4 GADGET allocated at Dallas.
	m = o.send("shop", "PO", "850", "BEG*00*SA*PO-5001**"+o.today, "N1*ST*STORE 17*92*0017", "N3*1 MARKET SQ", "N4*AKRON*OH*44308*US",
		"PO1*1*10*EA*4.25**VN*SW-1", "PO1*2*4*EA*9.50**VN*SG-2", "CTT*2*14")
	if m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("850: %s %+v %v", m.State, m.Result, m.Errors)
	}
	o.expect("the 850", map[string]figures{
		"WIDGET": {OnHand: 100, Allocated: 10, InTransit: 30, Available: 90},
		"GADGET": {OnHand: 40, Allocated: 4, Available: 36},
	})
	var sent940 string
	o.waitFor("the 940 on the 3PL's server", 30*time.Second, func() bool {
		b := o.pushed("940")
		if len(b) > 0 {
			sent940 = b[0]
		}
		return len(b) == 1
	})
	for _, s := range []string{"GS*OW*DOCKSIDE*WH3PL*", "W05*N*PO-5001*PO-5001", "N1*ST*STORE 17*92*0017", "N3*1 MARKET SQ", "N4*AKRON*OH*44308*US",
		"N1*WH**92*DAL1", "W01*10*EA**VN*W-100", "W01*4*EA**VN*G-200", "W76*14"} {
		if !strings.Contains(sent940, s) {
			t.Errorf("the 940 lacks %s:\n%s", s, sent940)
		}
	}
	number := element(sent940, "W05", 2)
	// The 945 names the 940's lines (N9*LI after each W01).
	line := map[string]string{}
	item := ""
	for _, seg := range strings.Split(sent940, "~") {
		f := strings.Split(strings.TrimSpace(seg), "*")
		switch {
		case f[0] == "W01" && len(f) > 5:
			item = f[5]
		case f[0] == "N9" && len(f) > 2 && f[1] == "LI":
			line[item] = f[2]
		}
	}
	if len(line) != 2 || line["W-100"] == line["G-200"] {
		t.Fatalf("the 940's lines: %v", line)
	}
	if v := o.order("shop", "PO-5001"); v.State != "sent" || len(v.Dispatches) != 1 || v.Dispatches[0].Code != "DAL1" ||
		len(v.Dispatches[0].Sends) != 1 || v.Dispatches[0].Sends[0].Interchange != element(sent940, "ISA", 13) {
		t.Fatalf("the order after the 940: %+v", v)
	}

	// The 3PL's 997 for the 940.
	gs06, st02 := element(sent940, "GS", 6), element(sent940, "ST", 2)
	m = o.send("wh", "FA", "997", "AK1*OW*"+gs06, "AK2*940*"+st02, "AK5*A", "AK9*A*1*1*1")
	if m.State != inbox.Done {
		t.Fatalf("997: %s %+v %v", m.State, m.Result, m.Errors)
	}
	o.waitFor("the order acknowledged", 10*time.Second, func() bool {
		v := o.order("shop", "PO-5001")
		return v.State == "acknowledged" && v.Dispatches[0].Sends[0].AckState == "accepted"
	})
	o.expect("the 997", map[string]figures{
		"WIDGET": {OnHand: 100, Allocated: 10, InTransit: 30, Available: 90},
		"GADGET": {OnHand: 40, Allocated: 4, Available: 36},
	})

	// A partial 945, backorder to follow: 6 of the 10 WIDGET.
	m = o.send("wh", "SW", "945", "W06*F*"+number+"*"+o.today+"*SHP-1", "N1*SF*WH DALLAS*92*DAL1", "LX*1",
		"W12*BP*10*6*4*EA**VN*W-100", "N9*LI*"+line["W-100"], "W03*6")
	if m.State != inbox.Done || m.Result.Movements != 1 {
		t.Fatalf("partial 945: %s %+v %v", m.State, m.Result, m.Errors)
	}
	o.expect("the partial 945", map[string]figures{
		"WIDGET": {OnHand: 94, Allocated: 4, InTransit: 30, Available: 90},
		"GADGET": {OnHand: 40, Allocated: 4, Available: 36},
	})
	if v := o.order("shop", "PO-5001"); v.State != "shipping" || v.shipped() != "GADGET 0/4  false; WIDGET 6/10 BP false" {
		t.Errorf("the order after the partial 945: %s %s", v.State, v.shipped())
	}

	// The second 945: the other 4 WIDGET (complete), 2 of the 4 GADGET
	// (partial, no backorder: the other 2 released).
	m = o.send("wh", "SW", "945", "W06*F*"+number+"*"+o.today+"*SHP-2", "N1*SF*WH DALLAS*92*DAL1", "LX*1",
		"W12*CC*10*4*0*EA**VN*W-100", "N9*LI*"+line["W-100"], "W12*CP*4*2*2*EA**VN*G-200", "N9*LI*"+line["G-200"], "W03*6")
	if m.State != inbox.Done {
		t.Fatalf("complete 945: %s %+v %v", m.State, m.Result, m.Errors)
	}
	o.expect("the complete 945", map[string]figures{
		"WIDGET": {OnHand: 90, InTransit: 30, Available: 90},
		"GADGET": {OnHand: 38, Available: 38},
	})
	if v := o.order("shop", "PO-5001"); v.State != "closed" || v.shipped() != "GADGET 2/4 CP true; WIDGET 10/10 CC true" ||
		len(v.Dispatches[0].Shipments) != 2 || len(v.Overdue) != 0 {
		t.Errorf("the order after the complete 945: %s %s %+v", v.State, v.shipped(), v)
	}

	// The 944: 25 of the 30 WIDGET the 856 announced received, 2 of them
	// damaged; the other 5 stay in transit.
	m = o.send("wh", "RE", "944", "W17*F*"+o.today+"*RCV-1*PO-77*ASN-77", "N1*WH*WH DALLAS*92*DAL1",
		"W07*25*EA**VN*W-100", "W13*2*EA*01", "W14*25")
	if m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("944: %s %+v %v", m.State, m.Result, m.Errors)
	}
	o.expect("the 944", map[string]figures{
		"WIDGET": {OnHand: 115, InTransit: 5, Damaged: 2, Available: 113},
		"GADGET": {OnHand: 38, Available: 38},
	})

	// The 947: 3 WIDGET damaged in the facility.
	m = o.send("wh", "AW", "947", "W15*"+o.today+"*ADJ-1*DA-1", "N1*WH*WH DALLAS*92*DAL1", "W19*AU*3*EA**VN*W-100")
	if m.State != inbox.Done || m.Result.Movements != 1 {
		t.Fatalf("947: %s %+v %v", m.State, m.Result, m.Errors)
	}
	final := map[string]figures{
		"WIDGET": {OnHand: 115, InTransit: 5, Damaged: 5, Available: 110},
		"GADGET": {OnHand: 38, Available: 38},
	}
	o.expect("the 947", final)
	orderBefore, _ := json.Marshal(o.order("shop", "PO-5001"))
	advice, _ := filepath.Glob(filepath.Join(o.out, "846-*.x12"))

	// Every file again, under new control numbers: nothing changes.
	for _, f := range slices.Clone(o.sent) {
		m := o.send(f.partner, f.fg, f.set, f.segs...)
		if f.set == "846" {
			// A count as of the same time again: the ledger posts count −
			// balance as of then, zero (the figures are checked below).
			if m.State != inbox.Done {
				t.Errorf("846 re-sent: %s %v", m.State, m.Errors)
			}
			continue
		}
		if m.State == inbox.Failed || m.Result == nil || m.Result.Movements != 0 {
			t.Errorf("%s re-sent under new control numbers: %s %+v %v", f.set, m.State, m.Result, m.Errors)
		}
	}
	o.expect("every file re-sent", final)
	if after, _ := json.Marshal(o.order("shop", "PO-5001")); string(after) != string(orderBefore) {
		t.Errorf("the order changed when its files were re-sent:\n%s\n%s", orderBefore, after)
	}
	if n := len(o.pushed("940")); n != 1 {
		t.Errorf("%d 940s on the 3PL's server, want 1", n)
	}
	// Every file of the 3PL but its 997 was acknowledged on its server,
	// each accepted, the re-sent ones too.
	o.waitFor("the 3PL's 997s", 20*time.Second, func() bool { return len(o.pushed("997")) == 10 })
	for _, b := range o.pushed("997") {
		if !strings.Contains(b, "AK9*A*1*1*1~") {
			t.Errorf("a 997 to the 3PL does not accept its set:\n%s", b)
		}
	}
	time.Sleep(4 * time.Second) // twice the advice's debounce: a delta would be out
	if now, _ := filepath.Glob(filepath.Join(o.out, "846-*.x12")); len(now) != len(advice) {
		t.Errorf("re-sent files sent the channel %d more 846s", len(now)-len(advice))
	}
	o.stop()
}

// replay replays a message through the API and waits until it is
// processed again.
func (o *orderEnv) replay(id uint64) inbox.Message {
	o.t.Helper()
	tok, _ := os.ReadFile(filepath.Join(o.data, "operator-token"))
	req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/api/v1/messages/%d/replay", o.httpPort, id), nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 202 {
		o.t.Fatalf("replay %d: %d %s", id, resp.StatusCode, b)
	}
	var d struct{ Message inbox.Message }
	o.waitFor(fmt.Sprintf("message %d replayed", id), 30*time.Second, func() bool {
		o.api("GET", fmt.Sprintf("/api/v1/messages/%d", id), "", nil, 200, &d)
		return d.Message.Attempts > 1 && d.Message.State != inbox.Received && d.Message.State != inbox.Processing
	})
	return d.Message
}

// failedAt checks that a message failed with nothing posted, its error
// naming place and saying what.
func failedAt(t *testing.T, what string, m inbox.Message, place, says string) {
	t.Helper()
	var errs []string
	for _, p := range m.Errors {
		errs = append(errs, p.Place+": "+p.Msg)
	}
	text := strings.Join(errs, "\n")
	if m.State != inbox.Failed || m.Result == nil || m.Result.Movements != 0 || !strings.Contains(text, place) || !strings.Contains(text, says) {
		t.Fatalf("%s: %s %+v, errors:\n%s\nwant a failure at %q saying %q", what, m.State, m.Result, text, place, says)
	}
}

// TestWarehouseErrorsThroughServe sends the 3PL's bad input through
// dockside serve (issue 17): a 945 for an order never sent to it, a 945
// shipping more than was allocated on one of its lines, a 947 with a
// reason its profile lacks, a 944 against a transfer nobody announced.
// Each fails with its place, posts nothing (not even its good lines), is
// rejected in the 997 the 3PL gets, and the channel's advice stays the
// policy applied to the ledger; the 945, the 947 and the 944 post once
// replayed after the order arrived, the profile was fixed or the 856
// came.
func TestWarehouseErrorsThroughServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dockside serve")
	}
	o := setupOrders(t)
	o.start()
	m := o.send("wh", "IB", "846", "BIA*00*DD*CNT-1*"+o.before+"*2300", "LIN*1*VN*W-100", "N1*WH*WH DALLAS*92*DAL1", "QTY*17*100*EA",
		"LIN*2*VN*G-200", "N1*WH*WH DALLAS*92*DAL1", "QTY*17*40*EA", "CTT*2")
	if m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("846: %s %+v %v", m.State, m.Result, m.Errors)
	}
	start := map[string]figures{"WIDGET": {OnHand: 100, Available: 100}, "GADGET": {OnHand: 40, Available: 40}}
	o.expect("the count", start)
	rejected := func(what string) {
		t.Helper()
		o.waitFor(what+": a 997 rejecting it", 20*time.Second, func() bool {
			acks := o.pushed("997")
			return len(acks) > 0 && strings.Contains(acks[len(acks)-1], "AK5*R") && strings.Contains(acks[len(acks)-1], "AK9*R*1*1*0~")
		})
	}

	// A 945 for an order we never sent: it fails at W06-02.
	ship := o.send("wh", "SW", "945", "W06*F*PO-6001*"+o.today+"*SHP-9", "N1*SF*WH DALLAS*92*DAL1", "LX*1",
		"W12*CC*5*5*0*EA**VN*W-100", "W12*CC*3*3*0*EA**VN*G-200", "W03*8")
	failedAt(t, "945 for an unknown order", ship, "segment 2 (W06), element 2", "no order PO-6001 was sent to wh")
	rejected("945 for an unknown order")
	o.expect("the 945 for an unknown order", start)

	// The order arrives; the 945 replayed ships it and closes it.
	if m := o.send("shop", "PO", "850", "BEG*00*SA*PO-6001**"+o.today, "N1*ST*STORE 17*92*0017",
		"PO1*1*5*EA*4.25**VN*SW-1", "PO1*2*3*EA*9.50**VN*SG-2", "CTT*2*8"); m.State != inbox.Done {
		t.Fatalf("850: %s %v", m.State, m.Errors)
	}
	o.expect("the 850", map[string]figures{"WIDGET": {OnHand: 100, Allocated: 5, Available: 95}, "GADGET": {OnHand: 40, Allocated: 3, Available: 37}})
	o.waitFor("the 940 on the 3PL's server", 30*time.Second, func() bool { return len(o.pushed("940")) == 1 })
	if m := o.replay(ship.ID); m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("the 945 replayed: %s %+v %v", m.State, m.Result, m.Errors)
	}
	shipped := map[string]figures{"WIDGET": {OnHand: 95, Available: 95}, "GADGET": {OnHand: 37, Available: 37}}
	o.expect("the 945 replayed", shipped)
	if v := o.order("shop", "PO-6001"); v.State != "closed" {
		t.Errorf("the order after the replayed 945: %s %s", v.State, v.shipped())
	}

	// A second 945 whose second line ships what was not allocated: it
	// fails at that W12's W12-03, and its first line is not posted.
	if m := o.send("shop", "PO", "850", "BEG*00*SA*PO-6002**"+o.today, "N1*ST*STORE 17*92*0017",
		"PO1*1*2*EA*4.25**VN*SW-1", "PO1*2*2*EA*9.50**VN*SG-2", "CTT*2*4"); m.State != inbox.Done {
		t.Fatalf("850: %s %v", m.State, m.Errors)
	}
	open := map[string]figures{"WIDGET": {OnHand: 95, Allocated: 2, Available: 93}, "GADGET": {OnHand: 37, Allocated: 2, Available: 35}}
	o.expect("the second 850", open)
	over := o.send("wh", "SW", "945", "W06*F*PO-6002*"+o.today+"*SHP-10", "N1*SF*WH DALLAS*92*DAL1", "LX*1",
		"W12*CC*2*2*0*EA**VN*W-100", "W12*CC*2*7*0*EA**VN*G-200", "W03*9")
	failedAt(t, "945 shipping more than allocated", over, "segment 6 (W12), element 3", "allocates 2, shipped 0 before, 7 now")
	rejected("945 shipping more than allocated")
	o.expect("the over-shipping 945", open)
	if v := o.order("shop", "PO-6002"); v.State != "sent" && v.State != "acknowledged" {
		t.Errorf("the order after the refused 945: %s %s", v.State, v.shipped())
	}

	// A 947 with a reason the profile lacks: nothing of it is posted;
	// replayed once the reason table has it, it posts both lines.
	adj := o.send("wh", "AW", "947", "W15*"+o.today+"*ADJ-9*DA-9", "N1*WH*WH DALLAS*92*DAL1", "W19*AU*1*EA**VN*W-100", "W19*07*2*EA**VN*W-100")
	failedAt(t, "947 with an unknown reason", adj, "segment 5 (W19)", `W1901 "07": adjustment reason not in the profile's reason table`)
	rejected("947 with an unknown reason")
	o.expect("the refused 947", open)
	p := filepath.Join(o.partners, "wh.yaml")
	b, _ := os.ReadFile(p)
	fixed := strings.Replace(string(b), "        AU: {bucket: damaged, direction: increase}\n",
		"        AU: {bucket: damaged, direction: increase}\n        \"07\": {bucket: on_hand, direction: decrease}\n", 1)
	if fixed == string(b) {
		t.Fatal("cannot add a reason to wh.yaml")
	}
	os.WriteFile(p, []byte(fixed), 0o644)
	if m := o.replay(adj.ID); m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("the 947 replayed: %s %+v %v", m.State, m.Result, m.Errors)
	}
	fixedAdj := map[string]figures{"WIDGET": {OnHand: 93, Allocated: 2, Damaged: 1, Available: 90}, "GADGET": {OnHand: 37, Allocated: 2, Available: 35}}
	o.expect("the 947 replayed", fixedAdj)

	// A 944 against a transfer nobody announced: it fails at its W07;
	// replayed once the supplier's 856 is in, it takes it off in transit.
	rcv := o.send("wh", "RE", "944", "W17*F*"+o.today+"*RCV-8*PO-88*ASN-88", "N1*WH*WH DALLAS*92*DAL1", "W07*12*EA**VN*W-100", "W14*12")
	failedAt(t, "944 for an unknown transfer", rcv, "segment 4 (W07)", "nothing is in transit for WIDGET at dallas")
	rejected("944 for an unknown transfer")
	o.expect("the refused 944", fixedAdj)
	if m := o.send("maker", "SH", "856", "BSN*00*ASN-88*"+o.today+"*0800*0001", "DTM*011*"+o.today, "DTM*017*"+o.today, "HL*1**S",
		"N1*ST*WH DALLAS*92*DAL1", "HL*2*1*O", "PRF*PO-88", "HL*3*2*I", "LIN*1*VN*MK-1", "SN1**12*EA", "CTT*3"); m.State != inbox.Done {
		t.Fatalf("856: %s %v", m.State, m.Errors)
	}
	o.expect("the 856", map[string]figures{"WIDGET": {OnHand: 93, Allocated: 2, InTransit: 12, Damaged: 1, Available: 90}, "GADGET": {OnHand: 37, Allocated: 2, Available: 35}})
	if m := o.replay(rcv.ID); m.State != inbox.Done || m.Result.Movements != 1 {
		t.Fatalf("the 944 replayed: %s %+v %v", m.State, m.Result, m.Errors)
	}
	o.expect("the 944 replayed", map[string]figures{"WIDGET": {OnHand: 105, Allocated: 2, Damaged: 1, Available: 102}, "GADGET": {OnHand: 37, Allocated: 2, Available: 35}})
	o.stop()
}
