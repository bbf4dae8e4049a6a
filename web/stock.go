package web

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/partners"
)

// stockQuery is the filter and page of a stock listing.
type stockQuery struct {
	prefix    string
	locations []string
	after     ledger.Position
	limit     int
}

func parseStockQuery(r *http.Request, def int) (stockQuery, error) {
	q := stockQuery{prefix: r.URL.Query().Get("sku_prefix"), locations: listParam(r, "location")}
	var err error
	if q.limit, err = pageLimit(r, def); err != nil {
		return q, err
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		if q.after, err = decodeCursor(c); err != nil {
			return q, err
		}
	}
	return q, nil
}

// A stock cursor is the last (SKU, location) of a page, base64url-encoded.
func encodeCursor(p ledger.Position) string {
	return base64.RawURLEncoding.EncodeToString([]byte(p.SKU + "\x00" + p.Location))
}

func decodeCursor(c string) (ledger.Position, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	sku, loc, ok := strings.Cut(string(b), "\x00")
	if err != nil || !ok || sku == "" {
		return ledger.Position{}, badParam("cursor", "not a cursor this API returned")
	}
	return ledger.Position{SKU: sku, Location: loc}, nil
}

type stockPage struct {
	Balances   []balanceView `json:"balances"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// apiStock lists balances per SKU and location, in SKU order.
func (s *Server) apiStock(w http.ResponseWriter, r *http.Request) {
	q, err := parseStockQuery(r, 100)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	bals, err := s.deps.Ledger.Balances(r.Context(), ledger.Filter{SKUPrefix: q.prefix, Locations: q.locations, After: q.after, Limit: q.limit})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page := stockPage{Balances: make([]balanceView, 0, len(bals))}
	for _, b := range bals {
		page.Balances = append(page.Balances, viewBalance(b))
	}
	if len(bals) == q.limit {
		last := bals[len(bals)-1]
		page.NextCursor = encodeCursor(ledger.Position{SKU: last.SKU, Location: last.Location})
	}
	writeJSON(w, http.StatusOK, page)
}

// skuBalances returns the balances of exactly sku, one per location (in
// the given locations when any).
func (s *Server) skuBalances(ctx context.Context, sku string, locs []string) ([]ledger.Balance, error) {
	var out []ledger.Balance
	f := ledger.Filter{SKUPrefix: sku, Locations: locs, Limit: 256}
	for {
		page, err := s.deps.Ledger.Balances(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, b := range page {
			if b.SKU != sku { // positions of sku come before those of longer SKUs
				return out, nil
			}
			out = append(out, b)
		}
		if len(page) < f.Limit {
			return out, nil
		}
		last := page[len(page)-1]
		f.After = ledger.Position{SKU: last.SKU, Location: last.Location}
	}
}

// channel is a partner with an advice section: a sales channel whose
// figures the inventory views show.
type channel struct {
	profile  *partners.Profile
	mapper   *mapping.Mapper
	believes map[string]int64 // what it was last told, by SKU; nil when unknown
}

// channelView is what one channel may sell of a SKU, and what it believes.
type channelView struct {
	Partner string `json:"partner"`
	Name    string `json:"name"`
	// Item is the partner's id of the SKU in the advice.
	Item string `json:"item,omitempty"`
	// Listed reports whether the partner's advice lists the SKU (its item
	// table may skip it).
	Listed bool `json:"listed"`
	// Quantity is what the channel would be told now: the channel
	// quantity under its policy.
	Quantity int64 `json:"quantity"`
	// Told is what the channel was last told (what it believes); absent
	// when it was never told.
	Told *int64 `json:"told,omitempty"`
	// Divergence is Told − Quantity, when both are known and differ from
	// zero: the channel may oversell (positive) or undersell.
	Divergence int64  `json:"divergence,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

// channels returns the partners with an advice section, with what each
// believes.
func (s *Server) channels(dir *partners.Directory) []channel {
	var out []channel
	for _, p := range dir.Profiles() {
		if p.Advice == nil {
			continue
		}
		ch := channel{profile: p, mapper: mapping.New(p)}
		if s.deps.Broadcasts != nil {
			if b, err := s.deps.Broadcasts.Believes(p.ID); err == nil {
				ch.believes = b
			} else {
				s.log.Warn("reading what a channel was told", "partner", p.ID, "err", err)
			}
		}
		out = append(out, ch)
	}
	return out
}

// view computes the channel's figures for one SKU from its balances.
func (ch *channel) view(sku string, bals []ledger.Balance, now time.Time) channelView {
	v := channelView{Partner: ch.profile.ID, Name: ch.profile.Name}
	if len(bals) == 0 {
		bals = []ledger.Balance{{SKU: sku}}
	}
	lines, problems, err := ch.mapper.AdviceLines([][]ledger.Balance{bals}, now)
	switch {
	case err != nil:
		v.Problem = err.Error()
	case len(problems) > 0:
		v.Problem = problems[0].Reason
	case len(lines) == 1:
		v.Listed, v.Item, v.Quantity = true, lines[0].PartnerID, lines[0].Quantity
	}
	if told, ok := ch.believes[sku]; ok {
		v.Told = &told
		if v.Listed {
			v.Divergence = told - v.Quantity
		}
	}
	return v
}

// availability is the availability of one SKU: per location, in total and
// per channel.
type availability struct {
	SKU       string        `json:"sku"`
	Locations []balanceView `json:"locations"`
	Total     balanceView   `json:"total"`
	Channels  []channelView `json:"channels"`
	AsOf      time.Time     `json:"as_of"`
}

func (s *Server) availability(ctx context.Context, sku string, locs []string) (*availability, error) {
	bals, err := s.skuBalances(ctx, sku, locs)
	if err != nil {
		return nil, err
	}
	all := bals
	if len(locs) > 0 { // channels count their own locations, not the filter's
		if all, err = s.skuBalances(ctx, sku, nil); err != nil {
			return nil, err
		}
	}
	if len(all) == 0 { // no position anywhere: a typo or an unknown item, not zero stock
		return nil, fmt.Errorf("SKU %q: no stock position in the ledger: %w", sku, errNotFound)
	}
	now := s.now()
	a := &availability{SKU: sku, Locations: make([]balanceView, 0, len(bals)), Total: sumBalances(sku, bals),
		Channels: []channelView{}, AsOf: now.UTC()}
	for _, b := range bals {
		a.Locations = append(a.Locations, viewBalance(b))
	}
	for _, ch := range s.channels(s.partners()) {
		a.Channels = append(a.Channels, ch.view(sku, all, now))
	}
	return a, nil
}

// apiAvailability answers the availability of one SKU.
func (s *Server) apiAvailability(w http.ResponseWriter, r *http.Request) {
	sku := r.PathValue("sku")
	if sku == "" {
		s.apiError(w, r, badParam("sku", "required"))
		return
	}
	a, err := s.availability(r.Context(), sku, listParam(r, "location"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

type historyPage struct {
	SKU        string         `json:"sku"`
	Location   string         `json:"location,omitempty"`
	Movements  []movementView `json:"movements"`
	NextBefore uint64         `json:"next_before,omitempty"`
}

// apiHistory answers the audit trail of a SKU (at one location, or all).
func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) {
	sku, loc := r.PathValue("sku"), r.URL.Query().Get("location")
	limit, err := pageLimit(r, 100)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	before, err := uintParam(r, "before")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	ms, err := s.deps.Ledger.History(r.Context(), sku, loc, ledger.HistoryOptions{Before: before, Limit: limit})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page := historyPage{SKU: sku, Location: loc, Movements: make([]movementView, 0, len(ms))}
	for _, m := range ms {
		page.Movements = append(page.Movements, viewMovement(m))
	}
	if len(ms) == limit {
		page.NextBefore = ms[len(ms)-1].ID
	}
	writeJSON(w, http.StatusOK, page)
}

// inventoryRow is one SKU of the inventory view.
type inventoryRow struct {
	SKU       string
	Locations []balanceView
	Total     balanceView
	Channels  []channelView
}

// inventory lists up to limit SKUs after afterSKU, with their balances
// and channel figures. It returns the last SKU when there may be more.
func (s *Server) inventory(ctx context.Context, prefix string, locs []string, afterSKU string, limit int) ([]inventoryRow, string, error) {
	f := ledger.Filter{SKUPrefix: prefix, Limit: limit * 4}
	if afterSKU != "" {
		f.After = ledger.Position{SKU: afterSKU, Location: "\xff"} // past every location of afterSKU
	}
	var rows []inventoryRow
	var bySKU [][]ledger.Balance
	more := false
	for len(bySKU) <= limit {
		page, err := s.deps.Ledger.Balances(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for _, b := range page {
			if n := len(bySKU); n == 0 || bySKU[n-1][0].SKU != b.SKU {
				bySKU = append(bySKU, nil)
			}
			bySKU[len(bySKU)-1] = append(bySKU[len(bySKU)-1], b)
		}
		if len(page) < f.Limit {
			break
		}
		last := page[len(page)-1]
		f.After = ledger.Position{SKU: last.SKU, Location: last.Location}
	}
	if len(bySKU) > limit { // the last group is the first SKU of the next page
		bySKU, more = bySKU[:limit], true
	}
	now := s.now()
	chans := s.channels(s.partners())
	for _, bals := range bySKU {
		sku := bals[0].SKU
		row := inventoryRow{SKU: sku}
		for _, b := range bals {
			if len(locs) == 0 || contains(locs, b.Location) {
				row.Locations = append(row.Locations, viewBalance(b))
			}
		}
		row.Total = sumBalances(sku, filterLocations(bals, locs))
		for _, ch := range chans {
			row.Channels = append(row.Channels, ch.view(sku, bals, now))
		}
		rows = append(rows, row)
	}
	next := ""
	if more && len(rows) > 0 {
		next = rows[len(rows)-1].SKU
	}
	return rows, next, nil
}

func filterLocations(bals []ledger.Balance, locs []string) []ledger.Balance {
	if len(locs) == 0 {
		return bals
	}
	var out []ledger.Balance
	for _, b := range bals {
		if contains(locs, b.Location) {
			out = append(out, b)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
