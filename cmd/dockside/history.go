package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

func historyCommand() *command {
	const (
		usage   = "history SKU [--data DIR] [--location LOC] [--limit N] [--json]"
		summary = "Prints the audit trail of SKU (at one location, or at every location): its movements, newest\n" +
			"first by effective time, with what each changed and where it came from (document, source key,\n" +
			"partner, control numbers). Stale snapshots are listed and marked. Exit 0 on success, 2 on usage\n" +
			"or I/O error."
	)
	return &command{
		name:    "history",
		summary: "show the audit trail of a SKU from the ledger",
		usage:   usage,
		run: func(ctx context.Context, e *env, args []string) int {
			fs := newFlags(e, usage, summary)
			data := fs.String("data", "", "data `folder` (default ./dockside-data, or $DOCKSIDE_DATA)")
			loc := fs.String("location", "", "only this `location`")
			limit := fs.Int("limit", 0, "at most `N` movements, newest first (0: all)")
			asJSON := fs.Bool("json", false, "print a JSON array")
			pos, code, ok := parseArgs(e, fs, args)
			if !ok {
				return code
			}
			if len(pos) != 1 || pos[0] == "" || *limit < 0 {
				fmt.Fprintln(e.Stderr, "dockside history: want one SKU (and --limit 0 or more)")
				fs.Usage()
				return exitUsage
			}
			newOut := func() movementWriter {
				if *asJSON {
					return &jsonArray{w: e.Stdout}
				}
				return newMovementTable(e.Stdout, *loc == "")
			}
			remote := func(c *apiClient) int {
				return readDone(e, "history", remoteHistory(ctx, c, pos[0], *loc, *limit, newOut()))
			}
			dir := dataDir(e, *data)
			if code, ok := viaServer(e, "history", dir, nil, remote); ok {
				return code
			}
			l, err := openLedgerReadOnly(dir, e.Stderr)
			if err != nil {
				if code, ok := viaServer(e, "history", dir, err, remote); ok {
					return code
				}
				fmt.Fprintf(e.Stderr, "dockside history: %v\n", err)
				return exitUsage
			}
			defer l.Close()
			return readDone(e, "history", listHistory(ctx, l, pos[0], *loc, *limit, newOut()))
		},
	}
}

// listHistory writes a SKU's movements, newest first, page by page.
func listHistory(ctx context.Context, l *ledger.Ledger, sku, loc string, limit int, out movementWriter) error {
	o := ledger.HistoryOptions{Limit: pageSize}
	written := 0
	for {
		if limit > 0 {
			o.Limit = min(pageSize, limit-written)
		}
		page, err := l.History(ctx, sku, loc, o)
		if err != nil {
			return err
		}
		for _, m := range page {
			if err := out.movement(m); err != nil {
				return err
			}
		}
		written += len(page)
		if len(page) < o.Limit || (limit > 0 && written >= limit) {
			return out.close()
		}
		o.Before = page[len(page)-1].ID
	}
}

// movementWriter prints movements one by one.
type movementWriter interface {
	movement(ledger.Movement) error
	close() error
}

// movementJSON is the JSON form of a movement in the audit trail.
type movementJSON struct {
	ID            uint64         `json:"id"`
	Seq           uint64         `json:"seq"`
	SourceKey     string         `json:"source_key"`
	Document      string         `json:"document"`
	SKU           string         `json:"sku"`
	Location      string         `json:"location"`
	Kind          ledger.Kind    `json:"kind"`
	Quantity      int64          `json:"quantity"`
	AllOfOrder    bool           `json:"all_of_order,omitempty"` // a release of all the order held; quantity is what it released
	Bucket        ledger.Bucket  `json:"bucket,omitempty"`
	Effective     time.Time      `json:"effective"`
	Recorded      time.Time      `json:"recorded"`
	Expected      *time.Time     `json:"expected,omitempty"`
	TakeInTransit bool           `json:"take_in_transit,omitempty"`
	Stale         bool           `json:"stale"`
	Absorbed      bool           `json:"absorbed,omitempty"`
	Reason        string         `json:"reason,omitempty"`
	Reference     referenceJSON  `json:"reference"`
	Delta         quantitiesJSON `json:"delta"`
}

