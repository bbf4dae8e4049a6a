package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/outbox"
)

func outboxCommand() *command {
	return &command{name: "outbox", summary: "list what Dockside sends and how far each message got", subs: []*command{
		{name: "list", summary: "list outbound messages, newest first", run: runOutboxList},
	}}
}

func runOutboxList(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "outbox list [--state S] [--partner P] [--json] [--data DIR]",
		"Lists outbound messages (acknowledgements, inventory advice) with their delivery and acknowledgement states.")
	state := fs.String("state", "", "only messages in this state (queued, sending, sent, delivered, failed, dead)")
	partner := fs.String("partner", "", "only this partner's messages")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	gf := addGatewayFlags(fs)
	if _, code, ok := parseArgs(e, fs, args); !ok {
		return code
	}
	f := outbox.Filter{State: outbox.State(*state), Partner: *partner, Limit: *limit}
	msgs, err := readStores(e, gf, "outbox list",
		func(c *apiClient) ([]*outbox.Message, error) { return remoteOutbox(ctx, c, f) },
		func(g *gateway.Gateway) ([]*outbox.Message, error) { return g.Outbox.List(f) })
	if err != nil {
		return failed(e, err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, nonNil(msgs))
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tPARTNER\tTRANSPORT\tKIND\tNAME\tSTATE\tATTEMPTS\tACK\tLAST ERROR")
	for _, m := range msgs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.Created.Format("2006-01-02 15:04:05"), m.Partner,
			m.Transport, m.Kind, m.Name, m.State, m.Attempts, m.AckState, m.LastError)
	}
	tw.Flush()
	return exitOK
}
