package web

import (
	"fmt"
	"github.com/dockside-edi/dockside/internal/browsertest"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// TestBrowserReplay: a real browser logs in to the dashboard, finds the
// failed message from the overview, sees its error, and after the
// partner's profile is fixed presses Replay and sees the message done.
func TestBrowserReplay(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()

	b.Navigate(ts.URL + "/")
	b.WaitFor(`location.pathname === "/login" && !!document.querySelector("#token")`)
	b.Eval(`document.querySelector("#token").value = ` + browsertest.JSString(opSecret) + `; document.querySelector("form[action='/login'] button").click(); true`)
	b.WaitFor(`location.pathname === "/" && !!document.querySelector("#failures")`)
	if dir := os.Getenv("DOCKSIDE_WEB_SCREENSHOTS"); dir != "" {
		b.Screenshot(filepath.Join(dir, "overview-failing.png"))
	}

	href := b.Text(`document.querySelector("#failures a[href^='/messages/']").getAttribute("href")`)
	if want := fmt.Sprintf("/messages/%d", f.failedID); href != want {
		t.Fatalf("the overview's failure links to %q, want %q", href, want)
	}
	b.Eval(`document.querySelector("#failures a[href^='/messages/']").click(); true`)
	b.WaitFor(fmt.Sprintf(`location.pathname === "/messages/%d" && !!document.querySelector("#state")`, f.failedID))
	if got := b.Text(`document.querySelector("#state").textContent`); got != "failed" {
		t.Fatalf("state %q, want failed", got)
	}
	if errs := b.Text(`document.querySelector("#errors").innerText`); !strings.Contains(errs, "AC-9999") || !strings.Contains(errs, "line 16") {
		t.Fatalf("errors table does not show the unknown item and its place:\n%s", errs)
	}
	if dir := os.Getenv("DOCKSIDE_WEB_SCREENSHOTS"); dir != "" {
		b.Screenshot(filepath.Join(dir, "message-failed.png"))
	}

	f.fixProfile()
	b.Eval(`document.querySelector("#replay").click(); true`)
	b.WaitFor(`location.search.includes("flash=") && !!document.querySelector("#state")`)
	if got := b.Text(`document.querySelector("#state").textContent`); got != "done" {
		t.Fatalf("after replay the page shows state %q, want done; flash: %s", got, b.Text(`(document.querySelector(".flash")||{}).textContent || ""`))
	}
	if flash := b.Text(`document.querySelector(".flash").textContent`); !strings.Contains(flash, "done") {
		t.Errorf("flash %q", flash)
	}
	if string(b.Eval(`!!document.querySelector("#replay")`)) != "false" {
		t.Errorf("a done message still offers Replay")
	}
	m, err := f.inbox.Get(f.failedID)
	if err != nil || m.State != inbox.Done {
		t.Fatalf("inbox says %v, %v", m, err)
	}
	if dir := os.Getenv("DOCKSIDE_WEB_SCREENSHOTS"); dir != "" {
		b.Screenshot(filepath.Join(dir, "message-done.png"))
		for _, p := range []string{"/", "/messages", "/outbox", "/partners", "/partners/shopmart", "/inventory", fmt.Sprintf("/messages/%d", f.goodID)} {
			b.Navigate(ts.URL + p)
			b.WaitFor(`!!document.querySelector("main")`)
			name := strings.Trim(strings.ReplaceAll(p, "/", "-"), "-")
			if name == "" {
				name = "overview"
			}
			b.Screenshot(filepath.Join(dir, name+".png"))
		}
	}
}
