package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/authkeys"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/transports/folder"
	"github.com/dockside-edi/dockside/transports/sftp"
	"github.com/dockside-edi/dockside/transports/webhook"
	"golang.org/x/crypto/ssh"
)

// Transports are the listeners and senders built from the configuration
// and the partner profiles.
type Transports struct {
	g       *Gateway
	SFTP    *sftp.Server    // nil when disabled
	Folders *folder.Watcher // the partners' inbound folders, followed across reloads

	foldersFrom <-chan struct{} // closed at the first reload after Folders was built
	Senders     map[string]outbox.Sender
}

// Services returns the transports' listeners to run beside the pipeline.
func (t *Transports) Services() []Service {
	var s []Service
	if t.SFTP != nil {
		s = append(s, t.g.sftpService(t.SFTP.Serve))
	}
	if t.Folders != nil {
		s = append(s, ServiceFunc(t.Folders.Run), ServiceFunc(t.followFolders))
	}
	return s
}

// followFolders gives the watcher the partners' folders again after each
// reload of the profiles: a partner added with a folder is watched without
// a restart.
func (t *Transports) followFolders(ctx context.Context) error {
	reloaded := t.foldersFrom
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reloaded:
			// The next reload's channel before the profiles it follows.
			reloaded = t.g.partnersReloaded()
			if err := t.Folders.SetDirs(t.g.watchDirs()); err != nil {
				t.g.log.Error("watched folders after the reload; the old ones stay", "err", err)
			}
		}
	}
}

// BuildTransports builds the SFTP server, the watched folders and the
// outbound senders. Finished messages that came from a watched folder are
// settled there (archive/ or failed/).
func (g *Gateway) BuildTransports() (*Transports, error) {
	t := &Transports{g: g, Senders: map[string]outbox.Sender{}}
	if g.Config.SFTP.Listen != "" {
		srv, err := g.sftpServer()
		if err != nil {
			return nil, fmt.Errorf("sftp: %w", err)
		}
		t.SFTP = srv
		t.Senders["sftp"] = srv.Sender()
	}
	t.Senders[sftp.PushTransport] = sftp.NewPushSender(g.pushTarget)
	t.Senders[folder.Transport] = folder.NewDropper(g.dropTarget)
	t.Senders[webhook.Transport] = g.webhookSender()
	t.foldersFrom = g.partnersReloaded() // before the profiles the watcher is built from
	w, err := g.folderWatcher()
	if err != nil {
		return nil, err
	}
	t.Folders = w
	return t, nil
}

// folderWatcher builds the watcher of the partners' inbound folders,
// even when none has one (a reload may add one), and settles finished
// messages that came from it.
func (g *Gateway) folderWatcher() (*folder.Watcher, error) {
	w, err := folder.New(folder.Config{Dirs: g.watchDirs(), Rescan: g.Config.Folders.Rescan, Logger: g.log}, acceptingInbox{g})
	if err != nil {
		return nil, fmt.Errorf("watched folders: %w", err)
	}
	g.OnFinish(func(m *inbox.Message, o inbox.Outcome) {
		if m.Transport != folder.Transport {
			return
		}
		if err := w.Settle(m.Meta, o.State == inbox.Done || o.State == inbox.Duplicate); err != nil {
			g.log.Warn("settling a watched file", "message", m.ID, "err", err)
		}
	})
	return w, nil
}

