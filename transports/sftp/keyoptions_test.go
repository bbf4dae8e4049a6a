package sftp

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/authkeys"
	"golang.org/x/crypto/ssh"
)

// TestOpenSSHKeyOptions logs in with the OpenSSH client from 127.0.0.1
// and from 127.0.0.2 (another host, as far as from= is concerned) with a
// key under each option the server enforces or accepts.
func TestOpenSSHKeyOptions(t *testing.T) {
	if _, err := exec.LookPath("sftp"); err != nil {
		t.Skip("OpenSSH sftp client not on PATH")
	}
	e := startServer(t, nil, nil)
	e.srv.failures.base, e.srv.failures.max = time.Millisecond, 10*time.Millisecond // the delays are TestBackoff's
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	c, err := d.Dial("tcp", e.addr)
	if err != nil {
		t.Skipf("127.0.0.2 is not usable as a source address here: %v", err)
	}
	c.Close()

	const (
		allowed = "127.0.0.1"
		other   = "127.0.0.2"
	)
	for i, tc := range []struct {
		name    string
		lines   []string // authorized_keys options of each line holding the key
		permits map[string]bool
		reason  string // in the server's log when refused
	}{
		{"no options", []string{""}, map[string]bool{allowed: true, other: true}, ""},
		{"from address", []string{`from="127.0.0.1"`}, map[string]bool{allowed: true, other: false}, `127.0.0.2 does not match \"127.0.0.1\"`},
		{"from CIDR", []string{`from="127.0.0.2/32"`}, map[string]bool{allowed: false, other: true}, `127.0.0.1 does not match`},
		{"from CIDR with a negated address", []string{`from="127.0.0.0/8,!127.0.0.2"`}, map[string]bool{allowed: true, other: false}, "does not match"},
		{"from wildcards", []string{`from="127.0.0.?,!*.2"`}, map[string]bool{allowed: true, other: false}, "does not match"},
		{"from IPv6 only", []string{`from="::1"`}, map[string]bool{allowed: false, other: false}, "does not match"},
		{"second line of the same key", []string{`from="127.0.0.2"`, `from="127.0.0.1"`}, map[string]bool{allowed: true, other: true}, ""},
		{"expired", []string{`expiry-time="20200101"`}, map[string]bool{allowed: false, other: false}, "key expired at 2020-01-01T00:00:00Z"},
		{"expires in the future", []string{`expiry-time="20991231235959Z"`}, map[string]bool{allowed: true, other: true}, ""},
		{"restrict and no-*", []string{`restrict,no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc`}, map[string]bool{allowed: true, other: true}, ""},
		{"command internal-sftp", []string{`restrict,command="internal-sftp"`}, map[string]bool{allowed: true, other: true}, ""},
		{"from and expiry together", []string{`restrict,from="127.0.0.1",expiry-time="20991231"`}, map[string]bool{allowed: true, other: false}, "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newUser(t, fmt.Sprintf("k%d", i))
			key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(u.signer.PublicKey())))
			acct := Account{Partner: u.name}
			for _, opts := range tc.lines {
				k, err := authkeys.Parse(strings.TrimSpace(opts+" "+key+" "+u.name+"@example"), time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				acct.Keys = append(acct.Keys, k)
			}
			e.accounts.set(u.name, acct)
			for _, from := range []string{allowed, other} {
				_, run := openSSH(t, e, u, e.srv.HostKeys(), "BindAddress="+from)
				out, err := run("ls /\n")
				refusal := refusalLogged(e.logs.String(), u.name, from)
				switch {
				case tc.permits[from] && (err != nil || !strings.Contains(out, "in") || refusal != ""):
					t.Errorf("from %s: refused: %v %s\n%s", from, err, refusal, out)
				case !tc.permits[from] && err == nil:
					t.Errorf("from %s: logged in\n%s", from, out)
				case !tc.permits[from] && !strings.Contains(refusal, tc.reason):
					t.Errorf("from %s: the log says %q, want %q", from, refusal, tc.reason)
				}
			}
			if logs := e.logs.String(); strings.Contains(logs, strings.Fields(key)[1]) {
				t.Error("key material reached the log")
			}
		})
	}
}

// refusalLogged returns the server's log line refusing user's key from
// addr by its options, or "".
func refusalLogged(logs, user, addr string) string {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `msg="sftp key refused by its options"`) &&
			strings.Contains(line, " user="+user+" ") && strings.Contains(line, " remote="+addr+" ") {
			return line
		}
	}
	return ""
}
