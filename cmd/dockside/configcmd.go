package main

import (
	"context"
	"fmt"

	"go.yaml.in/yaml/v3"
)

func configCommand() *command {
	return &command{name: "config", summary: "check the configuration", subs: []*command{
		{name: "check", summary: "load the configuration and partner profiles and print the result", run: runConfigCheck},
	}}
}

func runConfigCheck(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "config check [--config FILE] [--partners DIR] [--data DIR]",
		"Loads the configuration (file, then DOCKSIDE_ environment overrides) and prints it as YAML.\n"+
			"Exit 0 when it is valid, 1 when it is not.")
	gf := addGatewayFlags(fs)
	if _, code, ok := parseArgs(e, fs, args); !ok {
		return code
	}
	cfg, err := gf.load(e)
	if err != nil {
		fmt.Fprintf(e.Stdout, "%v\n", err)
		return exitFail
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return exitUsage
	}
	e.Stdout.Write(out)
	return exitOK
}