type referenceJSON struct {
	Partner      string `json:"partner,omitempty"`
	DocumentType string `json:"document_type,omitempty"`
	Interchange  string `json:"interchange,omitempty"`
	Group        string `json:"group,omitempty"`
	Transaction  string `json:"transaction,omitempty"`
	Line         int    `json:"line,omitempty"`
	Order        string `json:"order,omitempty"`
}

type quantitiesJSON struct {
	OnHand      int64 `json:"on_hand"`
	Allocated   int64 `json:"allocated"`
	InTransit   int64 `json:"in_transit"`
	Damaged     int64 `json:"damaged"`
	Quarantined int64 `json:"quarantined"`
}

func toMovementJSON(m ledger.Movement) movementJSON {
	out := movementJSON{
		ID: m.ID, Seq: m.Seq, SourceKey: m.SourceKey, Document: m.Document,
		SKU: m.SKU, Location: m.Location, Kind: m.Kind, Quantity: m.Quantity, Bucket: m.Bucket,
		Effective: m.Effective, Recorded: m.Recorded, TakeInTransit: m.TakeInTransit,
		Stale: m.Stale, Absorbed: m.Absorbed, Reason: m.Reason,
		Reference: referenceJSON(m.Reference),
		Delta:     quantitiesJSON(m.Delta),
	}
	if !m.Expected.IsZero() {
		out.Expected = &m.Expected
	}
	if releasesAll(m) {
		out.AllOfOrder, out.Quantity = true, -m.Delta.Allocated
	}
	return out
}

func (j *jsonArray) movement(m ledger.Movement) error { return j.write(toMovementJSON(m)) }

// movementTable prints aligned columns.
type movementTable struct {
	tw      *tabwriter.Writer
	w       io.Writer
	showLoc bool
	count   int
}

func newMovementTable(w io.Writer, showLoc bool) *movementTable {
	t := &movementTable{w: w, tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), showLoc: showLoc}
	loc := ""
	if showLoc {
		loc = "LOCATION\t"
	}
	fmt.Fprintf(t.tw, "EFFECTIVE\tID\t%sKIND\tQUANTITY\tCHANGE\tDOCUMENT\tSOURCE\tREFERENCE\n", loc)
	return t
}

func (t *movementTable) movement(m ledger.Movement) error {
	t.count++
	loc := ""
	if t.showLoc {
		loc = m.Location + "\t"
	}
	kind := m.Kind.String()
	if m.Kind == ledger.KindSnapshot {
		kind += "(" + m.Bucket.String() + ")"
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%d\t%s%s\t%s\t%s\t%s\t%s\t%s\n",
		m.Effective.Format(time.RFC3339), m.ID, loc, kind, quantityText(m), deltaText(m), m.Document, m.SourceKey, referenceText(m))
	if err == nil && t.count%pageSize == 0 {
		err = t.tw.Flush()
	}
	return err
}

func (t *movementTable) close() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	noun := "movements"
	if t.count == 1 {
		noun = "movement"
	}
	_, err := fmt.Fprintf(t.w, "%d %s\n", t.count, noun)
	return err
}

// deltaText says what a movement changed: "on_hand+5 allocated-2".
func deltaText(m ledger.Movement) string {
	if m.Stale {
		return "stale: not applied"
	}
	var parts []string
	for b := ledger.BucketOnHand; b.Valid(); b++ {
		if v := m.Delta.Get(b); v != 0 {
			parts = append(parts, fmt.Sprintf("%s%+d", b, v))
		}
	}
	if m.Absorbed {
		parts = append(parts, "(late: a later count included it)")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// referenceText condenses a movement's reference and reason.
func referenceText(m ledger.Movement) string {
	r := m.Reference
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	add("", r.Partner)
	add("", r.DocumentType)
	if r.Group != "" || r.Transaction != "" { // X12: an interchange control number
		add("ISA ", r.Interchange)
	} else {
		add("file ", r.Interchange) // a flat file's hash
	}
	add("GS ", r.Group)
	add("ST ", r.Transaction)
	if r.Line != 0 {
		parts = append(parts, fmt.Sprintf("line %d", r.Line))
	}
	add("order ", r.Order)
	if m.Reason != "" {
		parts = append(parts, fmt.Sprintf("reason %q", m.Reason))
	}
	if !m.Expected.IsZero() {
		parts = append(parts, "due "+m.Expected.Format(time.DateOnly))
	}
	return strings.Join(parts, " ")
}
