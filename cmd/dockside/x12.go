package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/dockside-edi/dockside/edi/x12"
)

func x12Command() *command {
	return &command{name: "x12", summary: "validate, acknowledge and inspect X12 files", subs: []*command{
		{name: "validate", summary: "check envelopes and transaction sets against their specs", run: runX12Validate},
		{name: "ack", summary: "write the 997/999 (and TA1) acknowledging a file", run: runX12Ack},
		{name: "json", summary: "print the parsed documents as JSON", run: runX12JSON},
	}}
}

// checkFile validates one file; an error means it could not be read.
func checkFile(v x12.SetValidator, path string, each x12.SetFunc) (*x12.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return x12.Check(f, v, nil, each)
}

func runX12Validate(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "x12 validate [--json] FILE...",
		"Checks every interchange, group and transaction set of each FILE: envelopes, counts,\n"+
			"control numbers, and content against the embedded 846/850/856/940/943/944/945/947/997/999 specs.\n"+
			"Exit 0 when every set is accepted, 1 when any is rejected or an envelope is bad, 2 on usage or I/O errors.")
	asJSON := fs.Bool("json", false, "print one JSON document")
	files, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fs.Usage()
		return exitUsage
	}
	v, err := newSetValidator()
	if err != nil {
		fmt.Fprintf(e.Stderr, "dockside: loading specs: %v\n", err)
		return exitUsage
	}
	out := validationJSON{Files: []fileJSON{}}
	exit := exitOK
	for _, path := range files {
		if ctx.Err() != nil {
			return exitUsage
		}
		rep, err := checkFile(v, path, nil)
		if err != nil {
			fmt.Fprintf(e.Stderr, "dockside: %v\n", err)
			exit = exitUsage
			continue
		}
		if !rep.Accepted() && exit == exitOK {
			exit = exitFail
		}
		if *asJSON {
			out.Files = append(out.Files, reportJSON(path, rep))
		} else {
			printReport(e.Stdout, path, rep)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return exitUsage
		}
	}
	return exit
}

func runX12Ack(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "x12 ack [--kind 997|999|auto] [--ta1] [--control N] FILE",
		"Writes the acknowledgement interchange(s) for FILE to stdout, addressed back to the sender,\n"+
			"one per interchange: a TA1 when asked for (--ta1 or ISA14=1) or when the envelope is bad, and a\n"+
			"997 or 999 per functional group. Acknowledgements are never acknowledged.")
	kind := fs.String("kind", "auto", "997, 999, or auto (999 for 005010 groups, 997 otherwise)")
	ta1 := fs.Bool("ta1", false, "always include a TA1")
	control := fs.Int64("control", 1, "first control number for ISA13 and GS06")
	files, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	k := x12.AckKind(*kind)
	if k != x12.Ack997 && k != x12.Ack999 && k != x12.AckAuto {
		fmt.Fprintf(e.Stderr, "dockside: --kind must be 997, 999 or auto, not %q\n", *kind)
		return exitUsage
	}
	v, err := newSetValidator()
	if err != nil {
		fmt.Fprintf(e.Stderr, "dockside: loading specs: %v\n", err)
		return exitUsage
	}
	rep, err := checkFile(v, files[0], nil)
	if err != nil {
		return failed(e, err)
	}
	if len(rep.Interchanges) == 0 {
		fmt.Fprintf(e.Stderr, "dockside: %s: nothing to acknowledge: %v\n", files[0], rep.Err)
		return exitFail
	}
	n, err := x12.WriteAcks(e.Stdout, rep, x12.AckOptions{Kind: k, TA1: *ta1, Control: *control, Time: e.Now()})
	if err != nil {
		fmt.Fprintf(e.Stderr, "dockside: writing acknowledgement: %v\n", err)
		return exitUsage
	}
	if n == 0 {
		fmt.Fprintf(e.Stderr, "dockside: %s holds only acknowledgements; nothing to acknowledge\n", files[0])
	}
	return exitOK
}

func runX12JSON(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "x12 json FILE",
		"Prints the parsed documents of FILE as JSON: typed for 846, 850, 856, 940, 943, 944, 945 and 947,\n"+
			"generic segments otherwise.")
	files, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	v, err := newSetValidator()
	if err != nil {
		fmt.Fprintf(e.Stderr, "dockside: loading specs: %v\n", err)
		return exitUsage
	}
	doc, rep, err := documentsJSON(v, files[0])
	if err != nil {
		return failed(e, err)
	}
	enc := json.NewEncoder(e.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return exitUsage
	}
	if rep.Err != nil {
		fmt.Fprintf(e.Stderr, "dockside: %s: %v\n", files[0], rep.Err)
		return exitFail
	}
	return exitOK
}