// sftpServer builds the SFTP server with one account per partner.
func (g *Gateway) sftpServer() (*sftp.Server, error) {
	c := g.Config.SFTP
	root := c.Root
	if root == "" {
		root = filepath.Join(g.Config.Data, "sftp")
	}
	keys := filepath.Join(g.Config.Data, "keys")
	for _, d := range []string{root, keys} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	cfg := sftp.Config{Listen: c.Listen, Root: root, HostKeyDir: keys, MaxFileSize: g.Config.MaxFileSize,
		MaxSessions: c.MaxSessions, IdleTimeout: c.IdleTimeout, LoginTimeout: c.LoginTimeout, Logger: g.log}
	out, err := g.openOutFolder(context.Background())
	if err != nil {
		return nil, err
	}
	cfg.Out = out // nil on bbolt: the jails on disk
	pickups := sftp.PickupsFunc(func(partner, name string) {
		id, err := g.Outbox.ConfirmByName(partner, name, "picked up over SFTP")
		if err != nil {
			g.log.Warn("confirming a pickup", "partner", partner, "file", name, "err", err)
		} else if id != 0 {
			g.log.Info("picked up", "partner", partner, "file", name, "outbox", id)
		}
	})
	return sftp.New(cfg, sftp.AccountsFunc(g.sftpAccount), g.sftpInbox(), pickups)
}

// sftpAccount finds a partner's SFTP account in the current profiles.
func (g *Gateway) sftpAccount(user string) (sftp.Account, bool) {
	p, err := g.Partners().BySFTPUser(user)
	if err != nil || p.Identities.SFTP == nil {
		return sftp.Account{}, false
	}
	acct := sftp.Account{Partner: p.ID, PasswordHash: p.Identities.SFTP.PasswordHash}
	// The loader checked every line with the same parser; a line it
	// would refuse (an option the server does not enforce) never logs in.
	for _, line := range p.Identities.SFTP.AuthorizedKeys {
		k, err := authkeys.Parse(line, p.Location())
		if err == nil {
			acct.Keys = append(acct.Keys, k)
		}
	}
	return acct, true
}

// pushTarget is a partner's own SFTP server, from its profile.
func (g *Gateway) pushTarget(partner string) (sftp.PushTarget, error) {
	p, err := g.Partners().ByID(partner)
	if err != nil {
		return sftp.PushTarget{}, err
	}
	for _, t := range p.Transports.Outbound {
		if s := t.SFTPPush; s != nil {
			key, err := os.ReadFile(s.KeyFile)
			if err != nil {
				return sftp.PushTarget{}, err
			}
			signer, err := ssh.ParsePrivateKey(key)
			if err != nil {
				return sftp.PushTarget{}, fmt.Errorf("%s: %w", s.KeyFile, err)
			}
			return sftp.PushTarget{Host: s.Host, Port: s.Port, User: s.User, Signer: signer, HostKey: s.HostKey, Folder: s.Folder}, nil
		}
	}
	return sftp.PushTarget{}, fmt.Errorf("partner %s has no sftp_push transport", partner)
}

// dropTarget is a partner's outbound folder.
func (g *Gateway) dropTarget(partner string) (folder.DropTarget, error) {
	p, err := g.Partners().ByID(partner)
	if err != nil {
		return folder.DropTarget{}, err
	}
	for _, t := range p.Transports.Outbound {
		if f := t.Folder; f != nil {
			if err := os.MkdirAll(f.Path, 0o750); err != nil {
				return folder.DropTarget{}, err
			}
			return folder.DropTarget{Path: f.Path, DoneSuffix: f.DoneSuffix}, nil
		}
	}
	return folder.DropTarget{}, fmt.Errorf("partner %s has no outbound folder", partner)
}

// watchDirs lists every partner's inbound folders, created if missing.
func (g *Gateway) watchDirs() []folder.WatchDir {
	var dirs []folder.WatchDir
	for _, p := range g.Partners().Profiles() {
		for _, t := range p.Transports.Inbound {
			if f := t.Folder; f != nil {
				if err := os.MkdirAll(f.Path, 0o750); err != nil {
					g.log.Warn("watched folder", "partner", p.ID, "path", f.Path, "err", err)
					continue
				}
				dirs = append(dirs, folder.WatchDir{Partner: p.ID, Path: f.Path, MinAge: f.MinAge, DoneSuffix: f.DoneSuffix})
			}
		}
	}
	return dirs
}
