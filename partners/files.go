package partners

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dockside-edi/dockside/internal/passhash"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// maxKeyFile bounds key and certificate files (1 MiB).
const maxKeyFile = 1 << 20

// fileSource opens the files profiles refer to: the operating system's
// (Load, LoadFiles) or an fs.FS (LoadFS).
type fileSource interface {
	// join resolves a profile-relative name against the profile's folder.
	join(dir, rel string) string
	open(name string) (fs.File, error)
}

// osFiles opens files of the operating system; absolute names are kept.
type osFiles struct{}

func (osFiles) join(dir, rel string) string {
	if filepath.IsAbs(rel) {
		return filepath.Clean(rel)
	}
	return filepath.Join(dir, rel)
}

func (osFiles) open(name string) (fs.File, error) { return os.Open(name) }

// fsFiles opens files of an fs.FS, where every name is relative to its
// root (an absolute name fails to open).
type fsFiles struct{ fsys fs.FS }

func (f fsFiles) join(dir, rel string) string {
	if path.IsAbs(rel) {
		return rel
	}
	return path.Join(dir, rel)
}

func (f fsFiles) open(name string) (fs.File, error) { return f.fsys.Open(name) }

// resolve returns a profile-relative path as a path the file source opens.
func (c *checker) resolve(rel string) string { return c.files.join(c.dir, rel) }

// readFile resolves and reads a file the profile refers to at path. ok is
// false when the problem was reported.
func (c *checker) readFile(path, rel string, limit int64) (resolved string, data []byte, ok bool) {
	resolved = c.resolve(rel)
	looked := ""
	if resolved != rel {
		looked = fmt.Sprintf(" (looked for %s)", resolved)
	}
	f, err := c.files.open(resolved)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			c.failf(path, ErrFile, "file %q does not exist%s", rel, looked)
		} else {
			c.failf(path, ErrFile, "file %q cannot be opened: %v", rel, unwrapPathError(err))
		}
		return resolved, nil, false
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		c.failf(path, ErrFile, "file %q: %v", rel, unwrapPathError(err))
		return resolved, nil, false
	case info.IsDir():
		c.failf(path, ErrFile, "%q is a folder, not a file%s", rel, looked)
		return resolved, nil, false
	case info.Size() > limit:
		c.failf(path, ErrFile, "file %q is larger than %d bytes", rel, limit)
		return resolved, nil, false
	}
	data, err = io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		c.failf(path, ErrFile, "file %q cannot be read: %v", rel, unwrapPathError(err))
		return resolved, nil, false
	}
	return resolved, data, true
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseCertificates reads one or more certificates, PEM or DER.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
	}
	if len(certs) > 0 {
		return certs, nil
	}
	if cert, err := x509.ParseCertificate(data); err == nil {
		return []*x509.Certificate{cert}, nil
	}
	return nil, errors.New("no certificate found (want PEM \"CERTIFICATE\" blocks or DER)")
}

// parsePrivateKey reads an unencrypted PEM private key (PKCS#8, PKCS#1 or
// SEC 1).
func parsePrivateKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if block.Headers["Proc-Type"] != "" || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, errors.New("private key is encrypted; Dockside needs it unencrypted (protect the file instead)")
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
		if err != nil {
			return nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, errors.New("private key cannot sign")
		}
		return signer, nil
	}
}

// sameKey reports whether a certificate carries the public half of key.
func sameKey(cert *x509.Certificate, key crypto.Signer) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// checkSSHPrivateKey parses an SSH private key file.
func checkSSHPrivateKey(data []byte) error {
	_, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return errors.New("private key is passphrase-protected; Dockside needs it without a passphrase (protect the file instead)")
	}
	if err != nil {
		return fmt.Errorf("not an SSH private key: %w", err)
	}
	return nil
}

// checkKnownHost parses one known_hosts line and checks that it names
// host (as "host" for port 22, "[host]:port" otherwise).
func checkKnownHost(line, host string, port int) error {
	marker, hosts, _, _, rest, err := ssh.ParseKnownHosts([]byte(line))
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("no known_hosts line found")
		}
		return err
	}
	if marker != "" {
		return fmt.Errorf("want a plain known_hosts line, not @%s", marker)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return errors.New("want exactly one known_hosts line")
	}
	want := host
	if port != 22 {
		want = "[" + host + "]:" + strconv.Itoa(port)
	}
	if host == "" || knownHostMatches(hosts, want) {
		return nil
	}
	return fmt.Errorf("the line is for %s, not %s", strings.Join(hosts, ","), want)
}

// knownHostMatches applies known_hosts patterns (wildcards, negation,
// hashed names) to a host.
func knownHostMatches(patterns []string, host string) bool {
	matched := false
	for _, p := range patterns {
		negated := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		var ok bool
		if strings.HasPrefix(p, "|1|") {
			ok = hashedHostMatches(p, host)
		} else {
			ok = wildcardMatch(strings.ToLower(p), strings.ToLower(host))
		}
		if ok && negated {
			return false
		}
		matched = matched || ok
	}
	return matched
}

// wildcardMatch matches a known_hosts pattern: '*' is any run of
// characters, '?' any one character; everything else ('[' included)
// stands for itself.
func wildcardMatch(pattern, s string) bool {
	for pattern != "" {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcardMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// hashedHostMatches checks a "|1|salt|hash" entry (HMAC-SHA1 of the host
// keyed by the salt, as ssh-keygen -H writes them).
func hashedHostMatches(entry, host string) bool {
	parts := strings.Split(entry, "|")
	if len(parts) != 4 {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	sum, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	return hmac.Equal(mac.Sum(nil), sum)
}

// checkPasswordHash accepts a bcrypt or an argon2id hash.
func checkPasswordHash(h string) error {
	notHash := errors.New("not a bcrypt ($2b$...) or argon2id ($argon2id$...) hash; never put a clear password here")
	switch {
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		cost, err := bcrypt.Cost([]byte(h))
		if err != nil || len(h) != 60 {
			return errors.New("malformed bcrypt hash")
		}
		if cost > passhash.MaxBcryptCost {
			// The SFTP server refuses it at login: refused here first.
			return fmt.Errorf("bcrypt cost %d over %d (each step doubles a login's time); hash it again with a lower cost", cost, passhash.MaxBcryptCost)
		}
		return nil
	case strings.HasPrefix(h, "$argon2id$"):
		return checkArgon2id(h)
	}
	return notHash
}

// checkArgon2id checks the PHC string format:
// $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash> (unpadded base64).
func checkArgon2id(h string) error {
	bad := errors.New("malformed argon2id hash (want $argon2id$v=19$m=...,t=...,p=...$salt$hash)")
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[2] != "v=19" {
		return bad
	}
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || n == 0 || (k != "m" && k != "t" && k != "p") {
			return bad
		}
		// The SFTP server refuses these at login: refused here first.
		if limit := map[string]uint64{"m": passhash.MaxArgonMemory, "t": passhash.MaxArgonTime, "p": passhash.MaxArgonThreads}[k]; n > limit {
			return fmt.Errorf("argon2id parameter %s=%d over %d", k, n, limit)
		}
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	sum, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(sum) < 16 {
		return bad
	}
	return nil
}
