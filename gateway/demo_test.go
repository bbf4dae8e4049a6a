package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/examples"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/partners"
	"go.yaml.in/yaml/v3"
)

// urlPattern finds URLs in a file's text, comments included: a demo must
// not even suggest a host outside the machine.
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>,\}]+`)

// hostKeys are the YAML keys whose value names a host to reach.
var hostKeys = map[string]bool{"host": true, "url": true, "listen": true, "public_url": true}

// isLoopback reports whether host (a name or an address, maybe with a
// port) is on this machine.
func isLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// foreignHosts lists the non-loopback hosts that a demo file's text
// names: in URLs anywhere (comments too) and in values of host-like keys.
func foreignHosts(name string, text []byte) []string {
	var out []string
	for _, m := range urlPattern.FindAll(text, -1) {
		if !strings.Contains(string(m), "[") {
			m = []byte(strings.TrimRight(string(m), "]"))
		}
		u, err := url.Parse(string(m))
		if err != nil || u.Host == "" || !isLoopback(u.Host) {
			out = append(out, fmt.Sprintf("%s: URL %s", name, m))
		}
	}
	if ext := filepath.Ext(name); ext != ".yaml" && ext != ".yml" {
		return out
	}
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		return append(out, fmt.Sprintf("%s: %v", name, err))
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if hostKeys[k.Value] && v.Kind == yaml.ScalarNode && v.Value != "" {
					h := v.Value
					if u, err := url.Parse(h); err == nil && u.Host != "" {
						h = u.Host
					}
					if !isLoopback(h) {
						out = append(out, fmt.Sprintf("%s:%d: %s: %s", name, v.Line, k.Value, v.Value))
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return out
}

func TestForeignHosts(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       int
	}{
		{"a.yaml", "url: https://as2.shopmart.example/receive\n", 2},
		{"a.yaml", "# e.g. url: http://10.0.0.1:8080/as2\n", 1},
		{"a.yaml", "sftp_push: {host: sftp.partner.example, port: 22}\n", 1},
		{"a.yaml", "url: http://127.0.0.1:8080/as2\nhost: localhost\n", 0},
		{"a.yaml", "url: http://[::1]:8080/as2\n", 0},
		{"a.csv", "sku,url\nA,https://shop.example/a\n", 1},
		{"a.yaml", "path: ../outbound/shopmart\n", 0},
	} {
		if got := foreignHosts(tc.name, []byte(tc.text)); len(got) != tc.want {
			t.Errorf("%q: got %q, want %d findings", tc.text, got, tc.want)
		}
	}
}

// TestDemoStaysOnTheMachine fails when the embedded demo configuration
// names a host outside the machine, in its text or in what its profiles
// deliver to: a fresh serve must never reach out.
func TestDemoStaysOnTheMachine(t *testing.T) {
	err := fs.WalkDir(examples.Partners, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := examples.Partners.ReadFile(p)
		if err != nil {
			return err
		}
		for _, f := range foreignHosts(p, b) {
			t.Errorf("the demo names a host outside the machine: %s", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := materializeDemo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := partners.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() == 0 {
		t.Fatal("no demo partners")
	}
	for _, p := range d.Profiles() {
		for i, tr := range p.Transports.Outbound {
			switch {
			case tr.AS2 != nil:
				u, err := url.Parse(tr.AS2.URL)
				if err != nil || !isLoopback(u.Host) {
					t.Errorf("%s: outbound[%d] as2 url %q is not on loopback", p.ID, i, tr.AS2.URL)
				}
			case tr.SFTPPush != nil:
				if !isLoopback(tr.SFTPPush.Host) {
					t.Errorf("%s: outbound[%d] sftp_push host %q is not on loopback", p.ID, i, tr.SFTPPush.Host)
				}
			case tr.Folder != nil:
				if rel, err := filepath.Rel(filepath.Dir(dir), tr.Folder.Path); err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s: outbound[%d] folder %q is outside the data folder", p.ID, i, tr.Folder.Path)
				}
			case tr.SFTP == nil:
				t.Errorf("%s: outbound[%d] is of an unknown kind", p.ID, i)
			}
		}
	}
}

// TestDemoUpgrade: a data folder written by an earlier version keeps the
// operator's edits, but an unedited shopmart.yaml that delivered to a
// remote host, or acme-3pl.yaml from before it fulfilled orders, is
// replaced by the current demo file.
func TestDemoUpgrade(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "demo-partners")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"shopmart.yaml", "acme-3pl.yaml"} {
		old, err := os.ReadFile("testdata/retired-" + file) // as an earlier commit had it
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name    string
			content []byte
			kept    bool
		}{
			{"unedited", old, false},
			{"edited", append(append([]byte(nil), old...), "# my note\n"...), true},
		} {
			target := filepath.Join(dir, file)
			if err := os.WriteFile(target, tc.content, 0o640); err != nil {
				t.Fatal(err)
			}
			if _, err := materializeDemo(data); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(target)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := examples.Partners.ReadFile("partners/" + file)
			if kept := bytes.Equal(got, tc.content); kept != tc.kept || (!kept && !bytes.Equal(got, want)) {
				t.Errorf("%s %s: kept = %v", file, tc.name, kept)
			}
		}
	}
}

// TestDemoRoutesOrders: with the demo's partners as they are, Shopmart's
// 850 allocates in Dallas and goes to ACME as a 940 in its out/ folder on
// our SFTP server (nothing leaves the machine); ACME's 945 ships it and
// closes the order; its 944 (against the 856 in transit) and 947 post.
func TestDemoRoutesOrders(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)}
	g, _ := openTest(t, clock)
	for _, f := range []string{"inventory-846.edi", "ship-notice-856.edi"} { // 5 CA of WIDGET-RED due in Dallas
		if m := ingest(t, g, "acme-3pl", samples+"/acme-3pl/"+f)[0]; m.State != inbox.Done {
			t.Fatalf("%s: %s %v", f, m.State, m.Errors)
		}
	}
	if m := ingest(t, g, "shopmart", samples+"/shopmart/po-850.edi")[0]; m.State != inbox.Done {
		t.Fatalf("850: %s %v", m.State, m.Errors)
	}
	ms, bodies := sent940s(t, g)
	if len(ms) != 1 || ms[0].Transport != "sftp" {
		t.Fatalf("940s to acme-3pl: %+v", ms)
	}
	checkSegments(t, g, "the demo's 940", bodies[0], "W05*N*PO-7001*PO-7001", "N1*ST*STORE 17*92*0017", "N1*WH**92*DAL1",
		"W01*4*EA**VN*AC-1001", "W01*3*EA**VN*AC-1002", "W76*7")
	line := map[string]string{}
	item := ""
	for _, seg := range strings.Split(bodies[0], "~") {
		switch f := strings.Split(strings.TrimSpace(seg), "*"); {
		case f[0] == "W01" && len(f) > 5:
			item = f[5]
		case f[0] == "N9" && len(f) > 2 && f[1] == "LI":
			line[item] = f[2]
		}
	}
	red0 := balance(t, g, "WIDGET-RED", "dallas")
	m := ingest(t, g, "acme-3pl", write945(t, 701, "PO-7001", "BOL-9", [2]string{"W12*CC*4*4*0*EA**VN*AC-1001", line["AC-1001"]},
		[2]string{"W12*CC*3*3*0*EA**VN*AC-1002", line["AC-1002"]}))[0]
	if m.State != inbox.Done || m.Result.Movements != 2 {
		t.Fatalf("945: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if r, err := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "PO-7001"); err != nil || r.Status() != orders.Closed {
		t.Errorf("the order after the 945: %v %v", r, err)
	}
	if red := balance(t, g, "WIDGET-RED", "dallas"); red.OnHand != red0.OnHand-4 || red.Allocated != red0.Allocated-4 {
		t.Errorf("WIDGET-RED at Dallas after the 945: %+v, before %+v", red, red0)
	}
	for _, f := range []string{
		acmeX12(t, 702, "RE", "944", "W17*F*20261126*R-1*PO-5001*SHP-7001", "N1*WH*ACME DALLAS*92*DAL1", "W07*2*CA**VN*AC-1001", "W14*24"),
		acmeX12(t, 703, "AW", "947", "W15*20261126*ADJ-1*D-1", "N1*WH*ACME DALLAS*92*DAL1", "W19*AU*1*EA**VN*AC-1001"),
	} {
		if m := ingest(t, g, "acme-3pl", f)[0]; m.State != inbox.Done || m.Result.Movements != 1 {
			t.Errorf("%s: %s %+v %v", m.Name, m.State, m.Result, m.Errors)
		}
	}
	if red := balance(t, g, "WIDGET-RED", "dallas"); red.OnHand != red0.OnHand-4+24 || red.Damaged != red0.Damaged+1 || red.InTransit != red0.InTransit-24 {
		t.Errorf("WIDGET-RED at Dallas after the 944 and the 947: %+v, before %+v", red, red0)
	}
}
