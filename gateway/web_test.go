package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/audit"
)

// TestWebRateLimitFromConfig: the API's rate limit is the configured one.
func TestWebRateLimitFromConfig(t *testing.T) {
	g, _ := openTest(t, nil)
	g.Config.HTTP.RateLimit, g.Config.HTTP.RateBurst = 1, 2
	srv, err := g.BuildWeb(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	var codes []int
	for range 3 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil)
		req.RemoteAddr = "192.0.2.1:5000"
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
	}
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK || codes[2] != http.StatusTooManyRequests {
		t.Errorf("with a burst of 2: %v", codes)
	}
	if d := DefaultConfig().HTTP; d.RateLimit != 20 || d.RateBurst != 40 {
		t.Errorf("defaults %d/s burst %d", d.RateLimit, d.RateBurst)
	}
}

// TestReloadPartnersByIsAudited: a reload outside the dashboard (SIGHUP)
// is in the audit log, and so is one that fails.
func TestReloadPartnersByIsAudited(t *testing.T) {
	g, partnersDir := openTest(t, nil)
	ctx := context.Background()
	if err := g.ReloadPartnersBy(ctx, "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partnersDir, "broken.yaml"), []byte("id: [\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := g.ReloadPartnersBy(ctx, "SIGHUP"); err == nil {
		t.Fatal("a broken profile loaded")
	}
	got, _, err := g.Audit.List(ctx, audit.Filter{Action: audit.ActionReload})
	if err != nil || len(got) != 2 || got[0].Who != "SIGHUP" || got[0].Error == "" || got[1].Error != "" || got[1].Detail != "3 partners" {
		t.Errorf("audit %+v %v", got, err)
	}
}
