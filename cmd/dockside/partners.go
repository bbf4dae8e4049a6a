package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dockside-edi/dockside/examples"
	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/partners"
)

// partnersCommand groups the commands about partner profiles. Add new
// sub-commands to its subs.
func partnersCommand() *command {
	return &command{
		name:    "partners",
		summary: "check and inspect partner profiles",
		subs: []*command{
			partnersCheckCommand(),
			partnersTryCommand(),
		},
	}
}

// embeddedDemo names the embedded demo partners where a folder is said.
const embeddedDemo = "the embedded demo partners"

// profilesSource finds the partner profiles serve would use: the
// --partners flag, else the configuration's folder, else the demo
// partners serve writes into the data folder (<data>/demo-partners), else,
// before serve first ran, the embedded demo partners. It returns the
// profiles' folder (or embeddedDemo) and how to load them.
func profilesSource(e *env, gf gatewayFlags) (string, func() (*partners.Directory, error), error) {
	cfg, err := gf.load(e)
	if err != nil {
		return "", nil, err
	}
	dir := cfg.Partners
	if dir == "" {
		dir = gateway.DemoPartnersDir(cfg.Data)
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return embeddedDemo, func() (*partners.Directory, error) { return partners.LoadFS(examples.Partners, "partners") }, nil
		}
	}
	return dir, func() (*partners.Directory, error) { return partners.Load(dir) }, nil
}

func partnersCheckCommand() *command {
	const (
		usage   = "partners check [--partners DIR | --config FILE] [--data DIR]"
		summary = "Validate every partner profile of a folder: the one serve uses (--partners, else the\n" +
			"configuration's, else the demo partners in <data>/demo-partners, else the embedded demo\n" +
			"partners). Exit 0 when all are valid (one summary line per partner), 1 with every problem\n" +
			"listed on stdout, 2 on usage or I/O error. The folder checked is said on stderr."
	)
	return &command{
		name:    "check",
		summary: "validate partner profiles and list every problem",
		usage:   usage,
		run: func(ctx context.Context, e *env, args []string) int {
			fs := newFlags(e, usage, summary)
			gf := addGatewayFlags(fs)
			pos, code, ok := parseArgs(e, fs, args)
			if !ok {
				return code
			}
			if len(pos) > 0 {
				fmt.Fprintf(e.Stderr, "dockside partners check: unexpected argument %q\n", pos[0])
				fs.Usage()
				return exitUsage
			}
			dir, load, err := profilesSource(e, gf)
			if err != nil {
				return failed(e, err)
			}
			return checkPartners(e, dir, load)
		},
	}
}

// checkPartners loads the profiles of dir and reports the outcome.
func checkPartners(e *env, dir string, load func() (*partners.Directory, error)) int {
	d, err := load()
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
		what := "846"
		if a.Format == partners.AdviceJSON {
			what = "JSON advice"
		}
		advice = fmt.Sprintf("%s %s %q", a.Mode, what, a.Schedule.String())
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
