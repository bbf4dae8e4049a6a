package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// superuser is the role initdb creates; every test database belongs to it.
const superuser = "dockside"

// Server is one PostgreSQL server for a test package. The zero value is
// ready: the server starts at the first Database call.
type Server struct {
	once sync.Once
	err  error // why the server could not start

	mu     sync.Mutex
	dir    string // temporary folder: data, socket, log
	bin    string
	port   int
	opts   string              // the server's options, for a restart
	cred   *syscall.Credential // nil: run as ourselves
	admin  *pgx.Conn           // to the postgres database, for CREATE/DROP DATABASE
	nextDB int

	binDirs []string // where to look for the binaries (nil: the usual places)

	// The watchdog stops the server and removes its folder when its
	// stdin closes: at stop, or when the test process dies without
	// stopping (a test timeout's panic, SIGKILL), so no server outlives
	// its tests.
	watchdog     *exec.Cmd
	watchdogPipe io.WriteCloser
}

// Run runs the package's tests and stops the server, if one was started;
// it returns m.Run's exit code. Call it from TestMain.
func (s *Server) Run(m *testing.M) int {
	code := m.Run()
	if err := s.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Database creates an empty database for t, dropped when t ends, and
// returns its URL. Without PostgreSQL binaries it skips t (fails it when
// CI is set).
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	s.once.Do(func() { s.err = s.start() })
	if s.err != nil {
		if s.err == ErrNoPostgres && !inCI() {
			t.Skipf("%v: install PostgreSQL 15 or later (Debian: apt-get install postgresql) to run this test", s.err)
		}
		t.Fatalf("starting PostgreSQL: %v", s.err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		t.Fatalf("pgtest: the server is stopped (Stop without Start)")
	}
	s.nextDB++
	name := "t_" + strconv.Itoa(s.nextDB)
	ctx := context.Background()
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.admin == nil {
			return
		}
		if _, err := s.admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	return s.url(name)
}

func (s *Server) url(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, s.port, db)
}

func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

// start finds the binaries, runs initdb and starts the server.
func (s *Server) start() error {
	bin, err := findBin(s.binDirs)
	if err != nil {
		return err
	}
	s.bin = bin
	if s.dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if os.Geteuid() == 0 {
		if s.cred, err = unprivileged(); err != nil {
			return err
		}
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: handing %s to uid %d: %w", s.dir, s.cred.Uid, err)
		}
	}
	data := filepath.Join(s.dir, "data")
	if out, err := s.command("initdb", "-D", data, "-U", superuser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	// A free port can be taken between our check and the server's bind:
	// try a few.
	for try := 0; ; try++ {
		if s.port, err = freePort(); err != nil {
			return err
		}
		s.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=60", s.port, s.dir)
		out, err := s.command("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(s.dir, "log"), "-o", s.opts).CombinedOutput()
		if err == nil {
			break
		}
		if try == 2 {
			log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			return fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, tail(log))
		}
	}
	if err := s.startWatchdog(data); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.admin, err = pgx.Connect(ctx, s.url("postgres")); err != nil {
		return fmt.Errorf("pgtest: connecting: %w", err)
	}
	return nil
}

// Stop stops the server as an administrator's fast shutdown does: the
// sessions are ended and new connections refused until Start. The data
// stay. A test sees with it how its code meets a database gone away;
// while it is stopped, the databases of ended tests are not dropped.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return fmt.Errorf("pgtest: Stop: the server was not started")
	}
	if s.admin != nil {
		s.admin.Close(context.Background())
		s.admin = nil
	}
	if out, err := s.command("pg_ctl", "stop", "-w", "-m", "fast", "-D", filepath.Join(s.dir, "data")).CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Start starts a server that Stop stopped, on the same port.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" || s.admin != nil {
		return fmt.Errorf("pgtest: Start: the server was not stopped")
	}
	data := filepath.Join(s.dir, "data")
	if out, err := s.command("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(s.dir, "log"), "-o", s.opts).CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connecting: %w", err)
	}
	s.admin = admin
	return nil
}

// Close stops the server and removes its folder: for a Server of one
// test (Run does it for a package's).
func (s *Server) Close() error { return s.stop() }

// stop stops the server and removes its folder.
func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return nil
	}
	if s.admin != nil {
		s.admin.Close(context.Background())
		s.admin = nil
	}
	if s.watchdog != nil {
		s.watchdogPipe.Close()
		s.watchdog.Wait()
		s.watchdog = nil
	}
	var err error
	if _, statErr := os.Stat(filepath.Join(s.dir, "data", "postmaster.pid")); statErr == nil {
		if out, e := s.command("pg_ctl", "stop", "-w", "-m", "immediate", "-D", filepath.Join(s.dir, "data")).CombinedOutput(); e != nil {
			err = fmt.Errorf("pg_ctl stop: %w\n%s", e, out)
		}
	}
	if e := os.RemoveAll(s.dir); e != nil && err == nil {
		err = e
	}
	s.dir = ""
	return err
}

// startWatchdog starts a shell, as the server's user and in its own
// process group, that waits for its stdin to close, then stops the
// server and removes the folder.
func (s *Server) startWatchdog(data string) error {
	script := `read _; "$0/pg_ctl" stop -w -m immediate -D "$1" >/dev/null 2>&1; rm -rf "$2"`
	cmd := exec.Command("/bin/sh", "-c", script, s.bin, data, s.dir)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	w, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("pgtest: watchdog: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: watchdog: %w", err)
	}
	s.watchdog, s.watchdogPipe = cmd, w
	return nil
}

// command runs a PostgreSQL program as the server's user, in its own
// process group (a test's interrupt must not reach the server before
// Run stops it).
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	return cmd
}

// findBin returns the first of dirs that holds initdb, pg_ctl and
// postgres; nil dirs means $PGTEST_BIN, the newest Debian
// /usr/lib/postgresql/N/bin (15 or later), then the PATH.
func findBin(dirs []string) (string, error) {
	if dirs == nil {
		if d := os.Getenv("PGTEST_BIN"); d != "" {
			dirs = append(dirs, d)
		}
		for v := 20; v >= 15; v-- {
			dirs = append(dirs, fmt.Sprintf("/usr/lib/postgresql/%d/bin", v))
		}
		if p, err := exec.LookPath("initdb"); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	for _, d := range dirs {
		ok := true
		for _, prog := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(d, prog)); err != nil || fi.Mode()&0o111 == 0 {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

// unprivileged returns the user the server runs as when we are root:
// postgres (Debian's package creates it), else nobody.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, fmt.Errorf("pgtest: running as root and no postgres or nobody user to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of a server log.
func tail(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return bytes.Join(lines[max(0, len(lines)-20):], []byte("\n"))
}
