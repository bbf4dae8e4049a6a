package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// ledgerFile is the ledger's file name inside the data folder.
const ledgerFile = "ledger.db"

// ledgerLockTimeout is how long a read-only command waits for a running
// gateway to let go of the ledger file.
const ledgerLockTimeout = 3 * time.Second

// pageSize is how many balances or movements a command reads at a time.
const pageSize = 5000

func stockCommand() *command {
	const (
		usage   = "stock [--data DIR] [--sku SKU] [--location LOC] [--json]"
		summary = "Prints the ledger's balances per SKU and location: on hand, allocated, available to promise\n" +
			"(on_hand - allocated - damaged - quarantined; negative means oversold), in transit, damaged and\n" +
			"quarantined. Exit 0 on success, 2 on usage or I/O error (no ledger, file locked)."
	)
	return &command{
		name:    "stock",
		summary: "show inventory balances from the ledger",
		usage:   usage,
		run: func(ctx context.Context, e *env, args []string) int {
			fs := newFlags(e, usage, summary)
			data := fs.String("data", "", "data `folder` (default ./dockside-data, or $DOCKSIDE_DATA)")
			sku := fs.String("sku", "", "only this `SKU`")
			loc := fs.String("location", "", "only this `location`")
			asJSON := fs.Bool("json", false, "print a JSON array")
			pos, code, ok := parseArgs(e, fs, args)
			if !ok {
				return code
			}
			if len(pos) > 0 {
				fmt.Fprintf(e.Stderr, "dockside stock: unexpected argument %q\n", pos[0])
				fs.Usage()
				return exitUsage
			}
			newOut := func() balanceWriter {
				if *asJSON {
					return &jsonArray{w: e.Stdout}
				}
				return newBalanceTable(e.Stdout)
			}
			remote := func(c *apiClient) int {
				return readDone(e, "stock", remoteBalances(ctx, c, *sku, *loc, newOut()))
			}
			dir := dataDir(e, *data)
			if code, ok := viaServer(e, "stock", dir, nil, remote); ok {
				return code
			}
			l, err := openLedgerReadOnly(dir, e.Stderr)
			if err != nil {
				if code, ok := viaServer(e, "stock", dir, err, remote); ok {
					return code
				}
				fmt.Fprintf(e.Stderr, "dockside stock: %v\n", err)
				return exitUsage
			}
			defer l.Close()
			return readDone(e, "stock", listBalances(ctx, l, *sku, *loc, newOut()))
		},
	}
}

// openLedgerReadOnly opens <dir>/ledger.db for reading. A file of the
// previous layout is upgraded first (the ledger does that when it opens a
// file for writing), and notice is told so.
func openLedgerReadOnly(dir string, notice io.Writer) (*ledger.Ledger, error) {
	path := filepath.Join(dir, ledgerFile)
	l, err := ledger.Open(path, &ledger.Options{ReadOnly: true, LockTimeout: ledgerLockTimeout})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no ledger at %s (set --data or DOCKSIDE_DATA)", path)
	}
	if errors.Is(err, ledger.ErrSchema) {
		fmt.Fprintf(notice, "upgrading %s to this version's layout (once)\n", path)
		w, uerr := ledger.Open(path, &ledger.Options{LockTimeout: ledgerLockTimeout})
		if uerr != nil {
			return nil, fmt.Errorf("%w; upgrading it: %w", err, uerr)
		}
		if uerr := w.Close(); uerr != nil {
			return nil, fmt.Errorf("upgrading %s: %w", path, uerr)
		}
		l, err = ledger.Open(path, &ledger.Options{ReadOnly: true, LockTimeout: ledgerLockTimeout})
	}
	return l, err
}

// listBalances writes the balances selected, page by page.
func listBalances(ctx context.Context, l *ledger.Ledger, sku, loc string, out balanceWriter) error {
	f := ledger.Filter{SKUPrefix: sku, Limit: pageSize}
	if loc != "" {
		f.Locations = []string{loc}
	}
	for {
		page, err := l.Balances(ctx, f)
		if err != nil {
			return err
		}
		for _, b := range page {
			if sku != "" && b.SKU != sku {
				continue // a longer SKU with the same prefix
			}
			if err := out.balance(b); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return out.close()
		}
		last := page[len(page)-1]
		f.After = ledger.Position{SKU: last.SKU, Location: last.Location}
	}
}

// balanceWriter prints balances one by one.
type balanceWriter interface {
	balance(ledger.Balance) error
	close() error
}

// balanceJSON is the JSON form of a balance: exactly these fields.
type balanceJSON struct {
	SKU         string `json:"sku"`
	Location    string `json:"location"`
	OnHand      int64  `json:"on_hand"`
	Allocated   int64  `json:"allocated"`
	Available   int64  `json:"available"`
	InTransit   int64  `json:"in_transit"`
	Damaged     int64  `json:"damaged"`
	Quarantined int64  `json:"quarantined"`
}

func toBalanceJSON(b ledger.Balance) balanceJSON {
	return balanceJSON{
		SKU: b.SKU, Location: b.Location,
		OnHand: b.OnHand, Allocated: b.Allocated, Available: b.Available(),
		InTransit: b.InTransit, Damaged: b.Damaged, Quarantined: b.Quarantined,
	}
}

func (j *jsonArray) balance(b ledger.Balance) error { return j.write(toBalanceJSON(b)) }

// balanceTable prints aligned columns and a closing summary line.
type balanceTable struct {
	tw       *tabwriter.Writer
	w        io.Writer
	count    int
	oversold int
}

func newBalanceTable(w io.Writer) *balanceTable {
	t := &balanceTable{w: w, tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	fmt.Fprintln(t.tw, "SKU\tLOCATION\tON_HAND\tALLOCATED\tAVAILABLE\tIN_TRANSIT\tDAMAGED\tQUARANTINED")
	return t
}

func (t *balanceTable) balance(b ledger.Balance) error {
	t.count++
	if b.Available() < 0 {
		t.oversold++
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n",
		b.SKU, b.Location, b.OnHand, b.Allocated, b.Available(), b.InTransit, b.Damaged, b.Quarantined)
	if err == nil && t.count%pageSize == 0 {
		err = t.tw.Flush() // keep memory flat on large ledgers
	}
	return err
}

func (t *balanceTable) close() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	noun := "balances"
	if t.count == 1 {
		noun = "balance"
	}
	_, err := fmt.Fprintf(t.w, "%d %s", t.count, noun)
	if err == nil && t.oversold > 0 {
		_, err = fmt.Fprintf(t.w, ", %d oversold (available below zero)", t.oversold)
	}
	if err == nil {
		_, err = fmt.Fprintln(t.w)
	}
	return err
}
