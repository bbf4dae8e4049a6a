package gateway

import (
	"net/netip"
	"testing"
	"time"
)

// TestSFTPAccountKeysCarryTheirOptions: the example acme profile's keys
// reach the SFTP server with their from= and expiry-time=, the expiry read
// in the profile's time zone (America/Chicago).
func TestSFTPAccountKeysCarryTheirOptions(t *testing.T) {
	g, _ := openTest(t, nil)
	acct, ok := g.sftpAccount("acme")
	if !ok || len(acct.Keys) != 2 {
		t.Fatalf("account %v with %d keys", ok, len(acct.Keys))
	}
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	demo, backup := acct.Keys[0], acct.Keys[1]
	for _, tc := range []struct {
		addr string
		want bool
	}{{"127.0.0.1", true}, {"::1", true}, {"127.0.0.2", false}, {"203.0.113.5", false}} {
		if err := demo.Permit(netip.MustParseAddr(tc.addr), now); (err == nil) != tc.want {
			t.Errorf("demo key from %s: %v", tc.addr, err)
		}
	}
	if err := backup.Permit(netip.MustParseAddr("203.0.113.5"), now); err != nil {
		t.Errorf("backup key from its network: %v", err)
	}
	if want := time.Date(2028, 1, 1, 6, 0, 0, 0, time.UTC); !backup.Expires.Equal(want) {
		t.Errorf("backup key expires %v, want %v (midnight in Chicago)", backup.Expires, want)
	}
	if _, ok := g.sftpAccount("nobody"); ok {
		t.Error("an unknown user has an account")
	}
}
