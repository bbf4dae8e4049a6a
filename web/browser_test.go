package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/browsertest"
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
	if errs := b.Text(`document.querySelector("#errors").innerText`); !strings.Contains(errs, "AC-9999") || !strings.Contains(errs, "segment 14 (LIN)") {
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

// browserLogin opens the dashboard in a real browser and logs in with
// the operator's token.
func browserLogin(t *testing.T, b *browsertest.Browser, base string) {
	t.Helper()
	b.Navigate(base + "/")
	b.WaitFor(`location.pathname === "/login" && !!document.querySelector("#token")`)
	b.Eval(`document.querySelector("#token").value = ` + browsertest.JSString(opSecret) + `; document.querySelector("form[action='/login'] button").click(); true`)
	b.WaitFor(`location.pathname === "/" && !!document.querySelector("main")`)
}

// browserFetch downloads href in the page (with the session cookie) and
// returns its bytes.
func browserFetch(t *testing.T, b *browsertest.Browser, href string) []byte {
	t.Helper()
	b.Eval(`window.__dl = null; fetch(` + browsertest.JSString(href) + `).then(r => r.arrayBuffer()).then(buf => {
		let s = ""; const u = new Uint8Array(buf); for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);
		window.__dl = btoa(s); }); true`)
	b.WaitFor(`window.__dl !== null`)
	data, err := base64.StdEncoding.DecodeString(b.Text(`window.__dl`))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// xlsxColumn reads the first column of a workbook's first sheet, header
// row left out.
func xlsxColumn(t *testing.T, data []byte) []string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v (%q)", err, data[:min(len(data), 200)])
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows[1:] {
		if len(r) > 0 {
			out = append(out, r[0])
		}
	}
	return out
}

// TestBrowserPagingAndExports: "Older →" on the messages, outbox and
// inventory pages leads to the next page (not the first again), and the
// filtered exports hold only what the filter selects.
func TestBrowserPagingAndExports(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)

	ids := func(sel string) string {
		return b.Text(`Array.from(document.querySelectorAll(` + browsertest.JSString(sel) + `)).map(e => e.textContent.trim()).join(",")`)
	}
	// Messages, one per page: newest first.
	b.Navigate(ts.URL + "/messages?limit=1")
	b.WaitFor(`!!document.querySelector("#messages")`)
	if got, want := ids("#messages tbody tr td:first-child"), fmt.Sprint(f.csvID); got != want {
		t.Fatalf("first page %q, want %q", got, want)
	}
	for _, want := range []uint64{f.failedID, f.goodID} {
		b.Eval(`document.querySelector(".pager a").click(); true`)
		b.WaitFor(fmt.Sprintf(`location.search.includes("before=%d") && !!document.querySelector("#messages")`, want+1))
		if got := ids("#messages tbody tr td:first-child"); got != fmt.Sprint(want) {
			t.Fatalf("after Older → the page shows %q, want %d (%s)", got, want, b.Text("location.href"))
		}
	}

	// The failed-only export.
	b.Navigate(ts.URL + "/messages?state=failed")
	b.WaitFor(`!!document.querySelector("#messages")`)
	href := b.Text(`document.querySelector("a[href^='/api/v1/messages.xlsx']").getAttribute("href")`)
	if got := xlsxColumn(t, browserFetch(t, b, href)); len(got) != 1 || got[0] != fmt.Sprint(f.failedID) {
		t.Fatalf("the failed-only export (%s) holds %v, want only %d", href, got, f.failedID)
	}

	// Outbox, one per page.
	b.Navigate(ts.URL + "/outbox?limit=1")
	b.WaitFor(`!!document.querySelector("#outbox")`)
	first := ids("#outbox tbody tr td:first-child")
	b.Eval(`document.querySelector(".pager a").click(); true`)
	b.WaitFor(`location.search.includes("before=") && !!document.querySelector("#outbox")`)
	if second := ids("#outbox tbody tr td:first-child"); second == "" || second == first {
		t.Fatalf("outbox: after Older → the page shows %q, first page %q", second, first)
	}

	// Inventory, one SKU per page, and the filtered stock export.
	b.Navigate(ts.URL + "/inventory?limit=1")
	b.WaitFor(`!!document.querySelector("main table")`)
	first = b.Text(`document.querySelector("main table tbody tr td").textContent.trim()`)
	b.Eval(`document.querySelector(".pager a").click(); true`)
	b.WaitFor(`location.search.includes("after=") && !!document.querySelector("main table")`)
	if second := b.Text(`document.querySelector("main table tbody tr td").textContent.trim()`); second == first {
		t.Fatalf("inventory: Next → shows %q again", second)
	}
	b.Navigate(ts.URL + "/inventory?sku_prefix=GADGET")
	b.WaitFor(`!!document.querySelector("main table")`)
	href = b.Text(`document.querySelector("a[href^='/api/v1/stock.xlsx']").getAttribute("href")`)
	for _, sku := range xlsxColumn(t, browserFetch(t, b, href)) {
		if !strings.HasPrefix(sku, "GADGET") {
			t.Fatalf("the GADGET stock export (%s) holds %s", href, sku)
		}
	}
}

