// Command benchserver runs the Dockside SFTP server for
// scripts/bench-sftp.sh: one account, a real inbox, until SIGTERM.
//
//	benchserver -data DIR -user NAME -key id.pub [-listen 127.0.0.1:0] [-ciphers a,b] [-cpuprofile FILE]
//
// It prints "listening ADDR" once it accepts connections and writes
// DIR/known_hosts for that address.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/authkeys"
	"github.com/dockside-edi/dockside/transports/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func main() {
	data := flag.String("data", "", "data folder")
	user := flag.String("user", "bench", "login name")
	keyFile := flag.String("key", "", "authorized public key file")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	ciphers := flag.String("ciphers", "", "comma-separated ciphers to offer (default: the server's)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchserver:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*data, *user, *keyFile, *listen, *ciphers); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(data, user, keyFile, listen, ciphers string) error {
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(raw)
	if err != nil {
		return err
	}
	in, err := inbox.Open(filepath.Join(data, "inbox"), &inbox.Options{MaxSize: 4 << 30})
	if err != nil {
		return err
	}
	defer in.Close()
	cfg := sftp.Config{Root: filepath.Join(data, "sftp"), HostKeyDir: filepath.Join(data, "hostkeys"), MaxFileSize: 4 << 30,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	if ciphers != "" {
		cfg.Ciphers = strings.Split(ciphers, ",")
	}
	accounts := sftp.AccountsFunc(func(u string) (sftp.Account, bool) {
		return sftp.Account{Partner: "bench", Keys: []authkeys.Key{authkeys.Unrestricted(key)}}, u == user
	})
	srv, err := sftp.New(cfg, accounts, in, nil)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	var kh strings.Builder
	for _, k := range srv.HostKeys() {
		kh.WriteString(knownhosts.Line([]string{knownhosts.Normalize(ln.Addr().String())}, k) + "\n")
	}
	if err := os.WriteFile(filepath.Join(data, "known_hosts"), []byte(kh.String()), 0o600); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println("listening", ln.Addr())
	return srv.Serve(ctx, ln)
}
