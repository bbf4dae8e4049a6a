package main

import (
	"flag"
	"fmt"
	"log/slog"

	"github.com/dockside-edi/dockside/gateway"
)

// gatewayFlags are the flags every command that opens the data folder
// takes: --config, --partners and --data.
type gatewayFlags struct {
	config, partners, data *string
}

func addGatewayFlags(fs *flag.FlagSet) gatewayFlags {
	return gatewayFlags{
		config:   fs.String("config", "", "configuration `file` (default: the embedded demo configuration)"),
		partners: fs.String("partners", "", "partner profiles `folder` (overrides the configuration)"),
		data:     fs.String("data", "", "data `folder` (default ./dockside-data, or DOCKSIDE_DATA)"),
	}
}

// load reads the configuration with the flags applied over it.
func (f gatewayFlags) load(e *env) (*gateway.Config, error) {
	path := *f.config
	if path == "" {
		path = e.Getenv("DOCKSIDE_CONFIG")
	}
	cfg, err := gateway.LoadConfig(path, e.Getenv)
	if err != nil {
		return nil, err
	}
	if *f.partners != "" {
		cfg.Partners = *f.partners
	}
	if *f.data != "" || e.Getenv("DOCKSIDE_DATA") != "" || cfg.File == "" {
		cfg.Data = dataDir(e, *f.data)
	}
	return cfg, nil
}

// open loads the configuration and opens the gateway.
func (f gatewayFlags) open(e *env, log *slog.Logger) (*gateway.Gateway, error) {
	cfg, err := f.load(e)
	if err != nil {
		return nil, err
	}
	g, err := gateway.Open(cfg, &gateway.Options{Logger: log, Now: e.Now})
	if isLocked(err) {
		return nil, &dataInUseError{data: cfg.Data, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", cfg.Data, err)
	}
	return g, nil
}

// dataInUseError: another process (a running serve) holds the data
// folder's stores. It says what to do rather than which store file is
// locked, and wraps the lock error.
type dataInUseError struct {
	data string
	err  error
}

func (e *dataInUseError) Error() string {
	return fmt.Sprintf("the data folder %s is in use by another dockside process (a running serve?): "+
		"stop it first, or hand the files to serve (SFTP, AS2 or a watched folder)", e.data)
}

func (e *dataInUseError) Unwrap() error { return e.err }

// failed reports an error of a command that could not do its work and
// returns the usage/I-O exit code.
func failed(e *env, err error) int {
	fmt.Fprintf(e.Stderr, "dockside: %v\n", err)
	return exitUsage
}