// TestBrowserOutboxDetail: from the outbox list an operator opens a dead
// outbound message and sees its whole error, its body, its delivery and
// acknowledgement states, retries it there, and the partners page says
// the partner needs attention.
func TestBrowserOutboxDetail(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)

	b.Navigate(ts.URL + "/partners")
	b.WaitFor(`!!document.querySelector("#partners")`)
	row := b.Text(`Array.from(document.querySelectorAll("#partners tbody tr")).find(r => r.textContent.includes("shopmart")).innerText`)
	if !strings.Contains(row, "attention") || !strings.Contains(row, "1 of 3 failing") {
		t.Errorf("shopmart's row: %q", row)
	}

	b.Navigate(ts.URL + "/outbox")
	b.WaitFor(`!!document.querySelector("#outbox")`)
	b.Eval(fmt.Sprintf(`document.querySelector("#o%d a[href='/outbox/%d']").click(); true`, f.deadID, f.deadID))
	b.WaitFor(fmt.Sprintf(`location.pathname === "/outbox/%d" && !!document.querySelector("#delivery")`, f.deadID))
	if got := b.Text(`document.querySelector("#delivery").textContent`); got != "dead" {
		t.Errorf("delivery %q", got)
	}
	if got := b.Text(`document.querySelector("#last-error").textContent`); got != "as2: connection refused" {
		t.Errorf("last error %q", got)
	}
	if got := b.Text(`document.querySelector("#body").textContent`); got != "ISA~" {
		t.Errorf("body %q", got)
	}
	if got := b.Text(`document.querySelector("#delivery-detail").textContent`); !strings.Contains(got, "1 attempt") {
		t.Errorf("delivery detail %q", got)
	}
	b.Eval(`document.querySelector("#retry").click(); true`)
	b.WaitFor(fmt.Sprintf(`location.pathname === "/outbox/%d" && location.search.includes("flash=retried") && !!document.querySelector("#delivery")`, f.deadID))
	if got := b.Text(`document.querySelector("#delivery").textContent`); got != "queued" {
		t.Errorf("after Retry: %q", got)
	}

	// The overdue 846: its acknowledgement state and deadline.
	b.Navigate(fmt.Sprintf("%s/outbox/%d", ts.URL, f.overdueID))
	b.WaitFor(`!!document.querySelector("#ack")`)
	if got := b.Text(`document.querySelector("#ack-detail").textContent`); !strings.Contains(got, "overdue") || !strings.Contains(got, "due by") {
		t.Errorf("ack detail %q", got)
	}

}

