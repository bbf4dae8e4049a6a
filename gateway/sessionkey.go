package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/internal/atomicfile"
	webpg "github.com/dockside-edi/dockside/web/postgres"
)

// SessionKeyFile is the file of the data folder that keeps the dashboard's
// session key on bbolt storage without http.session_key_file (mode 0600,
// never logged): a restart keeps the operators' logins.
const SessionKeyFile = "session-key"

// Bounds of a session key file's size, in bytes.
const (
	minSessionKey = 32
	maxSessionKey = 4096
)

// sessionKey returns the key that signs the dashboard's sessions and CSRF
// tokens: the content of http.session_key_file when set; else, on
// PostgreSQL, the key every node on the database shares (web/postgres);
// else the data folder's SessionKeyFile, made at the first start.
func (g *Gateway) sessionKey(ctx context.Context) ([]byte, error) {
	if f := g.Config.HTTP.SessionKeyFile; f != "" {
		return readSessionKey(f)
	}
	if g.pool != nil {
		ctx, cancel := context.WithTimeout(ctx, storageCheckTimeout)
		defer cancel()
		return webpg.SessionKey(ctx, g.pool)
	}
	path := filepath.Join(g.Config.Data, SessionKeyFile)
	key, err := readSessionKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, webpg.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("writing the session key: %w", err)
	}
	return key, nil
}

// readSessionKey reads a session key file: its whole content, from 32 to
// 4096 bytes, in a file that neither its group nor others may read or
// write.
func readSessionKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s: not a regular file", ErrSessionKey, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s: mode %04o lets others than its owner read or change it (chmod 600)", ErrSessionKey, path, perm)
	}
	key, err := io.ReadAll(io.LimitReader(f, maxSessionKey+1))
	if err != nil {
		return nil, fmt.Errorf("session key: %s: %w", path, err)
	}
	if len(key) < minSessionKey || len(key) > maxSessionKey {
		return nil, fmt.Errorf("%w: %s: %d bytes (want %d to %d random bytes)", ErrSessionKey, path, len(key), minSessionKey, maxSessionKey)
	}
	return key, nil
}
