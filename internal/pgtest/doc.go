// Package pgtest starts a real PostgreSQL server for a package's tests:
// the Debian (or any installed) PostgreSQL 15+ binaries, initdb and pg_ctl
// in a temporary folder, a free loopback port and a unix socket in the same
// folder. No Docker, no downloads.
//
// One server per test package, started by the first test that asks for a
// database and stopped by TestMain; one database per test, dropped when the
// test ends:
//
//	var pg pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		url := pg.Database(t) // postgres://…/t_1
//	}
//
// PostgreSQL refuses to run as root, and tests run as root in CI: the
// server then runs as the system's postgres user, or nobody when there is
// none, and the temporary folder is handed to that user.
//
// Without PostgreSQL binaries, Database skips the test with a message that
// says what to install, except when CI is set (CI=true): then it fails, so
// that a CI machine without PostgreSQL cannot pass by skipping.
package pgtest
