package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClaimLeaseConfig: claim_lease defaults to a minute, comes from the
// file or the environment, and a lease under a second is refused.
func TestClaimLeaseConfig(t *testing.T) {
	if d := DefaultConfig().ClaimLease; d != time.Minute {
		t.Errorf("default %s", d)
	}
	path := filepath.Join(t.TempDir(), "dockside.yaml")
	cases := []struct {
		file, env string
		want      time.Duration
		err       string
	}{
		{file: "claim_lease: 5s\n", want: 5 * time.Second},
		{env: "90s", want: 90 * time.Second},
		{file: "claim_lease: 500ms\n", err: "claim_lease: 500ms is under 1s"},
		{file: "claim_lease: 0s\n", err: "claim_lease: 0s is under 1s"},
	}
	for _, c := range cases {
		os.WriteFile(path, []byte(c.file), 0o644)
		cfg, err := LoadConfig(path, func(k string) string {
			if k == "DOCKSIDE_CLAIM_LEASE" {
				return c.env
			}
			return ""
		})
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err = %v, want %q", c.file, err, c.err)
			}
		case err != nil:
			t.Errorf("%q %q: %v", c.file, c.env, err)
		case cfg.ClaimLease != c.want:
			t.Errorf("%q %q: claim lease %s, want %s", c.file, c.env, cfg.ClaimLease, c.want)
		}
	}
}
