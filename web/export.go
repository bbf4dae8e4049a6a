package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sheet wraps an excelize stream writer with a row counter.
type sheet struct {
	sw  *excelize.StreamWriter
	row int
}

func newSheet(f *excelize.File, name string, header ...any) (*sheet, error) {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	sh := &sheet{sw: sw}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	return sh, sh.add(header...)
}

func (sh *sheet) add(values ...any) error {
	sh.row++
	cell, err := excelize.CoordinatesToCellName(1, sh.row)
	if err != nil {
		return err
	}
	return sh.sw.SetRow(cell, values)
}

// newWorkbook makes a workbook with the named sheets, the first active.
// Sheets are made before streaming: renaming or deleting one afterwards
// makes excelize read the streamed sheets back into memory.
func newWorkbook(sheets ...string) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheets[0]); err != nil {
		f.Close()
		return nil, err
	}
	for _, name := range sheets[1:] {
		if _, err := f.NewSheet(name); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// finishWorkbook ends the sheets' streams and writes the workbook.
func (s *Server) finishWorkbook(w http.ResponseWriter, r *http.Request, f *excelize.File, name string, sheets ...*sheet) {
	for _, sh := range sheets {
		if err := sh.sw.Flush(); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	if _, err := f.WriteTo(w); err != nil {
		s.log.Info("export cut short", "file", name, "err", err)
	}
}

func xlsxTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// apiStockXLSX exports balances (filtered like /api/v1/stock) and, on a
// second sheet, what each channel may sell and believes of each SKU.
func (s *Server) apiStockXLSX(w http.ResponseWriter, r *http.Request) {
	q, err := parseStockQuery(r, 1)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	f, err := newWorkbook("Stock", "Channels")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	defer f.Close()
	stock, err := newSheet(f, "Stock", "SKU", "Location", "On hand", "Allocated", "In transit", "Damaged", "Quarantined", "Available")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	chans, err := newSheet(f, "Channels", "SKU", "Channel", "Item", "Listed", "Quantity now", "Told", "Divergence")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	now := s.now()
	channels := s.channels(s.partners())
	var group []ledger.Balance
	flushGroup := func() error {
		if len(group) == 0 {
			return nil
		}
		all := group
		if len(q.locations) > 0 {
			var err error
			if all, err = s.skuBalances(r.Context(), group[0].SKU, nil); err != nil {
				return err
			}
		}
		for _, ch := range channels {
			v := ch.view(group[0].SKU, all, now)
			told, div := any(""), any("")
			if v.Told != nil {
				told, div = *v.Told, v.Divergence
			}
			if err := chans.add(group[0].SKU, v.Partner, v.Item, v.Listed, v.Quantity, told, div); err != nil {
				return err
			}
		}
		group = group[:0]
		return nil
	}
	filter := ledger.Filter{SKUPrefix: q.prefix, Locations: q.locations, After: q.after, Limit: 1000}
	rows := 0
	for rows < s.opts.MaxExportRows {
		page, err := s.deps.Ledger.Balances(r.Context(), filter)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		for _, b := range page {
			if rows == s.opts.MaxExportRows {
				break
			}
			if len(group) > 0 && group[0].SKU != b.SKU {
				if err := flushGroup(); err != nil {
					s.apiError(w, r, err)
					return
				}
			}
			group = append(group, b)
			if err := stock.add(b.SKU, b.Location, b.OnHand, b.Allocated, b.InTransit, b.Damaged, b.Quarantined, b.Available()); err != nil {
				s.apiError(w, r, err)
				return
			}
			rows++
		}
		if len(page) < filter.Limit {
			break
		}
		last := page[len(page)-1]
		filter.After = ledger.Position{SKU: last.SKU, Location: last.Location}
	}
	if err := flushGroup(); err != nil {
		s.apiError(w, r, err)
		return
	}
	if rows == s.opts.MaxExportRows {
		if err := stock.add(fmt.Sprintf("(export capped at %d rows: filter by sku_prefix or location)", rows)); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	s.finishWorkbook(w, r, f, "dockside-stock-"+now.UTC().Format("20060102-1504")+".xlsx", stock, chans)
}

// apiMessagesXLSX exports a message search (the filters of
// /api/v1/messages, up to Options.MaxExportRows).
func (s *Server) apiMessagesXLSX(w http.ResponseWriter, r *http.Request) {
	q, err := parseMessageQuery(r, s.opts.MaxExportRows, s.opts.MaxExportRows)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	f, err := newWorkbook("Messages")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	defer f.Close()
	sh, err := newSheet(f, "Messages", "ID", "Received (UTC)", "Partner", "Transport", "Name", "Size", "State", "Attempts",
		"Type", "Controls", "Movements", "Acks", "Duplicate of", "Errors", "First error place", "First error")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	total := q.limit // page through the search; only one page is in memory
	rows := 0
	for rows < total {
		q.limit = min(1000, total-rows)
		msgs, next, err := s.searchMessages(r.Context(), q)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		for _, m := range msgs {
			if err := sh.add(messageRow(m)...); err != nil {
				s.apiError(w, r, err)
				return
			}
		}
		rows += len(msgs)
		if next == 0 {
			break
		}
		q.before = next
	}
	if rows == total {
		if err := sh.add(fmt.Sprintf("(export capped at %d messages: narrow the filters)", rows)); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	s.finishWorkbook(w, r, f, "dockside-messages-"+s.now().UTC().Format("20060102-1504")+".xlsx", sh)
}

// messageRow is a message as one row of the messages export.
func messageRow(m *inbox.Message) []any {
	var docType, controls, acks string
	var moves int
	if res := m.Result; res != nil {
		docType, controls, moves = res.DocType, strings.Join(res.Controls, " "), res.Movements
		for i, a := range res.Acks {
			if i > 0 {
				acks += " "
			}
			acks += fmt.Sprint(a)
		}
	}
	var place, msg string
	if len(m.Errors) > 0 {
		place, msg = m.Errors[0].Place, m.Errors[0].Msg
	}
	dup := any("")
	if m.DuplicateOf != 0 {
		dup = m.DuplicateOf
	}
	return []any{m.ID, xlsxTime(m.ReceivedAt), m.Partner, m.Transport, m.Name, m.Size, string(m.State), m.Attempts,
		docType, controls, moves, acks, dup, len(m.Errors), place, msg}
}
