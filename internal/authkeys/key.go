package authkeys

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Key is one authorized_keys line, with the restrictions of its options.
type Key struct {
	// PublicKey is the key that may log in.
	PublicKey ssh.PublicKey
	// Comment is the line's comment (after the key).
	Comment string
	// From, when not nil, lists the client addresses the key may log in
	// from (from=).
	From *AddressList
	// Expires, when not zero, is the instant after which the key is
	// refused (expiry-time=).
	Expires time.Time
}

// Unrestricted returns a Key that logs in from anywhere, at any time.
func Unrestricted(k ssh.PublicKey) Key { return Key{PublicKey: k} }

// Permit tells whether the key may log in from addr at now: nil, or an
// error wrapping ErrExpired or ErrFromRefused that says why (it holds the
// address and the pattern list, no key material). An invalid addr never
// matches a from= list.
func (k *Key) Permit(addr netip.Addr, now time.Time) error {
	if !k.Expires.IsZero() && now.After(k.Expires) {
		return fmt.Errorf("%w at %s", ErrExpired, k.Expires.UTC().Format(time.RFC3339))
	}
	if k.From != nil && !k.From.Match(addr) {
		return fmt.Errorf("%w: %s does not match %q", ErrFromRefused, addr, k.From.String())
	}
	return nil
}

// Parse reads one authorized_keys line (see the package doc for the
// options). loc is the time zone of an expiry-time without Z; nil is UTC.
// An error wraps ErrKey, or is an [*OptionError].
func Parse(line string, loc *time.Location) (Key, error) {
	if strings.TrimSpace(line) == "" {
		return Key{}, fmt.Errorf("%w: empty key", ErrKey)
	}
	pub, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrKey, err)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return Key{}, fmt.Errorf("%w: want one key per entry", ErrKey)
	}
	k := Key{PublicKey: pub, Comment: comment}
	if err := k.applyOptions(options, loc); err != nil {
		return Key{}, err
	}
	return k, nil
}

// flags are the options accepted without effect: an SFTP-only server
// already gives none of what they take away.
var flags = map[string]bool{
	"restrict": true, "no-pty": true, "no-port-forwarding": true,
	"no-agent-forwarding": true, "no-x11-forwarding": true, "no-user-rc": true,
}

// refused says why each known but unenforced option is refused.
var refused = map[string]string{
	"pty":               "grants a terminal, which an SFTP-only server never gives; remove it",
	"port-forwarding":   "grants port forwarding, which an SFTP-only server never gives; remove it",
	"agent-forwarding":  "grants agent forwarding, which an SFTP-only server never gives; remove it",
	"x11-forwarding":    "grants X11 forwarding, which an SFTP-only server never gives; remove it",
	"user-rc":           "grants ~/.ssh/rc, which an SFTP-only server never runs; remove it",
	"environment":       "not enforced by Dockside's SFTP server; remove it",
	"permitopen":        "not enforced by Dockside's SFTP server (it forwards no port); remove it",
	"permitlisten":      "not enforced by Dockside's SFTP server (it forwards no port); remove it",
	"tunnel":            "not enforced by Dockside's SFTP server (it opens no tunnel); remove it",
	"cert-authority":    "certificate logins are not supported; list the partner's keys instead",
	"principals":        "certificate logins are not supported; list the partner's keys instead",
	"no-touch-required": "not enforced by Dockside's SFTP server; remove it",
	"verify-required":   "not enforced by Dockside's SFTP server; remove it",
}

// applyOptions checks every option and sets the restrictions they carry.
func (k *Key) applyOptions(options []string, loc *time.Location) error {
	sawFrom := false
	for i, opt := range options {
		name, value, hasValue, err := splitOption(opt)
		fail := func(sentinel error, format string, args ...any) error {
			return &OptionError{Index: i + 1, Option: name, Reason: fmt.Sprintf(format, args...), Err: sentinel}
		}
		if err != nil {
			return fail(ErrBadOption, "%v", err)
		}
		lower := strings.ToLower(name)
		switch {
		case flags[lower]:
			if hasValue {
				return fail(ErrBadOption, "takes no value")
			}
		case lower == "from" || lower == "expiry-time" || lower == "command":
			if !hasValue {
				return fail(ErrBadOption, `needs a value (%s="...")`, lower)
			}
			switch lower {
			case "from":
				if sawFrom {
					return fail(ErrBadOption, "given twice (write one list)")
				}
				sawFrom = true
				if k.From, err = ParseAddressList(value); err != nil {
					return fail(ErrBadOption, "%v", err)
				}
			case "expiry-time":
				t, err := ParseExpiry(value, loc)
				if err != nil {
					return fail(ErrBadOption, "%v", err)
				}
				if k.Expires.IsZero() || t.Before(k.Expires) {
					k.Expires = t
				}
			case "command":
				if value != "internal-sftp" {
					return fail(ErrUnsupported, `%q: Dockside serves SFTP only; only command="internal-sftp" (without flags) is accepted`, value)
				}
			}
		case refused[lower] != "":
			return fail(ErrUnsupported, "%s", refused[lower])
		default:
			return fail(ErrUnsupported, "unknown option")
		}
	}
	return nil
}

// splitOption splits name="value" (OpenSSH's quoting: the value is
// double-quoted, \" is a quote, other backslashes are kept) or a bare
// name.
func splitOption(opt string) (name, value string, hasValue bool, err error) {
	name, quoted, hasValue := strings.Cut(opt, "=")
	if name == "" {
		return "", "", false, errors.New("empty option name")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return name, "", false, errors.New("not an option name")
		}
	}
	if !hasValue {
		return name, "", false, nil
	}
	if len(quoted) < 2 || quoted[0] != '"' {
		return name, "", true, errors.New(`the value must be double-quoted`)
	}
	var b strings.Builder
	for i := 1; i < len(quoted); i++ {
		switch c := quoted[i]; {
		case c == '\\' && i+1 < len(quoted) && quoted[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '"':
			if i != len(quoted)-1 {
				return name, "", true, errors.New("text after the closing quote")
			}
			return name, b.String(), true, nil
		default:
			b.WriteByte(c)
		}
	}
	return name, "", true, errors.New("unterminated quote")
}
