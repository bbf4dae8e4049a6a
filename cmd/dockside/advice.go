package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/internal/atomicfile"
	"github.com/dockside-edi/dockside/partners"
)

func adviceCommand() *command {
	return &command{name: "advice", summary: "build (and send) a partner's 846 inventory advice now", run: runAdvice}
}

func runAdvice(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "advice PARTNER [--config FILE | --partners DIR] [--data DIR] [--out FILE] [--delta] [--send]",
		"Builds PARTNER's 846 inventory advice from the ledger and its availability policy, and writes it to\n"+
			"FILE or stdout. With --send it is also queued in the outbox for the partner's transports and\n"+
			"recorded as what the partner was told; without, nothing is recorded as sent. While serve runs\n"+
			"it is built by serve (POST /api/v1/partners/PARTNER/advice, operator token).")
	out := fs.String("out", "", "write the X12 to this `file` instead of stdout")
	delta := fs.Bool("delta", false, "only the items whose figure differs from any the partner may believe (last delivered, or sent and not confirmed)")
	send := fs.Bool("send", false, "queue the advice in the outbox")
	gf := addGatewayFlags(fs)
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	res, err := readStores(e, gf, "advice",
		func(c *apiClient) (*broadcast.Result, error) { return remoteAdvice(ctx, c, pos[0], *delta, *send) },
		func(g *gateway.Gateway) (*broadcast.Result, error) {
			return g.Advice.Broadcast(ctx, pos[0], broadcast.Options{Delta: *delta, Send: *send})
		})
	var ae *apiError
	if errors.Is(err, broadcast.ErrNoAdvice) || errors.Is(err, broadcast.ErrRunning) || errors.Is(err, partners.ErrUnknownPartner) ||
		(errors.As(err, &ae) && (ae.Status == 404 || ae.Status == 409)) {
		fmt.Fprintf(e.Stderr, "dockside: %v\n", err)
		return exitFail
	}
	if err != nil {
		return failed(e, err)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(e.Stderr, "dockside: %v\n", p)
	}
	if res.Empty {
		fmt.Fprintf(e.Stderr, "advice for %s: %s, nothing to tell (no advice with zero items is built or sent)\n", pos[0], res.Broadcast.Mode)
		return exitOK
	}
	body := res.X12
	if res.JSON != nil { // advice format json
		body = res.JSON
	}
	if *out != "" {
		if err := atomicfile.WriteFile(*out, body, 0o640); err != nil {
			return failed(e, err)
		}
	} else {
		e.Stdout.Write(body)
	}
	bc := res.Broadcast
	state := strings.ReplaceAll(string(bc.State), "_", " ")
	if bc.State == broadcast.StateNotSent {
		state += " (built only; --send queues it)"
	}
	fmt.Fprintf(e.Stderr, "advice %d for %s: %s, %d items, interchange %s, %s\n", bc.ID, bc.Partner, bc.Mode, bc.Items, bc.Interchange, state)
	return exitOK
}
