package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dockside-edi/dockside/partners"
)

// partnersCommand groups the commands about partner profiles. Add new
// sub-commands to its subs.
func partnersCommand() *command {
	return &command{
		name:    "partners",
		summary: "Check and inspect partner profiles",
		subs: []*command{
			partnersCheckCommand(),
			partnersTryCommand(),
		},
	}
}

// partnersDir returns the partner profiles folder: the --partners flag,
// else ./partners.
func partnersDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return "partners"
}

func partnersCheckCommand() *command {
	const (
		usage   = "partners check [--partners DIR]"
		summary = "Validate every partner profile of a folder. Exit 0 when all are valid (one summary line per partner), 1 with every problem listed on stdout, 2 on usage or I/O error."
	)
	return &command{
		name:    "check",
		summary: "Validate partner profiles and list every problem",
		usage:   usage,
		run: func(ctx context.Context, e *env, args []string) int {
			fs := newFlags(e, usage, summary)
			dir := fs.String("partners", "", "partner profiles `folder` (default ./partners)")
			pos, code, ok := parseArgs(e, fs, args)
			if !ok {
				return code
			}
			if len(pos) > 0 {
				fmt.Fprintf(e.Stderr, "dockside partners check: unexpected argument %q\n", pos[0])
				fs.Usage()
				return exitUsage
			}
			return checkPartners(e, partnersDir(*dir))
		},
	}
}

// checkPartners loads the profiles of dir and reports the outcome.
func checkPartners(e *env, dir string) int {
	d, err := partners.Load(dir)
	var le *partners.LoadError
	switch {
	case errors.As(err, &le):
		for _, pe := range le.Errs {
			fmt.Fprintln(e.Stdout, pe)
		}
		fmt.Fprintf(e.Stderr, "%s in %s\n", plural(len(le.Errs), "problem"), dir)
		return exitFail
	case errors.Is(err, partners.ErrNoProfiles):
		fmt.Fprintln(e.Stdout, err)
		return exitFail
	case err != nil:
		fmt.Fprintf(e.Stderr, "dockside partners check: %v\n", err)
		return exitUsage
	}
	for _, p := range d.Profiles() {
		writeProfileSummary(e.Stdout, p)
	}
	fmt.Fprintf(e.Stderr, "%s valid in %s\n", plural(d.Len(), "profile"), dir)
	return exitOK
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// writeProfileSummary writes one line about a profile: id, role, name,
// identities, transports, documents, acks and advice.
func writeProfileSummary(w io.Writer, p *partners.Profile) {
	var ids []string
	for _, isa := range p.Identities.ISA {
		ids = append(ids, "isa "+isa.String())
	}
	if p.Identities.AS2 != "" {
		ids = append(ids, "as2 "+p.Identities.AS2)
	}
	if p.Identities.SFTP != nil {
		ids = append(ids, "sftp "+p.Identities.SFTP.User)
	}
	var docs []string
	for _, d := range p.Documents {
		docs = append(docs, string(d.Type))
	}
	advice := "none"
	if a := p.Advice; a != nil {
		advice = fmt.Sprintf("%s 846 %q", a.Mode, a.Schedule.String())
	}
	fmt.Fprintf(w, "%s: %s %q; ids: %s; in: %s; out: %s; documents: %s; acks: %s; advice: %s\n",
		p.ID, p.Role, p.Name, orNone(ids), orNone(transportKinds(p.Transports.Inbound)),
		orNone(transportKinds(p.Transports.Outbound)), orNone(docs), p.Acks.Send, advice)
}

func transportKinds(ts []partners.Transport) []string {
	kinds := make([]string, len(ts))
	for i, t := range ts {
		kinds[i] = t.Kind()
	}
	return kinds
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
