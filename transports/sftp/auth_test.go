package sftp

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/authkeys"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

func TestCheckPassword(t *testing.T) {
	argon, err := hashArgon2id("s3cret", 64, 1, 1) // small: fast under -race
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	for _, tc := range []struct {
		name, hash, password string
		match, err           bool
	}{
		{"argon2id right", argon, "s3cret", true, false},
		{"argon2id wrong", argon, "s3cret!", false, false},
		{"bcrypt right", string(bc), "s3cret", true, false},
		{"bcrypt wrong", string(bc), "S3cret", false, false},
		{"clear text", "s3cret", "s3cret", false, true},
		{"empty", "", "", false, true},
		{"argon2 wrong version", strings.Replace(argon, "v=19", "v=16", 1), "s3cret", false, true},
		{"argon2 huge memory", strings.Replace(argon, "m=64", "m=4194304", 1), "s3cret", false, true},
		{"argon2 zero time", strings.Replace(argon, "t=1", "t=0", 1), "s3cret", false, true},
		{"argon2 unknown parameter", strings.Replace(argon, "p=1", "x=1", 1), "s3cret", false, true},
		{"argon2 bad salt", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAAAAAAAAAAAAAAAAAAAA", "s3cret", false, true},
		{"argon2 short", "$argon2id$v=19$m=64,t=1,p=1", "s3cret", false, true},
		{"bcrypt malformed", "$2b$10$short", "s3cret", false, true},
		{"bcrypt cost over the bound", "$2a$20$" + strings.Repeat("0", 53), "s3cret", false, true}, // FuzzCheckPassword: minutes a login
	} {
		match, err := CheckPassword(tc.hash, tc.password)
		if match != tc.match || (err != nil) != tc.err {
			t.Errorf("%s: match %v err %v", tc.name, match, err)
		}
	}
}

func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA", "pw")
	f.Add("$2b$04$abcdefghijklmnopqrstuu", "pw")
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$$", "pw")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		match, err := CheckPassword(hash, pw)
		if match && err != nil {
			t.Fatalf("match with an error: %v", err)
		}
	})
}

func TestHashPasswordDefaults(t *testing.T) {
	if raceEnabled {
		t.Skip("argon2id with 64 MiB is too slow under -race")
	}
	h, err := HashPassword("pw")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Fatalf("%q %v", h, err)
	}
	if ok, err := CheckPassword(h, "pw"); !ok || err != nil {
		t.Errorf("round trip: %v %v", ok, err)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFailures(func() time.Time { return clock })
	if d := f.delay("10.0.0.1", "acme"); d != 0 {
		t.Fatalf("delay before any failure: %v", d)
	}
	var last time.Duration
	for i := 1; i <= 10; i++ {
		f.fail("10.0.0.1", "acme")
		d := f.delay("10.0.0.1", "acme")
		if d < last || d > loginDelayMax || d == 0 {
			t.Fatalf("after %d failures: delay %v (before %v)", i, d, last)
		}
		last = d
	}
	if last != loginDelayMax {
		t.Errorf("delay after 10 failures is %v, want the cap %v", last, loginDelayMax)
	}
	if d := f.delay("10.0.0.2", "acme"); d != 0 {
		t.Errorf("another address is delayed: %v", d)
	}
	if d := f.delay("10.0.0.1", "other"); d != 0 {
		t.Errorf("another user is delayed: %v", d)
	}
	clock = clock.Add(loginForget + time.Second)
	if d := f.delay("10.0.0.1", "acme"); d != 0 {
		t.Errorf("failures not forgotten: %v", d)
	}
	f.fail("10.0.0.1", "acme")
	f.reset("10.0.0.1", "acme")
	if n := f.count("10.0.0.1", "acme"); n != 0 {
		t.Errorf("count after reset: %d", n)
	}
}

func TestFailureTableIsBounded(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFailures(func() time.Time { return clock })
	for i := range failureTableMax + 10 {
		f.fail(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String(), "x")
	}
	if n := len(f.m); n > failureTableMax {
		t.Errorf("table holds %d records", n)
	}
}

func TestLogins(t *testing.T) {
	e := startServer(t, nil, nil)
	e.srv.failures.base, e.srv.failures.max = time.Millisecond, 10*time.Millisecond // the delays are TestBackoff's
	good, wrong := newUser(t, "acme"), newUser(t, "acme")
	e.add(good, "acme")
	pw := "correct horse battery staple"
	hash, _ := hashArgon2id(pw, 64, 1, 1)
	e.accounts.set("pwuser", Account{Partner: "pwpartner", PasswordHash: hash})
	bc, _ := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	e.accounts.set("bcuser", Account{Partner: "bcpartner", PasswordHash: string(bc)})
	e.accounts.set("badpartner", Account{Partner: "../escape", Keys: []authkeys.Key{authkeys.Unrestricted(good.signer.PublicKey())}})

	login := func(user string, auth ssh.AuthMethod) error {
		cfg := e.clientConfig(good)
		cfg.User, cfg.Auth = user, []ssh.AuthMethod{auth}
		c, sc, err := e.dialConfig(cfg)
		if err == nil {
			c.Close()
			sc.Close()
		}
		return err
	}
	if err := login("acme", ssh.PublicKeys(good.signer)); err != nil {
		t.Errorf("right key: %v", err)
	}
	if err := login("pwuser", ssh.Password(pw)); err != nil {
		t.Errorf("right argon2id password: %v", err)
	}
	if err := login("bcuser", ssh.Password(pw)); err != nil {
		t.Errorf("right bcrypt password: %v", err)
	}
	for _, tc := range []struct {
		user string
		auth ssh.AuthMethod
	}{
		{"acme", ssh.PublicKeys(wrong.signer)},
		{"nobody", ssh.PublicKeys(good.signer)},
		{"pwuser", ssh.Password("wrong password")},
		{"nobody", ssh.Password(pw)},
		{"acme", ssh.Password(pw)}, // key-only account
		{"badpartner", ssh.PublicKeys(good.signer)},
	} {
		if err := login(tc.user, tc.auth); err == nil {
			t.Errorf("%s logged in with a wrong credential", tc.user)
		}
	}
	if n := e.srv.failures.count("127.0.0.1", "acme"); n != 2 {
		t.Errorf("acme's failures: %d, want 2 (wrong key, password on a key-only account)", n)
	}
	if n := e.srv.failures.count("127.0.0.1", "pwuser"); n != 1 {
		t.Errorf("pwuser's failures: %d, want 1", n)
	}
	// A success resets the count.
	if err := login("acme", ssh.PublicKeys(good.signer)); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.failures.count("127.0.0.1", "acme"); n != 0 {
		t.Errorf("acme's failures after a login: %d", n)
	}
	// Reloaded accounts apply to the next login.
	e.add(wrong, "acme")
	if err := login("acme", ssh.PublicKeys(wrong.signer)); err != nil {
		t.Errorf("new key after reload: %v", err)
	}
	if err := login("acme", ssh.PublicKeys(good.signer)); err == nil {
		t.Error("old key still works after reload")
	}

	logs := e.logs.String()
	if strings.Contains(logs, pw) || strings.Contains(logs, "wrong password") || strings.Contains(logs, hash) {
		t.Error("a password or hash reached the log")
	}
	for _, want := range []string{"sftp login", "sftp login failed", ssh.FingerprintSHA256(good.signer.PublicKey())} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
