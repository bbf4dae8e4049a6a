package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/internal/browsertest"
	"github.com/dockside-edi/dockside/outbox"
)

// xssPayload is what a hostile partner puts in a file: markup that would
// run if a page rendered it rather than showing it as text.
const xssPayload = `<script>window.__xss="script"</script><img src=x onerror="window.__xss='img'">`

// TestBrowserHostileBodies: a partner's X12 and CSV files, and an
// outbound body, holding markup are shown as text on the message and
// outbox detail pages in a real browser (nothing runs), and downloaded as
// attachments of a type no browser renders.
func TestBrowserHostileBodies(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{})
	sample, err := os.ReadFile(filepath.Join("..", "examples", "samples", "acme-3pl", "inventory-846.edi"))
	if err != nil {
		t.Fatal(err)
	}
	x12ID := f.receiveBytes("acme-3pl", "hostile.edi", bytes.Replace(sample, []byte("LIN*"), []byte("REF*ZZ*"+xssPayload+"~LIN*"), 1))
	csvID := f.receiveBytes("shopmart", "hostile.csv", []byte("sku,qty\n\""+strings.ReplaceAll(xssPayload, `"`, `""`)+"\",1\n"))
	outID, err := f.outbox.Enqueue(&outbox.Message{Partner: "acme-3pl", Transport: "sftp", Kind: "846", Name: "hostile.edi"}, []byte(xssPayload))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)

	for _, page := range []struct{ path, sel string }{
		{fmt.Sprintf("/messages/%d", x12ID), "main"},
		{fmt.Sprintf("/messages/%d", csvID), "main"},
		{fmt.Sprintf("/outbox/%d", outID), "#body"},
	} {
		b.Navigate(ts.URL + page.path)
		b.WaitFor(fmt.Sprintf(`location.pathname === %s && !!document.querySelector(%s)`, browsertest.JSString(page.path), browsertest.JSString(page.sel)))
		if got := b.Text(`String(window.__xss)`); got != "undefined" {
			t.Errorf("%s: the partner's markup ran (%s)", page.path, got)
		}
		if n := b.Text(`String(document.querySelectorAll("main script, main img[src='x']").length)`); n != "0" {
			t.Errorf("%s: %s elements made of the partner's markup", page.path, n)
		}
		if txt := b.Text(`document.querySelector(` + browsertest.JSString(page.sel) + `).textContent`); !strings.Contains(txt, `<script>window.__xss=`) {
			t.Errorf("%s: the markup is not shown as text: %.3000s", page.path, txt)
		}
	}

	for _, id := range []uint64{x12ID, csvID} {
		rec := f.do(request{target: fmt.Sprintf("/api/v1/messages/%d/raw", id), token: roSecret})
		h := rec.Header()
		if rec.Code != http.StatusOK || h.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") == "" {
			t.Errorf("raw %d: %d %v", id, rec.Code, h)
		}
	}
}
