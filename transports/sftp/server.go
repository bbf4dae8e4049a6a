package sftp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Server is the SFTP server partners log in to.
type Server struct {
	cfg      Config
	accounts Accounts
	inbox    Inbox
	adopter  Adopter // the inbox, when it can adopt uploads; or nil
	gate     Gate    // the inbox, when it can refuse files; or nil
	pickups  Pickups
	out      OutFolder
	log      *slog.Logger

	hostKeys      []ssh.Signer
	dummyHash     []byte // see dummyHash
	failures      *failures
	passwordSlots chan struct{}
	handshakes    chan struct{}
	done          chan struct{} // closed when serving ends
	doneOnce      sync.Once

	mu       sync.Mutex
	addr     net.Addr
	conns    map[*ssh.ServerConn]struct{}
	sessions map[string]int // open SFTP sessions per partner
	wg       sync.WaitGroup
}

// New returns a server; it loads (or generates, on first start) the host
// keys. pickups may be nil.
func New(cfg Config, accounts Accounts, in Inbox, pickups Pickups) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if accounts == nil || in == nil {
		return nil, fmt.Errorf("%w: accounts and inbox are required", ErrConfig)
	}
	if pickups == nil {
		pickups = PickupsFunc(func(string, string) {})
	}
	if err := os.MkdirAll(cfg.Root, 0o750); err != nil {
		return nil, fmt.Errorf("sftp: %w", err)
	}
	keys, err := loadHostKeys(cfg.HostKeyDir)
	if err != nil {
		return nil, err
	}
	adopter, _ := in.(Adopter)
	gate, _ := in.(Gate)
	return &Server{
		cfg: cfg, accounts: accounts, inbox: in, adopter: adopter, gate: gate, pickups: pickups, out: cfg.Out, log: cfg.Logger,
		hostKeys: keys, dummyHash: []byte(dummyHash), failures: newFailures(time.Now),
		passwordSlots: make(chan struct{}, max(1, runtime.NumCPU())),
		handshakes:    make(chan struct{}, cfg.MaxHandshakes),
		done:          make(chan struct{}),
		conns:         map[*ssh.ServerConn]struct{}{},
		sessions:      map[string]int{},
	}, nil
}

// HostKeys returns the server's public host keys (ed25519, then RSA), for
// known_hosts lines.
func (s *Server) HostKeys() []ssh.PublicKey {
	out := make([]ssh.PublicKey, len(s.hostKeys))
	for i, k := range s.hostKeys {
		out[i] = k.PublicKey()
	}
	return out
}

// Addr returns the address the server listens on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ListenAndServe listens on Config.Listen and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx ends, then closes ln and every
// connection, waits for the transfers being handed to the inbox, and
// returns nil. A Server serves once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	s.cleanIncoming()
	s.wg.Add(1)
	go s.sweepLoop(ctx)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	for {
		var c net.Conn
		if c, err = ln.Accept(); err != nil {
			if ctx.Err() != nil {
				err = nil
				break
			}
			var ne net.Error
			if (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				s.log.Warn("sftp: accept", "err", err)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			err = fmt.Errorf("sftp: accept: %w", err)
			break
		}
		select {
		case s.handshakes <- struct{}{}:
		default:
			s.log.Warn("sftp: too many connections logging in; closing one", "remote", c.RemoteAddr().String())
			c.Close()
			continue
		}
		s.wg.Add(1)
		go s.serveConn(c)
	}
	ln.Close()
	s.shutdown()
	s.wg.Wait()
	return err
}

// shutdown closes every connection.
func (s *Server) shutdown() {
	s.doneOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// serveConn authenticates a connection and serves its sessions.
func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer logPanic(s.log.With("remote", c.RemoteAddr().String()), "connection")
	ip := remoteIP(c.RemoteAddr())
	addr, _ := netip.ParseAddr(ip)
	l := &login{s: s, ip: ip, addr: addr}
	c.SetDeadline(time.Now().Add(s.cfg.LoginTimeout))
	conn, chans, reqs, err := ssh.NewServerConn(c, s.sshConfig(l))
	<-s.handshakes
	if err != nil {
		l.failed(err)
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	partner, user := conn.Permissions.Extensions[extPartner], conn.User()
	s.failures.reset(ip, user)
	log := s.log.With("partner", partner, "user", user, "remote", c.RemoteAddr().String())
	log.Info("sftp login", "method", conn.Permissions.Extensions[extMethod], "key", conn.Permissions.Extensions[extKey],
		"client", string(conn.ClientVersion()))
	if !s.track(conn) {
		conn.Close()
		return
	}
	defer s.untrack(conn)
	go ssh.DiscardRequests(reqs)

	act := newActivity()
	stopIdle := s.watchIdle(conn, act, log)
	defer stopIdle()
	var sessions sync.WaitGroup
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		if !s.openSession(partner) {
			log.Warn("sftp: session refused: too many sessions", "max", s.cfg.MaxSessions)
			nc.Reject(ssh.ResourceShortage, "too many sessions for this account")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			s.closeSession(partner)
			continue
		}
		sessions.Add(1)
		go func() {
			defer sessions.Done()
			defer s.closeSession(partner)
			defer logPanic(log, "session")
			s.serveSession(ch, creqs, &session{s: s, partner: partner, user: user, remote: c.RemoteAddr().String(), act: act, log: log})
		}()
	}
	conn.Close()
	sessions.Wait()
	log.Info("sftp logout")
}

// track registers a connection for shutdown; false when shutting down.
func (s *Server) track(c *ssh.ServerConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return false
	default:
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *ssh.ServerConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

func (s *Server) openSession(partner string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[partner] >= s.cfg.MaxSessions {
		return false
	}
	s.sessions[partner]++
	return true
}

func (s *Server) closeSession(partner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[partner]--; s.sessions[partner] <= 0 {
		delete(s.sessions, partner)
	}
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