// TestBrowserErrorHighlight: the parsed view highlights the segment an
// X12 mapping error names (set and position, no line: what the pipeline
// writes), and the row and cell of a CSV mapping error; the error's place
// links to it.
func TestBrowserErrorHighlight(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{})
	csv, err := os.ReadFile(filepath.Join("..", "examples", "samples", "northwind", "NW_STOCK_20261125.csv"))
	if err != nil {
		t.Fatal(err)
	}
	csv = append(csv, "NW-0001;NOWHERE;5;2026-11-26\n"...)
	csvID := f.receiveAs("northwind", "NW_STOCK_20261126.csv", csv, inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{
		{Place: "NW_STOCK_20261126.csv:6:9", Msg: `location "NOWHERE": not found in table "northwind_warehouses"`}}})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)

	b.Navigate(fmt.Sprintf("%s/messages/%d", ts.URL, f.failedID))
	b.WaitFor(`!!document.querySelector("#errors")`)
	if got := b.Text(`Array.from(document.querySelectorAll("tr.flagged")).map(r => r.id + " " + r.lastElementChild.textContent.slice(0, 3)).join(",")`); got != "S16 LIN" {
		t.Errorf("X12: flagged %q, want the LIN (S16)", got)
	}
	b.Eval(`document.querySelector("#errors a").click(); true`)
	b.WaitFor(`location.hash === "#S16"`)

	b.Navigate(fmt.Sprintf("%s/messages/%d", ts.URL, csvID))
	b.WaitFor(`!!document.querySelector("#errors")`)
	if got := b.Text(`Array.from(document.querySelectorAll("tr.flagged")).map(r => r.id).join(",")`); got != "R6" {
		t.Errorf("CSV: flagged rows %q, want R6", got)
	}
	if got := b.Text(`document.querySelector("#R6 td.flagged-cell").textContent`); got != "NOWHERE" {
		t.Errorf("CSV: flagged cell %q", got)
	}
	b.Eval(`document.querySelector("#errors a").click(); true`)
	b.WaitFor(`location.hash === "#R6"`)
	if dir := os.Getenv("DOCKSIDE_WEB_SCREENSHOTS"); dir != "" {
		b.Screenshot(filepath.Join(dir, "message-csv-error.png"))
	}
}

