package sftp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// cleanIncoming removes the uploads a previous run left in progress: their
// clients never had a successful close, so they send them again.
func (s *Server) cleanIncoming() {
	for _, partner := range s.partnerDirs() {
		dir := filepath.Join(s.cfg.Root, partner, incoming)
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// partnerDirs lists the partner folders under Root.
func (s *Server) partnerDirs() []string {
	entries, err := os.ReadDir(s.cfg.Root)
	if err != nil {
		s.log.Error("sftp: listing partner folders", "err", err)
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && validPartner(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// sweepLoop offers kept uploads to the inbox at start and every
// SweepInterval.
func (s *Server) sweepLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		s.sweepRecovered(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepRecovered is Sweep, with a panic logged: the next sweep comes.
func (s *Server) sweepRecovered(ctx context.Context) {
	defer logPanic(s.log, "sweep")
	s.Sweep(ctx)
}

// Sweep offers every file with a final name left in a partner's in/ (an
// upload the inbox did not store at the time) to the inbox, and removes
// those it stores. Temporary names wait for their rename.
func (s *Server) Sweep(ctx context.Context) {
	for _, partner := range s.partnerDirs() {
		if ctx.Err() != nil {
			return
		}
		s.sweepPartner(ctx, partner)
	}
}

func (s *Server) sweepPartner(ctx context.Context, partner string) {
	root, err := os.OpenRoot(filepath.Join(s.cfg.Root, partner))
	if err != nil {
		s.log.Error("sftp: sweep", "partner", partner, "err", err)
		return
	}
	defer root.Close()
	d, err := root.Open(areaIn)
	if err != nil {
		return
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return
	}
	ses := &session{s: s, partner: partner, root: root, act: newActivity(), log: s.log.With("partner", partner, "sweep", true)}
	for _, e := range entries {
		if !e.Type().IsRegular() || isTempName(e.Name()) || !validName(e.Name()) {
			continue
		}
		pl := place{areaIn, e.Name()}
		f, fi, err := openRegular(root, pl.rel(), os.O_RDONLY)
		if err != nil {
			continue
		}
		_, err = ses.handoff(ctx, pl.name, f, fi.Size(), "sweep")
		f.Close()
		if err == nil {
			root.Remove(pl.rel())
		} else if errors.Is(err, inbox.ErrTooLarge) {
			// The inbox's limit is below MaxFileSize: it never will be stored.
			s.log.Error("sftp: kept upload too large for the inbox; removed", "partner", partner, "file", pl.String(), "size", fi.Size())
			root.Remove(pl.rel())
		}
	}
}
