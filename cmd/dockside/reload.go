package main

import (
	"context"
	"errors"
	"fmt"
)

func reloadCommand() *command {
	return &command{name: "reload", summary: "make the running serve reload its partner profiles", run: runReload}
}

func runReload(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "reload [--config FILE] [--data DIR]",
		"Asks the serve that holds the data folder to load the partner profiles again\n"+
			"(POST /api/v1/reload, with DOCKSIDE_TOKEN or the operator token in the data folder).\n"+
			"On PostgreSQL storage every other node then reloads its own partners folder too.\n"+
			"Exit 0 when they loaded, 1 when they do not (the problems are listed; the old ones stay),\n"+
			"2 when no serve runs or it cannot be reached.")
	gf := addGatewayFlags(fs)
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.Stderr, "dockside reload: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	cfg, err := gf.load(e)
	if err != nil {
		return failed(e, err)
	}
	c, err := runningServer(e, cfg.Data, cfg.HTTP.Listen)
	if errors.Is(err, errNoServer) {
		err = fmt.Errorf("%w (%s): start it with 'dockside serve'", err, cfg.Data)
	}
	if err != nil {
		return failed(e, err)
	}
	var res struct {
		Partners int `json:"partners"`
	}
	err = c.call(ctx, "POST", "/api/v1/reload", nil, &res)
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == "invalid_profiles" {
		fmt.Fprintln(e.Stdout, ae.Message)
		fmt.Fprintln(e.Stderr, "dockside reload: the profiles do not load; the old ones stay")
		return exitFail
	}
	if err != nil {
		return failed(e, err)
	}
	fmt.Fprintf(e.Stdout, "%s reloaded\n", plural(res.Partners, "partner profile"))
	return exitOK
}
