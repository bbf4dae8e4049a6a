package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/inbox"
)

func messagesCommand() *command {
	return &command{name: "messages", summary: "list, show and replay received messages", subs: []*command{
		{name: "list", summary: "list messages, newest first", run: runMessagesList},
		{name: "show", summary: "show one message with its errors and results", run: runMessagesShow},
		{name: "replay", summary: "process a failed message again (after a profile fix)", run: runMessagesReplay},
	}}
}

func runMessagesList(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "messages list [--state S] [--partner P] [--json] [--data DIR]",
		"Lists the messages in the inbox, newest first.")
	state := fs.String("state", "", "only messages in this state (received, processing, done, failed, duplicate)")
	partner := fs.String("partner", "", "only this partner's messages")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	gf := addGatewayFlags(fs)
	if _, code, ok := parseArgs(e, fs, args); !ok {
		return code
	}
	f := inbox.Filter{State: inbox.State(*state), Partner: *partner, Limit: *limit}
	msgs, err := readStores(e, gf, "messages list",
		func(c *apiClient) ([]*inbox.Message, error) { return remoteMessages(ctx, c, f) },
		func(g *gateway.Gateway) ([]*inbox.Message, error) { return g.Inbox.List(f) })
	if err != nil {
		return failed(e, err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, nonNil(msgs))
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tPARTNER\tTRANSPORT\tNAME\tSTATE\tATTEMPTS\tMOVEMENTS\tERRORS")
	for _, m := range msgs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", m.ID, m.ReceivedAt.Format("2006-01-02 15:04:05"), m.Partner,
			m.Transport, m.Name, m.State, m.Attempts, resultMovements(m.Result), len(m.Errors))
	}
	tw.Flush()
	return exitOK
}

func resultMovements(r *inbox.Result) int {
	if r == nil {
		return 0
	}
	return r.Movements
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return exitUsage
	}
	return exitOK
}

// messageID parses the one ID argument of show and replay.
func messageID(e *env, pos []string, usage func()) (uint64, bool) {
	if len(pos) != 1 {
		usage()
		return 0, false
	}
	id, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil {
		fmt.Fprintf(e.Stderr, "dockside: %q is not a message id\n", pos[0])
		return 0, false
	}
	return id, true
}

func runMessagesShow(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "messages show ID [--data DIR]", "Shows one message: its record, errors with their places, and results, as JSON.")
	gf := addGatewayFlags(fs)
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	id, ok := messageID(e, pos, fs.Usage)
	if !ok {
		return exitUsage
	}
	m, err := readStores(e, gf, "messages show",
		func(c *apiClient) (*inbox.Message, error) { return remoteMessage(ctx, c, id) },
		func(g *gateway.Gateway) (*inbox.Message, error) { return g.Inbox.Get(id) })
	var ae *apiError
	if errors.Is(err, inbox.ErrNotFound) || (errors.As(err, &ae) && ae.Status == 404) {
		fmt.Fprintf(e.Stderr, "dockside: %v\n", err)
		return exitFail
	}
	if err != nil {
		return failed(e, err)
	}
	return writeJSON(e.Stdout, m)
}

func runMessagesReplay(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "messages replay ID [--config FILE | --partners DIR] [--data DIR]",
		"Puts a failed message back in the queue and processes it again with the current profiles\n"+
			"(while serve runs, serve does it: POST /api/v1/messages/ID/replay, which reloads the profiles\n"+
			"first). Exit 0 when it is now done, 1 when it failed again or cannot be replayed.")
	gf := addGatewayFlags(fs)
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	id, ok := messageID(e, pos, fs.Usage)
	if !ok {
		return exitUsage
	}
	var refused error // the message cannot be replayed: exit 1
	m, err := readStores(e, gf, "messages replay",
		func(c *apiClient) (*inbox.Message, error) {
			m, err := remoteReplay(ctx, c, id)
			var ae *apiError
			if errors.As(err, &ae) && (ae.Status == 404 || ae.Status == 409 || ae.Status == 422) {
				refused = err
			}
			return m, err
		},
		func(g *gateway.Gateway) (*inbox.Message, error) {
			if _, err := g.Inbox.Replay(id); err != nil {
				refused = err
				return nil, err
			}
			if err := g.Drain(ctx, 1); err != nil {
				return nil, err
			}
			return g.Inbox.Get(id)
		})
	if refused != nil {
		fmt.Fprintf(e.Stderr, "dockside: %v\n", refused)
		return exitFail
	}
	if err != nil {
		return failed(e, err)
	}
	if m.State == inbox.Received || m.State == inbox.Processing {
		fmt.Fprintf(e.Stdout, "%s: still being processed by serve; see messages show %d\n", m.Name, m.ID)
		return exitOK
	}
	fmt.Fprintln(e.Stdout, ingestLine(m.Name, m))
	for _, p := range m.Errors {
		fmt.Fprintf(e.Stdout, "  %s\n", problemLine(p))
	}
	if m.State != inbox.Done && m.State != inbox.Duplicate {
		return exitFail
	}
	return exitOK
}
