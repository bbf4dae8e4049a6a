// Command dockside is the Dockside EDI and file gateway: one binary that
// receives partners' files, validates and acknowledges X12, keeps the
// inventory ledger and sends inventory advice. This package is wiring only.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, newEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}
