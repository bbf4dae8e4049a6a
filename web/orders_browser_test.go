package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dockside-edi/dockside/internal/browsertest"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// orderBookFixture is the seeded fixture with an order book: shopmart's
// SO-00..SO-06 and northwind's NW-1, each received from the fixture's
// good message (f.goodID):
//
//	SO-00 cancelled; SO-01 sent to acme-3pl (as outbound f.deadID), its
//	997 overdue; SO-02 (acknowledged) shipped in full (closed); SO-03
//	(acknowledged) partly shipped (backorder), its 945 window passed; SO-04, SO-05, SO-06 and NW-1 allocated.
func orderBookFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, fixtureOptions{})
	st, err := orders.OpenBolt(filepath.Join(f.dir, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := f.clock.Now()
	route := func(string) (orders.Route, bool) { return orders.Route{Warehouse: "acme-3pl", Code: "DAL1"}, true }
	put := func(partner, number string, open, send bool) {
		r := orders.New(partner, number)
		r.Settle(&mapping.OrderState{Partner: partner, Number: number, Open: true,
			Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 5}},
			By:    mapping.Origin{Document: partner + "|" + number, Message: f.goodID, Name: "order.edi"}}, "PO-"+number, nil, now.Add(-10*time.Hour))
		if !open {
			r.Settle(&mapping.OrderState{Partner: partner, Number: number, Lines: r.Lines,
				By: mapping.Origin{Document: partner + "|" + number + "|cancel", Message: f.goodID, Name: "cancel.edi"}}, "", nil, now.Add(-9*time.Hour))
		}
		if send {
			out := r.Plan(route, nil)
			for i := range out {
				out[i].Lines[0].Item = "AC-1001"
			}
			var shipDue time.Time
			if number == "SO-03" { // its 945 window has passed
				shipDue = now.Add(-30 * time.Minute)
			}
			r.NoteSent(&out[0], orders.Send{Outbox: f.deadID, Interchange: "000000007", AckDue: now.Add(-time.Hour)}, shipDue, now.Add(-5*time.Hour))
		}
		if err := st.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 7 {
		put("shopmart", fmt.Sprintf("SO-%02d", i), i != 0, i >= 1 && i <= 3)
	}
	put("northwind", "NW-1", true, false)
	book := orders.NewBook(st, func(context.Context, string) (bool, error) { return true, nil }, f.clock.Now)
	for _, number := range []string{"SO-02", "SO-03"} { // their 997s came
		if ok, err := book.Acknowledge(ctx, "shopmart", number, f.deadID, "accepted", now.Add(-4*time.Hour)); !ok || err != nil {
			t.Fatalf("acknowledging %s: %v %v", number, ok, err)
		}
	}
	if _, _, err := book.Ship(ctx, "acme-3pl", "SO-02", "BOL-2", orders.ShipLine{Line: 1, Quantity: 5, Status: orders.StatusComplete}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := book.Ship(ctx, "acme-3pl", "SO-03", "BOL-3", orders.ShipLine{Line: 1, Quantity: 2, Status: orders.StatusBackorder}); err != nil {
		t.Fatal(err)
	}
	f.srv.deps.Orders = st
	return f
}

// TestBrowserOrders: an operator opens the orders page and sees each
// order's state (partially shipped, closed, overdue), filters by state,
// partner and overdue, pages with Next →, opens an order, reads its life
// and follows a step to the message it came from; the page's export
// holds what the filter selects.
func TestBrowserOrders(t *testing.T) {
	b := browsertest.Start(t)
	f := orderBookFixture(t)
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)

	rows := func() string {
		return b.Text(`Array.from(document.querySelectorAll("#orders tbody tr")).map(r => r.querySelector(".order-link").textContent.trim()).join(",")`)
	}
	cell := func(number string, col int) string {
		return b.Text(fmt.Sprintf(`Array.from(document.querySelectorAll("#orders tbody tr")).find(r => r.querySelector(".order-link").textContent.trim() === %q).children[%d].textContent.trim()`, number, col))
	}

	// Open the list from the navigation.
	b.Eval(`document.querySelector("header nav a[href='/orders']").click(); true`)
	b.WaitFor(`location.pathname === "/orders" && !!document.querySelector("#orders")`)
	if got := rows(); got != "NW-1,SO-00,SO-01,SO-02,SO-03,SO-04,SO-05,SO-06" {
		t.Fatalf("orders %q", got)
	}
	for number, want := range map[string]string{"SO-00": "cancelled", "SO-01": "sent to warehouse", "SO-02": "closed", "SO-03": "partially shipped", "NW-1": "allocated"} {
		if got := cell(number, 2); got != want {
			t.Errorf("%s: state %q, want %q", number, got, want)
		}
	}
	if got := cell("SO-01", 8); !strings.HasPrefix(got, "no 997") || !strings.Contains(got, "no 997 from acme-3pl") {
		t.Errorf("SO-01 needs attention: %q", got)
	}
	if got := cell("SO-03", 8); !strings.HasPrefix(got, "no 945") || !strings.Contains(got, "no complete 945 from acme-3pl for order SO-03") {
		t.Errorf("SO-03 needs attention: %q", got)
	}
	if got := cell("SO-02", 8); got != "" {
		t.Errorf("the closed SO-02 needs attention: %q", got)
	}
	if dir := os.Getenv("DOCKSIDE_WEB_SCREENSHOTS"); dir != "" {
		b.Screenshot(filepath.Join(dir, "orders.png"))
	}

	// Filters, through the form.
	filter := func(set, wantSearch, want string) {
		t.Helper()
		b.Navigate(ts.URL + "/orders")
		b.WaitFor(`!!document.querySelector("form.filters")`)
		b.Eval(set + `; document.querySelector("form.filters button[type=submit]").click(); true`)
		b.WaitFor(fmt.Sprintf(`location.search.includes(%q) && !!document.querySelector("main h1")`, wantSearch))
		got := ""
		if string(b.Eval(`!!document.querySelector("#orders")`)) == "true" {
			got = rows()
		}
		if got != want {
			t.Errorf("filter %s: %q, want %q", wantSearch, got, want)
		}
	}
	filter(`document.querySelector("#f-state").value = "shipping"`, "state=shipping", "SO-03")
	filter(`document.querySelector("#f-state").value = "cancelled"`, "state=cancelled", "SO-00")
	filter(`document.querySelector("#f-partner").value = "northwind"`, "partner=northwind", "NW-1")
	filter(`document.querySelector("#f-overdue").checked = true`, "overdue=true", "SO-01,SO-03")
	filter(`document.querySelector("#f-partner").value = "northwind"; document.querySelector("#f-state").value = "closed"`, "state=closed", "")

	// The export of a filtered list holds that filter's orders.
	b.Navigate(ts.URL + "/orders?partner=shopmart&state=allocated")
	b.WaitFor(`!!document.querySelector("#orders")`)
	href := b.Text(`document.querySelector("#export").getAttribute("href")`)
	if got := xlsxRows(t, browserFetch(t, b, href), "Orders", 1); strings.Join(got, ",") != "SO-04,SO-05,SO-06" {
		t.Errorf("the export (%s) holds %v", href, got)
	}

	// The pager: three a page, Next → twice.
	b.Navigate(ts.URL + "/orders?partner=shopmart&limit=3")
	b.WaitFor(`!!document.querySelector("#orders")`)
	for _, want := range []string{"SO-00,SO-01,SO-02", "SO-03,SO-04,SO-05", "SO-06"} {
		if got := rows(); got != want {
			t.Fatalf("page %q, want %q (%s)", got, want, b.Text("location.href"))
		}
		if want == "SO-06" {
			break
		}
		b.Eval(`document.querySelector("#next").click(); true`)
		last := want[strings.LastIndexByte(want, ',')+1:]
		b.WaitFor(fmt.Sprintf(`location.search.includes(%q) && !!document.querySelector("#orders")`, "after=shopmart%2F"+last))
	}
	if string(b.Eval(`!!document.querySelector("#next")`)) != "false" {
		t.Error("the last page offers Next →")
	}

	// Open an order from the list and read its life.
	b.Navigate(ts.URL + "/orders?partner=shopmart")
	b.WaitFor(`!!document.querySelector("#orders")`)
	b.Eval(`Array.from(document.querySelectorAll(".order-link")).find(a => a.textContent.trim() === "SO-03").click(); true`)
	b.WaitFor(`location.pathname === "/orders/shopmart/SO-03" && !!document.querySelector("#life")`)
	if got := b.Text(`document.querySelector("#state").textContent`); got != "partially shipped" {
		t.Errorf("SO-03 state %q", got)
	}
	steps := b.Text(`Array.from(document.querySelectorAll("#life tbody tr")).map(r => r.children[1].textContent.trim()).join(",")`)
	if steps != "received,allocated,sent,acknowledged,shipped" {
		t.Errorf("SO-03's life: %q", steps)
	}
	if got := b.Text(`document.querySelector("#life a.from-outbox").getAttribute("href")`); got != fmt.Sprintf("/outbox/%d", f.deadID) {
		t.Errorf("the sent step links to %q", got)
	}
	if dir := os.Getenv("DOCKSIDE_WEB_SCREENSHOTS"); dir != "" {
		b.Screenshot(filepath.Join(dir, "order.png"))
	}

	// An overdue order says why.
	b.Navigate(ts.URL + "/orders/shopmart/SO-01")
	b.WaitFor(`!!document.querySelector("#life")`)
	if got := b.Text(`document.querySelector("#overdue").textContent`); !strings.Contains(got, "no 997 from acme-3pl") {
		t.Errorf("SO-01's attention box: %q", got)
	}

	// Follow the received step to its message.
	b.Eval(`document.querySelector("#life a.from-message").click(); true`)
	b.WaitFor(fmt.Sprintf(`location.pathname === "/messages/%d" && !!document.querySelector("#state")`, f.goodID))
	if got := b.Text(`document.querySelector("#state").textContent`); got != "done" {
		t.Errorf("the order's message is %q", got)
	}

	// An unknown order: a page saying so.
	b.Navigate(ts.URL + "/orders/shopmart/SO-404")
	b.WaitFor(`!!document.querySelector("main")`)
	if got := b.Text(`document.querySelector("main").textContent`); !strings.Contains(got, "SO-404") {
		t.Errorf("unknown order page: %q", got)
	}
}

