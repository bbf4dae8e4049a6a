package sftp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/authkeys"
	"golang.org/x/crypto/ssh"
)

// Account is one partner's login on the server.
type Account struct {
	// Partner is the partner id; it names the jail folder Root/<Partner>.
	Partner string
	// Keys are the public keys that may log in, with the restrictions of
	// their authorized_keys options (from=, expiry-time=), checked at
	// every login; see [authkeys.Parse], and [authkeys.Unrestricted] for
	// a key without options.
	Keys []authkeys.Key
	// PasswordHash, when set, also allows password logins: a bcrypt
	// ($2a$, $2b$, $2y$) or argon2id ($argon2id$v=19$m=..,t=..,p=..$salt$hash)
	// hash.
	PasswordHash string
}

// Accounts finds the account of a login name. It is asked at every login,
// so that reloaded profiles apply to the next login.
type Accounts interface {
	Account(user string) (Account, bool)
}

// AccountsFunc adapts a function to Accounts.
type AccountsFunc func(user string) (Account, bool)

// Account calls f.
func (f AccountsFunc) Account(user string) (Account, bool) { return f(user) }

// Inbox stores received files; *inbox.Store satisfies it.
type Inbox interface {
	Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error)
}

// Adopter is an Inbox that can take over an upload the server wrote in
// the partner's folder, hashed while it arrived, instead of reading it
// again at close (an optional ability, like pkg/sftp's request
// interfaces); *inbox.Store has it. The server then writes uploads under
// a final name through an inbox.Incoming, and hands them over with Adopt.
type Adopter interface {
	Adopt(ctx context.Context, a inbox.Arrival, in *inbox.Incoming) (*inbox.Message, error)
}

// Gate is an Inbox that can tell it takes no files now (its storage does
// not answer): the server then refuses an upload when it is opened, with
// ErrNotAccepting, instead of taking bytes it cannot store (an optional
// ability, like Adopter). An upload under way when the inbox fails is
// still kept for the sweep (ErrNotStored).
type Gate interface {
	Accepting(ctx context.Context) error
}

// Pickups is told when a partner has downloaded a whole file from out/.
type Pickups interface {
	PickedUp(partner, name string)
}

// PickupsFunc adapts a function to Pickups.
type PickupsFunc func(partner, name string)

// PickedUp calls f.
func (f PickupsFunc) PickedUp(partner, name string) { f(partner, name) }

var (
	_ Accounts = AccountsFunc(nil)
	_ Pickups  = PickupsFunc(nil)
	_ Inbox    = (*inbox.Store)(nil)
	_ Adopter  = (*inbox.Store)(nil)
)

// Config configures a Server. Zero durations and sizes take the defaults
// given beside them.
type Config struct {
	// Listen is the address ListenAndServe listens on ("127.0.0.1:2022").
	Listen string
	// Root holds the partners' jails: Root/<partner>/in and out.
	Root string
	// HostKeyDir keeps the host keys, generated on first start.
	HostKeyDir string
	// MaxFileSize bounds one upload (default 1 GiB).
	MaxFileSize int64
	// MaxSessions bounds the SFTP sessions one partner has open at once,
	// over all its connections (default 10).
	MaxSessions int
	// IdleTimeout closes a connection with no SFTP request for that long
	// (default 10 min); a transfer in progress is not idle.
	IdleTimeout time.Duration
	// LoginTimeout bounds the handshake and authentication (default 30 s).
	LoginTimeout time.Duration
	// Logger receives login and transfer records (default slog.Default()).
	Logger *slog.Logger

	// Ciphers, when set, replaces the offered SSH ciphers (default:
	// DefaultCiphers). The client picks the first of its own list that the
	// server offers; OpenSSH's client prefers chacha20-poly1305, which Go
	// runs without assembly on amd64 (about half AES-GCM's speed, see
	// docs/performance.md). Offering only AES-GCM makes OpenSSH clients use
	// it, but refuses clients without it (paramiko, older PuTTY, JSch,
	// libssh2).
	Ciphers []string
	// SweepInterval is how often kept uploads in in/ are offered to the
	// inbox again (default 1 min).
	SweepInterval time.Duration
	// MaxHandshakes bounds the connections being authenticated at once;
	// more are closed at once (default 64).
	MaxHandshakes int
	// Out keeps the files partners pick up from out/ (default: the jails
	// on disk, NewDiskOut(Root)). A store that several servers share
	// (transports/sftp/postgres) lets a partner pick up through any of
	// them what any of them was sent.
	Out OutFolder
}

// Defaults.
const (
	DefaultMaxFileSize   = 1 << 30
	DefaultMaxSessions   = 10
	DefaultIdleTimeout   = 10 * time.Minute
	DefaultLoginTimeout  = 30 * time.Second
	DefaultSweepInterval = time.Minute
	DefaultMaxHandshakes = 64
)

// DefaultCiphers returns the ciphers the server offers by default,
// fastest first (AES-GCM uses the CPU's AES instructions); AES-CTR (with
// an HMAC) stays for older clients.
func DefaultCiphers() []string {
	return []string{
		ssh.CipherAES128GCM, ssh.CipherAES256GCM, ssh.CipherChaCha20Poly1305,
		ssh.CipherAES128CTR, ssh.CipherAES192CTR, ssh.CipherAES256CTR,
	}
}

func (c *Config) setDefaults() error {
	if c.Root == "" || c.HostKeyDir == "" {
		return fmt.Errorf("%w: Root and HostKeyDir are required", ErrConfig)
	}
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = DefaultLoginTimeout
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	if c.MaxHandshakes <= 0 {
		c.MaxHandshakes = DefaultMaxHandshakes
	}
	if len(c.Ciphers) == 0 {
		c.Ciphers = DefaultCiphers()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Out == nil {
		c.Out = NewDiskOut(c.Root)
	}
	return nil
}
