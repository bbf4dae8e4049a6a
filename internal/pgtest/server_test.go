package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var pg Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// TestDatabases: each test gets its own empty database on one server,
// which runs as a user other than root.
func TestDatabases(t *testing.T) {
	ctx := context.Background()
	var names []string
	for i := range 2 {
		url := pg.Database(t)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var db string
		var tables int
		if err := conn.QueryRow(ctx, "SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')").Scan(&db, &tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("database %d: %d tables in a new database", i, tables)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE mine (x int)"); err != nil {
			t.Fatal(err)
		}
		names = append(names, db)
	}
	if names[0] == names[1] {
		t.Errorf("two tests share database %s", names[0])
	}
	fi, err := os.Stat(pg.dir + "/data")
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 && fi.Sys() != nil {
		if pg.cred == nil || pg.cred.Uid == 0 {
			t.Errorf("server runs as root")
		}
	}
}

// TestDatabaseDropped: a test's database is gone after the test.
func TestDatabaseDropped(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) { url = pg.Database(t) })
	if t.Skipped() || url == "" {
		return
	}
	ctx := context.Background()
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Errorf("database %s still there after its test", url)
	}
}

// TestNoBinaries: without PostgreSQL a test is skipped (outside CI) with
// a message that says what to install.
func TestNoBinaries(t *testing.T) {
	if inCI() {
		t.Skip("in CI a missing PostgreSQL fails the test instead")
	}
	s := &Server{binDirs: []string{t.TempDir()}}
	var ran bool
	t.Run("inner", func(t *testing.T) {
		s.Database(t)
		ran = true
	})
	if ran {
		t.Errorf("Database returned without binaries")
	}
	if s.err != ErrNoPostgres {
		t.Errorf("error %v, want ErrNoPostgres", s.err)
	}
	if err := s.stop(); err != nil {
		t.Error(err)
	}
}

// TestServerDiesWithItsTests: a test binary killed without stopping its
// server (a timeout's panic, SIGKILL) leaves no server and no folder.
func TestServerDiesWithItsTests(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") == "1" {
		// The child: start a server, print its folder, die hard.
		var s Server
		s.Database(t)
		fmt.Println("DIR", s.dir)
		os.Stdout.Sync()
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	if _, err := findBin(nil); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestServerDiesWithItsTests$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGTEST_CHILD=1")
	out, _ := cmd.Output()
	var dir string
	for _, line := range strings.Split(string(out), "\n") {
		if d, ok := strings.CutPrefix(line, "DIR "); ok {
			dir = d
		}
	}
	if dir == "" {
		t.Fatalf("the child started no server: %s", out)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return
		}
	}
	t.Errorf("%s still there after its test process died", dir)
}

// TestStopStart: a stopped server refuses connections and, started
// again, serves the same databases on the same URL.
func TestStopStart(t *testing.T) {
	ctx := context.Background()
	url := pg.Database(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if c, err := pgx.Connect(ctx, url); err == nil {
		c.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var x int
	if err := conn.QueryRow(ctx, "SELECT x FROM kept").Scan(&x); err != nil || x != 7 {
		t.Errorf("after the restart: %d %v", x, err)
	}
}
