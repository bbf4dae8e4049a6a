package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/dockside-edi/dockside/gateway"
)

func serveCommand() *command {
	return &command{name: "serve", summary: "run the gateway", run: runServe}
}

func runServe(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "serve [--config FILE] [--partners DIR] [--data DIR]",
		"Runs the gateway: pipeline workers, the outbox, and the transports and web server the\n"+
			"configuration enables. With no configuration it runs the embedded demo: three example\n"+
			"partners and data in ./dockside-data. 'dockside reload' (POST /api/v1/reload) or a SIGHUP\n"+
			"to the PID in <data>/serve.pid reloads the partner profiles (a new partner's SFTP account,\n"+
			"AS2 identity, watched folder and advice schedule apply at once; invalid profiles are\n"+
			"reported and the old ones stay). SIGINT or SIGTERM stops it gracefully.")
	gf := addGatewayFlags(fs)
	if _, code, ok := parseArgs(e, fs, args); !ok {
		return code
	}
	log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	g, err := gf.open(e, log)
	if err != nil {
		return failed(e, err)
	}
	defer g.Close()
	cfg := g.Config
	profilesDir := cfg.Partners
	if profilesDir == "" {
		profilesDir = gateway.DemoPartnersDir(cfg.Data) // written by Open
	}
	log.Info("dockside serving", "data", cfg.Data, "partners", len(g.Partners().Profiles()), "partners_dir", profilesDir,
		"workers", cfg.Workers)
	pidFile, removePID, err := gateway.WritePIDFile(cfg.Data)
	if err != nil {
		return failed(e, err)
	}
	defer removePID()
	log.Info("reload the partner profiles with 'dockside reload', or kill -HUP the PID in the PID file", "pid_file", pidFile)
	t, err := g.BuildTransports()
	if err != nil {
		return failed(e, err)
	}
	if t.SFTP != nil {
		log.Info("sftp listening", "addr", cfg.SFTP.Listen)
	}
	services := t.Services()
	if cfg.HTTP.Listen != "" {
		station, err := g.BuildAS2(g.PublicURL() + "/as2")
		if err != nil {
			return failed(e, err)
		}
		defer station.Store.Close()
		t.Senders["as2"] = station.Sender
		res, err := g.OpenReservations(ctx)
		if err != nil {
			return failed(e, err)
		}
		defer res.Close()
		site, err := g.BuildWeb(res)
		if err != nil {
			return failed(e, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/as2", g.MeteredHandler("as2", g.AcceptingHandler(station.Handler)))
		mux.Handle("/", site.Handler())
		services = append(services, g.HTTPService(mux))
	}
	services = append(services, gateway.ServiceFunc(func(ctx context.Context) error {
		// SIGHUP reloads the partner profiles.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-hup:
				if err := g.ReloadPartnersBy(ctx, "SIGHUP"); err != nil {
					log.Error("reloading partner profiles; the old ones stay", "err", err)
				} else {
					log.Info("partner profiles reloaded", "partners", g.Partners().Len())
				}
			}
		}
	}))
	if err := g.Serve(ctx, t.Senders, services...); err != nil {
		fmt.Fprintf(e.Stderr, "dockside: %v\n", err)
		return exitFail
	}
	log.Info("dockside stopped")
	return exitOK
}
