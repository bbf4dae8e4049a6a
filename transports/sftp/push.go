package sftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/outbox"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// PushTransport is the outbox transport name of NewPushSender.
const PushTransport = "sftp_push"

// PushTarget is a partner's own SFTP server.
type PushTarget struct {
	Host string
	Port int // default 22
	User string
	// Signer is our private key for that server.
	Signer ssh.Signer
	// HostKey pins the server's key: a known_hosts line ("host ssh-ed25519
	// AAAA...") or a bare public key ("ssh-ed25519 AAAA...").
	HostKey string
	// Folder is the remote folder ("" is the login folder).
	Folder string
	// Timeout bounds connecting and logging in (default 30 s).
	Timeout time.Duration
}

// NewPushSender returns the outbox sender of transport "sftp_push": it
// uploads each message to the partner's server as name+".part", then
// renames it to its name (POSIX rename when the server offers it). A
// failed attempt returns an error, and the outbox retries it.
func NewPushSender(target func(partner string) (PushTarget, error)) outbox.Sender {
	return outbox.SenderFunc(func(ctx context.Context, m *outbox.Message, body []byte) (outbox.Receipt, error) {
		t, err := target(m.Partner)
		if err != nil {
			return outbox.Receipt{}, fmt.Errorf("sftp push to %s: %w", m.Partner, err)
		}
		where, err := Push(ctx, t, m.Name, body)
		if err != nil {
			return outbox.Receipt{}, err
		}
		return outbox.Receipt{Text: where}, nil
	})
}

// Push uploads body to the target as name, through name+".part", and
// returns where it landed ("sftp://user@host:port/folder/name").
func Push(ctx context.Context, t PushTarget, name string, body []byte) (string, error) {
	if t.Host == "" || t.User == "" || t.Signer == nil || t.HostKey == "" {
		return "", fmt.Errorf("%w: host, user, key and host key are required", ErrPushTarget)
	}
	if !validName(name) || path.Base(name) != name {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	pinned, err := parsePinnedKey(t.HostKey)
	if err != nil {
		return "", err
	}
	port := t.Port
	if port == 0 {
		port = 22
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	addr := net.JoinHostPort(t.Host, strconv.Itoa(port))
	client, closeAll, err := dialSFTP(ctx, addr, t.User, t.Signer, pinned, timeout)
	if err != nil {
		return "", fmt.Errorf("sftp push to %s: %w", addr, err)
	}
	defer closeAll()
	final := path.Join(t.Folder, name)
	tmp := final + ".part"
	if err := pushFile(client, tmp, body); err != nil {
		client.Remove(tmp)
		return "", fmt.Errorf("sftp push to %s: uploading %s: %w", addr, tmp, err)
	}
	if err := renameOver(client, tmp, final); err != nil {
		return "", fmt.Errorf("sftp push to %s: renaming %s: %w", addr, tmp, err)
	}
	return fmt.Sprintf("sftp://%s@%s/%s", t.User, addr, final), nil
}

// parsePinnedKey reads a known_hosts line or a bare public key.
func parsePinnedKey(line string) (ssh.PublicKey, error) {
	if _, _, key, _, _, err := ssh.ParseKnownHosts([]byte(line)); err == nil {
		return key, nil
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("%w: pinned key unreadable: %v", ErrHostKey, err)
	}
	return key, nil
}

// hostKeyAlgorithms are the host key algorithms that can present key.
func hostKeyAlgorithms(key ssh.PublicKey) []string {
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{key.Type()}
}

// dialSFTP connects and logs in, checking the server's key against the
// pinned one. Ending ctx closes the connection.
func dialSFTP(ctx context.Context, addr, user string, signer ssh.Signer, pinned ssh.PublicKey, timeout time.Duration) (*pkgsftp.Client, func(), error) {
	cfg := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyAlgorithms: hostKeyAlgorithms(pinned),
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if !bytes.Equal(key.Marshal(), pinned.Marshal()) {
				return fmt.Errorf("%w: server presented %s, pinned %s", ErrHostKey, ssh.FingerprintSHA256(key), ssh.FingerprintSHA256(pinned))
			}
			return nil
		},
		Timeout: timeout,
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(timeout))
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		stop()
		conn.Close()
		return nil, nil, err
	}
	conn.SetDeadline(time.Time{})
	sc := ssh.NewClient(c, chans, reqs)
	client, err := pkgsftp.NewClient(sc)
	if err != nil {
		stop()
		sc.Close()
		return nil, nil, err
	}
	return client, func() { client.Close(); sc.Close(); stop() }, nil
}

func pushFile(c *pkgsftp.Client, name string, body []byte) error {
	f, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(bytes.NewReader(body)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renameOver renames tmp to final, replacing final: a POSIX rename when
// the server offers it, else remove then rename.
func renameOver(c *pkgsftp.Client, tmp, final string) error {
	if _, ok := c.HasExtension("posix-rename@openssh.com"); ok {
		return c.PosixRename(tmp, final)
	}
	if err := c.Remove(final); err != nil && !errors.Is(err, os.ErrNotExist) {
		var se *pkgsftp.StatusError
		if !errors.As(err, &se) || se.FxCode() != pkgsftp.ErrSSHFxNoSuchFile {
			return err
		}
	}
	return c.Rename(tmp, final)
}
