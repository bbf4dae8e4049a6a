package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dockside-edi/dockside/divergence"
)

func divergenceCommand() *command {
	return &command{name: "divergence", summary: "list partners' figures that differ from ours", run: runDivergence}
}

func runDivergence(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "divergence [--partner P] [--kind location|channel] [--json] [--config FILE | --partners DIR] [--data DIR]",
		"Lists each SKU whose figure a partner holds differs from ours: a 3PL's own available figure for one of\n"+
			"our locations (its 846 quantities mapped to compare) against the ledger's, and what a channel may\n"+
			"believe (its last delivered advice) against what its policy lets it sell now; with since when.\n"+
			"Exit 0 when nothing diverges, 1 when something does.")
	partner := fs.String("partner", "", "only this partner's figures")
	kind := fs.String("kind", "", "only location (3PL figures) or channel (channel beliefs)")
	asJSON := fs.Bool("json", false, "print JSON")
	gf := addGatewayFlags(fs)
	if _, code, ok := parseArgs(e, fs, args); !ok {
		return code
	}
	if *kind != "" && *kind != string(divergence.KindLocation) && *kind != string(divergence.KindChannel) {
		fmt.Fprintf(e.Stderr, "dockside: --kind %q: want location or channel\n", *kind)
		return exitUsage
	}
	g, err := gf.open(e, cliLogger(e, false))
	if err != nil {
		return failed(e, err)
	}
	defer g.Close()
	rep, err := g.Divergence.Refresh(ctx)
	if err != nil {
		return failed(e, err)
	}
	rows := rep.Rows[:0:0]
	for _, r := range rep.Rows {
		if (*partner == "" || r.Partner == *partner) && (*kind == "" || string(r.Kind) == *kind) {
			rows = append(rows, r)
		}
	}
	rep.Rows = rows
	if *asJSON {
		if code := writeJSON(e.Stdout, rep); code != exitOK {
			return code
		}
	} else {
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SKU\tPARTNER\tLOCATION/CHANNEL\tOURS\tTHEIRS\tDIFFERENCE\tSINCE")
		for _, r := range rows {
			where := r.Location
			if r.Kind == divergence.KindChannel {
				where = "channel"
			}
			theirs := fmt.Sprint(r.Theirs)
			if len(r.Possible) > 0 {
				theirs += " or " + strings.Trim(fmt.Sprint(r.Possible), "[]")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%+d\t%s (%s)\n", r.SKU, r.Partner, where, r.Ours, theirs, r.Difference,
				r.Since.Format("2006-01-02 15:04:05"), rep.AsOf.Sub(r.Since).Truncate(time.Second))
		}
		tw.Flush()
	}
	if len(rows) > 0 {
		return exitFail
	}
	return exitOK
}
