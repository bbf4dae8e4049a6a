package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/specs"
)

func partnersTryCommand() *command {
	return &command{name: "try", summary: "dry run: the movements a file would post, or its errors", run: runPartnersTry}
}

func runPartnersTry(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "partners try PARTNER FILE [--config FILE | --partners DIR] [--data DIR] [--json]",
		"Parses FILE with PARTNER's profile and prints the movements it would post (with their order\n"+
			"numbers), or every error with its place. It changes nothing. With --data or --config (or a\n"+
			"running serve) it also says which movements the live ledger already has (duplicates) and which\n"+
			"counts it would record as stale. Exit 0 when the file would be processed cleanly, 1 when it has\n"+
			"errors.")
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
	live, err := liveState(e, gf)
	if err != nil {
		return failed(e, err)
	}
	defer live.close()
	res, err := gateway.TryFileWith(p, cat, filepath.Base(pos[1]), f, e.Now(), gateway.TryOptions{Orders: live.orders, Shipments: live.shipments})
	if err != nil {
		return failed(e, err)
	}
	view, err := tryView(ctx, res, live.name, live.history)
	if err != nil {
		return failed(e, err)
	}
	if *asJSON {
		writeJSON(e.Stdout, view)
	} else {
		printTryView(e.Stdout, view)
	}
	if !view.OK {
		return exitFail
	}
	return exitOK
}
