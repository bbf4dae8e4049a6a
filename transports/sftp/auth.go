package sftp

import (
	"crypto/subtle"
	"errors"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// Permission extensions set at login.
const (
	extPartner = "dockside-partner"
	extMethod  = "dockside-method"
	extKey     = "dockside-key" // SHA256 fingerprint of the login key
)

// errLoginRejected is what a rejected client is told, whatever the cause
// (unknown user, wrong key, wrong password), so that users cannot be
// enumerated.
var errLoginRejected = errors.New("login rejected")

// login is the authentication state of one connection.
type login struct {
	s    *Server
	ip   string
	addr netip.Addr // the client's address, for from= (invalid: matches no from=)

	mu       sync.Mutex
	rejected map[string]bool // users whose key or name was rejected here
}

// dummyHash is a bcrypt hash (cost 10) of random bytes nobody kept: it is
// checked when a password login names an unknown user, so that the
// answer takes as long as for a known one.
const dummyHash = "$2a$10$DA7wUAxPffye8CumR5hb/uzsFiUdtqVPYL2NKY3gG/jYcd1icTHai"

// sshConfig returns the SSH configuration of one connection.
func (s *Server) sshConfig(l *login) *ssh.ServerConfig {
	c := &ssh.ServerConfig{
		Config:            ssh.Config{Ciphers: s.cfg.Ciphers},
		MaxAuthTries:      6,
		PublicKeyCallback: l.publicKey,
		PasswordCallback:  l.password,
		ServerVersion:     "SSH-2.0-Dockside",
	}
	for _, k := range s.hostKeys {
		c.AddHostKey(k)
	}
	return c
}

func (l *login) publicKey(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	user := c.User()
	l.wait(user)
	if a, ok := l.s.accounts.Account(user); ok && validPartner(a.Partner) {
		offered := key.Marshal()
		var refusal error
		for _, k := range a.Keys {
			if k.PublicKey == nil || subtle.ConstantTimeCompare(k.PublicKey.Marshal(), offered) != 1 {
				continue
			}
			// Like sshd, a line whose options refuse the login does not
			// stop a later line holding the same key from allowing it.
			if err := k.Permit(l.addr, time.Now()); err != nil {
				refusal = err
				continue
			}
			return permissions(a.Partner, "publickey", ssh.FingerprintSHA256(key)), nil
		}
		if refusal != nil {
			l.s.log.Warn("sftp key refused by its options", "user", user, "partner", a.Partner, "remote", l.ip,
				"key", ssh.FingerprintSHA256(key), "reason", refusal.Error())
		}
	}
	// Clients offer their keys one by one: a rejected key is counted once
	// per connection, when the handshake fails.
	l.mu.Lock()
	if l.rejected == nil {
		l.rejected = map[string]bool{}
	}
	l.rejected[user] = true
	l.mu.Unlock()
	return nil, errLoginRejected
}

func (l *login) password(c ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	user := c.User()
	l.wait(user)
	a, ok := l.s.accounts.Account(user)
	l.s.passwordSlots <- struct{}{} // hashes are slow and argon2 is big: a few at a time
	var match bool
	var err error
	if ok && a.PasswordHash != "" && validPartner(a.Partner) {
		match, err = CheckPassword(a.PasswordHash, string(password))
	} else {
		bcrypt.CompareHashAndPassword(l.s.dummyHash, password)
	}
	<-l.s.passwordSlots
	if err != nil {
		l.s.log.Error("sftp: unusable password hash in account", "user", user, "partner", a.Partner, "err", err)
	}
	if match {
		return permissions(a.Partner, "password", ""), nil
	}
	n := l.s.failures.fail(l.ip, user)
	l.s.log.Warn("sftp login failed", "user", user, "remote", l.ip, "method", "password", "failures", n)
	return nil, errLoginRejected
}

// failed records a failed handshake: every user whose key or name was
// rejected counts one failure.
func (l *login) failed(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for user := range l.rejected {
		n := l.s.failures.fail(l.ip, user)
		l.s.log.Warn("sftp login failed", "user", user, "remote", l.ip, "method", "publickey", "failures", n, "err", err)
	}
}

// wait delays an attempt after earlier failures of ip as user.
func (l *login) wait(user string) {
	d := l.s.failures.delay(l.ip, user)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.s.done:
	}
}

func permissions(partner, method, key string) *ssh.Permissions {
	return &ssh.Permissions{Extensions: map[string]string{extPartner: partner, extMethod: method, extKey: key}}
}