// xlsxRows reads column col (0-based) of a workbook's sheet, header row
// left out.
func xlsxRows(t *testing.T, data []byte, sheet string, col int) []string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v (%q)", err, data[:min(len(data), 200)])
	}
	defer x.Close()
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows[1:] {
		if len(r) > col {
			out = append(out, r[col])
		}
	}
	return out
}

// TestOrdersExport: the export holds one row per order the filter
// selects, with its state as the dashboard names it and what is overdue,
// and each step of their lives with the message it came from; bad
// filters are named.
func TestOrdersExport(t *testing.T) {
	f := orderBookFixture(t)
	get := func(query string) []byte {
		t.Helper()
		rec := f.do(request{target: "/api/v1/orders.xlsx" + query, token: roSecret})
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != xlsxType {
			t.Fatalf("%s: %d %s", query, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	all := get("")
	x, err := excelize.OpenReader(bytes.NewReader(all))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows("Orders")
	if len(rows) != 9 || strings.Join(rows[0][:3], ",") != "Partner,Order,State" {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	byOrder := map[string][]string{}
	for _, r := range rows[1:] {
		byOrder[r[1]] = r
	}
	if r := byOrder["SO-03"]; r[0] != "shopmart" || r[2] != "partially shipped" || r[6] != "5" || r[7] != "2" || r[8] != "acme-3pl" || r[9] != "PO-SO-03" {
		t.Errorf("SO-03's row: %v", r)
	}
	if r := byOrder["SO-01"]; len(r) < 11 || !strings.Contains(r[10], "no 997 from acme-3pl") {
		t.Errorf("SO-01's row: %v", r)
	}
	life, _ := x.GetRows("Life")
	var so03 []string
	for _, r := range life[1:] {
		if r[1] == "SO-03" {
			src := ""
			if len(r) > 5 {
				src = r[5]
			}
			if len(r) > 6 && r[6] != "" {
				src += "/out" + r[6]
			}
			so03 = append(so03, r[3]+"@"+src)
		}
	}
	want := fmt.Sprintf("received@%d,allocated@%d,sent@/out%d,acknowledged@/out%d,shipped@", f.goodID, f.goodID, f.deadID, f.deadID)
	if got := strings.Join(so03, ","); got != want {
		t.Errorf("SO-03's life in the export: %s, want %s", got, want)
	}
	if got := xlsxRows(t, get("?overdue=true"), "Orders", 1); strings.Join(got, ",") != "SO-01,SO-03" {
		t.Errorf("overdue export: %v", got)
	}
	if got := xlsxRows(t, get("?partner=northwind"), "Orders", 1); strings.Join(got, ",") != "NW-1" {
		t.Errorf("northwind export: %v", got)
	}
	for query, param := range map[string]string{"?state=lost": "state", "?overdue=maybe": "overdue"} {
		rec := f.do(request{target: "/api/v1/orders.xlsx" + query, token: roSecret})
		if body := decode[apiErrorBody](t, rec); rec.Code != http.StatusBadRequest || body.Error.Param != param {
			t.Errorf("%s: %d %s", query, rec.Code, rec.Body)
		}
	}
	if rec := f.do(request{target: "/api/v1/orders.xlsx"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a token: %d", rec.Code)
	}
}
