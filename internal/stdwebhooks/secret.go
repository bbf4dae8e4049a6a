package stdwebhooks

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// SecretPrefix starts every secret's text.
const SecretPrefix = "whsec_"

// Bounds of a secret's key, in bytes (Standard Webhooks: 24 to 64).
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// Secret is a signing key. Its zero value is no secret. It never prints
// its value.
type Secret struct {
	key []byte
}

// ParseSecret reads "whsec_<base64>" (standard base64, padded or not).
// Surrounding white space (a trailing newline in a file) is ignored. The
// error never contains the text.
func ParseSecret(text string) (Secret, error) {
	text = strings.TrimSpace(text)
	rest, ok := strings.CutPrefix(text, SecretPrefix)
	if !ok {
		return Secret{}, fmt.Errorf("%w: does not start with %s", ErrSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(rest)
	}
	if err != nil {
		return Secret{}, fmt.Errorf("%w: not base64 after %s", ErrSecret, SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return Secret{}, fmt.Errorf("%w: %d bytes, want %d to %d", ErrSecret, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return Secret{key: key}, nil
}

// NewSecret returns a new random secret of 32 bytes.
func NewSecret() Secret {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand)
	return Secret{key: key}
}

// IsZero reports whether s holds no key.
func (s Secret) IsZero() bool { return len(s.key) == 0 }

// Text returns the secret's whsec_ form, to hand to a receiver once. Never
// log it.
func (s Secret) Text() string { return SecretPrefix + base64.StdEncoding.EncodeToString(s.key) }

// String is redacted.
func (s Secret) String() string { return SecretPrefix + "[redacted]" }

// GoString is redacted.
func (s Secret) GoString() string { return s.String() }

// LogValue is redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

var _ slog.LogValuer = Secret{}

// MaxSecretFile bounds a secret file, in bytes.
const MaxSecretFile = 4 << 10

// LoadSecret reads a secret from the environment variable env when it is
// set, else from file. Errors name the variable or file, never the value.
func LoadSecret(env, file string) (Secret, error) {
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok {
			return Secret{}, fmt.Errorf("environment variable %s is not set", env)
		}
		s, err := ParseSecret(v)
		if err != nil {
			return Secret{}, fmt.Errorf("environment variable %s: %w", env, err)
		}
		return s, nil
	}
	if file == "" {
		return Secret{}, ErrNoSecret
	}
	f, err := os.Open(file)
	if err != nil {
		return Secret{}, fmt.Errorf("secret file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSecretFile+1))
	if err != nil {
		return Secret{}, fmt.Errorf("secret file %s: %w", file, err)
	}
	if len(data) > MaxSecretFile {
		return Secret{}, fmt.Errorf("secret file %s: over %d bytes", file, MaxSecretFile)
	}
	s, err := ParseSecret(string(data))
	if err != nil {
		return Secret{}, fmt.Errorf("secret file %s: %w", file, err)
	}
	return s, nil
}
