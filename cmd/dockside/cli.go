package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Exit codes shared by every command.
const (
	exitOK    = 0 // success
	exitFail  = 1 // the command ran and found a problem (rejected input, failed message)
	exitUsage = 2 // usage or I/O error
)

// env is what a command may touch of the outside world; tests replace it.
type env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

func newEnv() *env {
	return &env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now}
}

// command is one CLI command, or a group of sub-commands when subs is set.
type command struct {
	name    string
	summary string
	usage   string // usage line after "dockside "
	run     func(ctx context.Context, e *env, args []string) int
	subs    []*command
}

// commands lists the top-level commands. Add new ones here.
func commands() []*command {
	return []*command{
		x12Command(),
		partnersCommand(),
		stockCommand(), historyCommand(),
		ingestCommand(), messagesCommand(), outboxCommand(), ordersCommand(),
		serveCommand(), reloadCommand(), configCommand(), adviceCommand(),
		divergenceCommand(),
		migrateCommand(),
	}
}

func run(ctx context.Context, e *env, args []string) int {
	root := &command{name: "dockside", summary: "EDI and file gateway", subs: commands()}
	return root.dispatch(ctx, e, args, "dockside")
}

func (c *command) dispatch(ctx context.Context, e *env, args []string, path string) int {
	if c.subs == nil {
		return c.run(ctx, e, args)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 && args[0] == "help" {
			if sub := c.find(args[1]); sub != nil {
				return sub.dispatch(ctx, e, append(args[2:], "--help"), path+" "+sub.name)
			}
		}
		c.printHelp(e.Stdout, path)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub := c.find(args[0])
	if sub == nil {
		fmt.Fprintf(e.Stderr, "%s: unknown command %q\n\n", path, args[0])
		c.printHelp(e.Stderr, path)
		return exitUsage
	}
	return sub.dispatch(ctx, e, args[1:], path+" "+sub.name)
}

func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (c *command) printHelp(w io.Writer, path string) {
	fmt.Fprintf(w, "Usage: %s <command> [arguments]\n\n%s.\n\nCommands:\n", path, sentence(c.summary))
	subs := append([]*command(nil), c.subs...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	for _, s := range subs {
		fmt.Fprintf(w, "  %-12s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's options.\n", path)
}

// sentence is a summary (lower case, as listed) as the start of a sentence.
func sentence(summary string) string {
	if summary == "" || summary[0] < 'a' || summary[0] > 'z' {
		return summary
	}
	return strings.ToUpper(summary[:1]) + summary[1:]
}

// newFlags makes a flag set whose --help prints the command's usage line,
// summary and options.
func newFlags(e *env, usage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(usage, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dockside %s\n\n%s\n", usage, summary)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintln(fs.Output(), "\nOptions:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseArgs parses flags that may stand before, between or after the
// positional arguments ("validate a.edi --json"). It returns the positional
// arguments. ok is false when the command should exit with code.
func parseArgs(e *env, fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(e.Stdout)
			fs.Usage()
			return nil, exitOK, false
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		// "--" ends flag parsing: everything after it is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// dataDir returns the data folder: the --data flag, else DOCKSIDE_DATA,
// else ./dockside-data.
func dataDir(e *env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := strings.TrimSpace(e.Getenv("DOCKSIDE_DATA")); v != "" {
		return v
	}
	return "dockside-data"
}
