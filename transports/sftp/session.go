package sftp

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// session is one partner's SFTP session: it serves the request server's
// handlers on the partner's jail.
type session struct {
	s       *Server
	partner string
	user    string
	remote  string
	act     *activity
	log     *slog.Logger
	root    *os.Root // Root/<partner>
}

// serveSession answers the channel's requests: only the "sftp" subsystem
// is granted (no shell, no exec, no forwarding).
func (s *Server) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request, ses *session) {
	defer ch.Close()
	started := false
	for req := range reqs {
		ok := req.Type == "subsystem" && subsystem(req.Payload) == "sftp"
		req.Reply(ok, nil)
		if ok {
			started = true
			break
		}
	}
	if !started {
		return
	}
	go func() {
		for req := range reqs {
			req.Reply(false, nil)
		}
	}()
	root, err := s.openJail(ses.partner)
	if err != nil {
		ses.log.Error("sftp: opening the partner's folder", "err", err)
		return
	}
	defer root.Close()
	ses.root = root
	h := pkgsftp.Handlers{FileGet: ses, FilePut: ses, FileCmd: ses, FileList: ses}
	// The allocator reuses each request's packet buffer once its response
	// is sent, instead of leaving 32 KiB of garbage per packet: uploads
	// then spend their spare CPU on hashing, not on the garbage collector.
	// It needs handlers that keep no reference to the bytes they are given
	// or fill (upload and partial write them to the file at once; readers
	// fill the buffer and return). The upload tests check every byte and
	// hash with concurrent, out-of-order writes.
	rs := pkgsftp.NewRequestServer(ch, h, pkgsftp.WithStartDirectory("/"), pkgsftp.WithRSAllocator())
	if err := rs.Serve(); err != nil && !errors.Is(err, io.EOF) {
		ses.log.Debug("sftp session ended", "err", err)
	}
	rs.Close()
}

// subsystem decodes the name of a "subsystem" request (an SSH string).
func subsystem(payload []byte) string {
	if len(payload) < 4 {
		return ""
	}
	n := binary.BigEndian.Uint32(payload)
	if uint64(n) > uint64(len(payload)-4) {
		return ""
	}
	return string(payload[4 : 4+n])
}

// activity tracks when a connection last did something, for the idle
// timeout.
type activity struct {
	last atomic.Int64 // unix nanoseconds
	busy atomic.Int32 // handler calls in progress
}

func newActivity() *activity {
	a := &activity{}
	a.last.Store(time.Now().UnixNano())
	return a
}

func (a *activity) begin() {
	a.busy.Add(1)
	a.last.Store(time.Now().UnixNano())
}

func (a *activity) end() {
	a.last.Store(time.Now().UnixNano())
	a.busy.Add(-1)
}

// idleFor returns how long the connection has done nothing (0 while a
// handler runs).
func (a *activity) idleFor(now time.Time) time.Duration {
	if a.busy.Load() > 0 {
		return 0
	}
	return now.Sub(time.Unix(0, a.last.Load()))
}

// watchIdle closes conn when it stays idle for IdleTimeout; the returned
// function stops watching.
func (s *Server) watchIdle(conn *ssh.ServerConn, act *activity, log *slog.Logger) func() {
	stop := make(chan struct{})
	every := min(max(s.cfg.IdleTimeout/4, 10*time.Millisecond), 30*time.Second)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				if act.idleFor(now) >= s.cfg.IdleTimeout {
					log.Info("sftp: idle timeout; closing", "idle", s.cfg.IdleTimeout)
					conn.Close()
					return
				}
			}
		}
	}()
	return func() { close(stop) }
}
