package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockside-edi/dockside/inbox"
)

func ingestCommand() *command {
	return &command{name: "ingest", summary: "run the whole pipeline on files as if they had arrived", run: runIngest}
}

func runIngest(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "ingest --partner ID [--config FILE | --partners DIR] [--data DIR] FILE...",
		"Stores each FILE in the inbox as received from partner ID, then processes it: parse, validate,\n"+
			"map, post to the ledger, queue acknowledgements. Prints one line per file; a file over\n"+
			"max_file_size fails alone and the others go on.\n"+
			"Exit 0 when every file is done or a duplicate, 1 when any failed, 2 on usage or I/O errors.")
	partner := fs.String("partner", "", "the partner `id` the files come from (required)")
	gf := addGatewayFlags(fs)
	verbose := fs.Bool("v", false, "log what the pipeline does")
	files, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if *partner == "" || len(files) == 0 {
		fs.Usage()
		return exitUsage
	}
	if cfg, err := gf.load(e); err == nil {
		if c, err := runningServer(e, cfg.Data, cfg.HTTP.Listen); err == nil {
			// Said at once, rather than after waiting for the stores' locks.
			return failed(e, fmt.Errorf("serve (at %s) holds the data folder %s: stop it first, "+
				"or hand the files to it (SFTP, AS2 or a watched folder)", c.base, cfg.Data))
		}
	}
	g, err := gf.open(e, cliLogger(e, *verbose))
	if err != nil {
		return failed(e, err)
	}
	defer g.Close()
	if _, err := g.Partners().ByID(*partner); err != nil {
		return failed(e, err)
	}
	ids := make([]uint64, len(files)) // 0: refused, see refused
	refused := make([]error, len(files))
	for i, path := range files {
		m, err := receiveFile(ctx, g.Inbox, *partner, path)
		if errors.Is(err, inbox.ErrTooLarge) {
			// That file fails; the others go on.
			refused[i] = fmt.Errorf("file too large: over max_file_size (%d bytes); not stored", g.Config.MaxFileSize)
			continue
		}
		if err != nil {
			return failed(e, err)
		}
		ids[i] = m.ID
	}
	if err := g.Drain(ctx, g.Config.Workers); err != nil {
		return failed(e, err)
	}
	exit := exitOK
	for i, id := range ids {
		if refused[i] != nil {
			fmt.Fprintf(e.Stdout, "%s: failed (not received): %v\n", files[i], refused[i])
			exit = exitFail
			continue
		}
		m, err := g.Inbox.Get(id)
		if err != nil {
			return failed(e, err)
		}
		fmt.Fprintln(e.Stdout, ingestLine(files[i], m))
		for _, p := range m.Errors {
			fmt.Fprintf(e.Stdout, "  %s\n", problemLine(p))
		}
		if m.State != inbox.Done && m.State != inbox.Duplicate {
			exit = exitFail
		}
	}
	return exit
}

func receiveFile(ctx context.Context, in inbox.Storage, partner, path string) (*inbox.Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return in.Receive(ctx, inbox.Arrival{Partner: partner, Transport: "cli", Name: filepath.Base(path),
		Meta: map[string]string{"path": path}}, f)
}

// ingestLine is the one-line summary of a processed file.
func ingestLine(path string, m *inbox.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (message %d)", path, m.State, m.ID)
	if m.State == inbox.Duplicate {
		fmt.Fprintf(&b, ": duplicate of message %d, nothing posted", m.DuplicateOf)
		return b.String()
	}
	if r := m.Result; r != nil {
		fmt.Fprintf(&b, ": %d document(s), %d movements posted, %d duplicate movements", len(r.Documents), r.Movements, r.Duplicates)
		if r.Stale > 0 {
			fmt.Fprintf(&b, ", %d stale snapshots", r.Stale)
		}
		if r.Absorbed > 0 {
			fmt.Fprintf(&b, ", %d late movements already counted by a later snapshot", r.Absorbed)
		}
		if len(r.Acks) > 0 {
			fmt.Fprintf(&b, ", %d acknowledgement(s) queued", len(r.Acks))
		}
	}
	if len(m.Errors) > 0 {
		fmt.Fprintf(&b, ", %d error(s)", len(m.Errors))
	}
	return b.String()
}

func problemLine(p inbox.Problem) string {
	s := p.Msg
	if p.Code != "" {
		s = "(code " + p.Code + ") " + s
	}
	if p.Place != "" {
		s = p.Place + ": " + s
	}
	return s
}

// cliLogger logs to stderr: warnings only unless verbose.
func cliLogger(e *env, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: level}))
}
