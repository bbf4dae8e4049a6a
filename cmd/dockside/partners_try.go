package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/specs"
)

func partnersTryCommand() *command {
	return &command{name: "try", summary: "dry run: the movements a file would post, or its errors", run: runPartnersTry}
}

func runPartnersTry(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "partners try PARTNER FILE [--config FILE | --partners DIR] [--data DIR] [--json]",
		"Parses FILE with PARTNER's profile and prints the movements it would post, or every error with its\n"+
			"place. It changes nothing. Exit 0 when the file would be processed cleanly, 1 when it has errors.")
	gf := addGatewayFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		fs.Usage()
		return exitUsage
	}
	_, load, err := profilesSource(e, gf)
	if err != nil {
		return failed(e, err)
	}
	d, err := load()
	if err != nil {
		return failed(e, err)
	}
	p, err := d.ByID(pos[0])
	if err != nil {
		return failed(e, err)
	}
	cat, err := specs.Load()
	if err != nil {
		return failed(e, err)
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return failed(e, err)
	}
	defer f.Close()
	res, err := gateway.TryFile(p, cat, filepath.Base(pos[1]), f, e.Now())
	if err != nil {
		return failed(e, err)
	}
	if *asJSON {
		writeJSON(e.Stdout, res)
	} else {
		printTry(e, res)
	}
	if !res.OK() {
		return exitFail
	}
	return exitOK
}

func printTry(e *env, res *gateway.TryResult) {
	for _, p := range res.Problems {
		fmt.Fprintf(e.Stdout, "error: %s\n", p)
	}
	for _, d := range res.Documents {
		fmt.Fprintf(e.Stdout, "%s %s: %s, %d movements\n", d.Type, d.Control, d.Status, len(d.Movements))
		for _, p := range d.Problems {
			fmt.Fprintf(e.Stdout, "  error: %v\n", p)
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		for _, m := range d.Movements {
			what := m.Kind.String()
			if m.Bucket != 0 {
				what += "(" + m.Bucket.String() + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", m.SKU, m.Location, what, m.Quantity, m.Effective.Format(time.RFC3339), m.SourceKey)
		}
		tw.Flush()
	}
}
