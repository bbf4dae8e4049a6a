package sftp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dockside-edi/dockside/internal/passhash"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// errBadHash: a password hash is in no format we know.
var errBadHash = errors.New("not a bcrypt or argon2id hash")

// Bounds on the parameters of a hash read from a profile (partners
// refuses a profile over them, with the same figures).
const (
	maxArgonMemory  = passhash.MaxArgonMemory // KiB
	maxArgonTime    = passhash.MaxArgonTime
	maxArgonThreads = passhash.MaxArgonThreads
	maxBcryptCost   = passhash.MaxBcryptCost
)

// Argon2id parameters of HashPassword (RFC 9106's second recommendation).
const (
	argonMemory  = 64 * 1024
	argonTime    = 3
	argonThreads = 4
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id hash of password in the PHC string
// format, for Account.PasswordHash.
func HashPassword(password string) (string, error) {
	return hashArgon2id(password, argonMemory, argonTime, argonThreads)
}

func hashArgon2id(password string, memory, time uint32, threads uint8) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	sum := argon2.IDKey([]byte(password), salt, time, memory, threads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, time, threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum)), nil
}

// CheckPassword reports whether password matches hash (bcrypt or
// argon2id). A malformed hash never matches and is reported as an error.
func CheckPassword(hash, password string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if cost, err := bcrypt.Cost([]byte(hash)); err == nil && cost > maxBcryptCost {
			return false, fmt.Errorf("bcrypt cost %d over %d: %w", cost, maxBcryptCost, errBadHash)
		}
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	case strings.HasPrefix(hash, "$argon2id$"):
		return checkArgon2id(hash, password)
	}
	return false, errBadHash
}

// checkArgon2id checks password against $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func checkArgon2id(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[2] != "v=19" {
		return false, fmt.Errorf("argon2id: %w", errBadHash)
	}
	var m, t, p uint64
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return false, fmt.Errorf("argon2id parameter %q: %w", kv, errBadHash)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return false, fmt.Errorf("argon2id parameter %q: %w", kv, errBadHash)
		}
	}
	if m == 0 || t == 0 || p == 0 || m > maxArgonMemory || t > maxArgonTime || p > maxArgonThreads {
		return false, fmt.Errorf("argon2id parameters m=%d,t=%d,p=%d out of bounds: %w", m, t, p, errBadHash)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("argon2id salt: %w", errBadHash)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 {
		return false, fmt.Errorf("argon2id hash: %w", errBadHash)
	}
	got := argon2.IDKey([]byte(password), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
