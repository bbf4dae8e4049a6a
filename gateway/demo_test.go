package gateway

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/examples"
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
// remote host is replaced by the current demo file.
func TestDemoUpgrade(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "demo-partners")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile("testdata/retired-shopmart.yaml") // as commit 5bef4d9 had it
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
		target := filepath.Join(dir, "shopmart.yaml")
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
		want, _ := examples.Partners.ReadFile("partners/shopmart.yaml")
		if kept := bytes.Equal(got, tc.content); kept != tc.kept || (!kept && !bytes.Equal(got, want)) {
			t.Errorf("%s: kept = %v", tc.name, kept)
		}
	}
}