// TestBrowserAttemptsAndAudit: a replay that fails again, then one that
// succeeds after the profile is fixed, keep every attempt on the message
// page, with who started it; the profiles are reloaded from the partners
// page; the audit page lists those actions with the operator's name.
func TestBrowserAttemptsAndAudit(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{actions: true})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)

	page := fmt.Sprintf("%s/messages/%d", ts.URL, f.failedID)
	b.Navigate(page)
	b.WaitFor(`!!document.querySelector("#replay")`)
	b.Eval(`document.querySelector("#replay").click(); true`)
	b.WaitFor(`location.search.includes("flash=replay-failed") && !!document.querySelector("#attempts")`)
	rows := func() string {
		return b.Text(`Array.from(document.querySelectorAll("#attempts tbody tr")).map(r => r.innerText.replace(/\s+/g, " ")).join("\n")`)
	}
	got := rows()
	if lines := strings.Split(got, "\n"); len(lines) != 2 || !strings.Contains(lines[0], "on arrival") || !strings.Contains(lines[0], "failed") ||
		!strings.Contains(lines[0], "AC-9999") || !strings.Contains(lines[1], "ops (replay)") || !strings.Contains(lines[1], "failed") {
		t.Fatalf("attempts after a failed replay:\n%s", got)
	}

	b.Navigate(ts.URL + "/partners")
	b.WaitFor(`!!document.querySelector("#reload")`)
	f.fixProfileFileOnly()
	b.Eval(`document.querySelector("#reload").click(); true`)
	b.WaitFor(`location.search.includes("flash=reloaded")`)

	b.Navigate(page)
	b.WaitFor(`!!document.querySelector("#replay")`)
	b.Eval(`document.querySelector("#replay").click(); true`)
	b.WaitFor(`location.search.includes("flash=replay-done") && !!document.querySelector("#attempts")`)
	if lines := strings.Split(rows(), "\n"); len(lines) != 3 || !strings.Contains(lines[0], "failed") || !strings.Contains(lines[2], "ops (replay)") ||
		!strings.Contains(lines[2], "done") {
		t.Fatalf("attempts after the fix:\n%s", rows())
	}

	b.Navigate(ts.URL + "/audit")
	b.WaitFor(`!!document.querySelector("#audit")`)
	log := b.Text(`Array.from(document.querySelectorAll("#audit tbody tr")).map(r => r.innerText.replace(/\s+/g, " ")).join("\n")`)
	lines := strings.Split(log, "\n")
	want := []string{"ops", "replay", fmt.Sprintf("message %d", f.failedID), "done"}
	if len(lines) != 3 || !containsAll(lines[0], want...) || !containsAll(lines[1], "ops", "reload", "partner profiles", "ok") ||
		!containsAll(lines[2], "ops", "replay", "failed") {
		t.Fatalf("audit page:\n%s", log)
	}
	b.Navigate(ts.URL + "/audit?action=reload")
	b.WaitFor(`!!document.querySelector("#audit")`)
	if n := b.Text(`String(document.querySelectorAll("#audit tbody tr").length)`); n != "1" {
		t.Errorf("filtered by reload: %s rows", n)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestBrowserAdvice: from a channel's page an operator previews the
// advice it would be told now, sends it, sees it queued with a link to
// its outbound message, and finds it in the audit log.
func TestBrowserAdvice(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{actions: true})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)

	b.Navigate(ts.URL + "/partners/shopmart")
	b.WaitFor(`!!document.querySelector("#preview-advice")`)
	b.Eval(`document.querySelector("#preview-advice").click(); true`)
	b.WaitFor(`location.pathname === "/partners/shopmart/advice/preview" && !!document.querySelector("#advice-lines")`)
	lines := b.Text(`Array.from(document.querySelectorAll("#advice-lines tbody tr")).map(r => r.innerText.replace(/\s+/g, " ")).join("\n")`)
	if !strings.Contains(lines, "WIDGET-RED 012345678905 246") || len(strings.Split(lines, "\n")) != 3 {
		t.Fatalf("preview lines:\n%s", lines)
	}
	if x := b.Text(`document.querySelector("#advice-x12").textContent`); !strings.Contains(x, "ST*846*") {
		t.Errorf("preview X12 %q", x)
	}
	if dir := os.Getenv("DOCKSIDE_WEB_SCREENSHOTS"); dir != "" {
		b.Screenshot(filepath.Join(dir, "advice-preview.png"))
	}
	b.Eval(`document.querySelector("#send-advice").click(); true`)
	b.WaitFor(`location.pathname === "/partners/shopmart" && location.search.includes("flash=advice-sent") && !!document.querySelector("#broadcasts")`)
	first := b.Text(`document.querySelector("#broadcasts tr").innerText.replace(/\s+/g, " ")`)
	if !strings.Contains(first, "queued") || !strings.Contains(first, "outbox") {
		t.Fatalf("the newest broadcast: %q", first)
	}
	b.Eval(`document.querySelector("#broadcasts tr a[href^='/outbox/']").click(); true`)
	b.WaitFor(`location.pathname.startsWith("/outbox/") && !!document.querySelector("#body")`)
	if body := b.Text(`document.querySelector("#body").textContent`); !strings.Contains(body, "ST*846*") {
		t.Errorf("the queued advice's body %q", body)
	}

	b.Navigate(ts.URL + "/audit?action=advice-now")
	b.WaitFor(`!!document.querySelector("#audit")`)
	if row := b.Text(`document.querySelector("#audit tbody tr").innerText`); !containsAll(row, "ops", "advice-now", "partner shopmart", "ok") {
		t.Errorf("audit row %q", row)
	}
}
