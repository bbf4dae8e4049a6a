package sftp

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/internal/atomicfile"
	"golang.org/x/crypto/ssh"
)

// Host key files in Config.HostKeyDir (OpenSSH private key format).
const (
	HostKeyEd25519 = "ssh_host_ed25519_key"
	HostKeyRSA     = "ssh_host_rsa_key"
)

// rsaHostKeyBits is the size of a generated RSA host key.
const rsaHostKeyBits = 3072

// loadHostKeys loads the host keys from dir, generating (and saving) the
// missing ones: ed25519 first, then RSA for older clients.
func loadHostKeys(dir string) ([]ssh.Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sftp: host key folder: %w", err)
	}
	gens := []struct {
		file string
		gen  func() (any, error)
	}{
		{HostKeyEd25519, func() (any, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }},
		{HostKeyRSA, func() (any, error) { return rsa.GenerateKey(rand.Reader, rsaHostKeyBits) }},
	}
	var signers []ssh.Signer
	for _, g := range gens {
		s, err := loadOrCreateHostKey(filepath.Join(dir, g.file), g.gen)
		if err != nil {
			return nil, fmt.Errorf("sftp: host key %s: %w", g.file, err)
		}
		signers = append(signers, s)
	}
	return signers, nil
}

func loadOrCreateHostKey(path string, gen func() (any, error)) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return ssh.ParsePrivateKey(data)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key, err := gen()
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(key, "dockside host key")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(key)
}
