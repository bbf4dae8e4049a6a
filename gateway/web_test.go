package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWebRateLimitFromConfig: the API's rate limit is the configured one.
func TestWebRateLimitFromConfig(t *testing.T) {
	g, _ := openTest(t, nil)
	g.Config.HTTP.RateLimit, g.Config.HTTP.RateBurst = 0.001, 2
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
		t.Errorf("defaults %v/s burst %d", d.RateLimit, d.RateBurst)
	}
}
