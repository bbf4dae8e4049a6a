package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Role is what a token may do.
type Role string

// Roles. An operator may do everything a read-only token may, plus
// replay messages, retry outbound messages and make reservations.
const (
	RoleReadOnly Role = "read-only"
	RoleOperator Role = "operator"
)

// rolePublic marks routes that need no token.
const rolePublic Role = ""

func (r Role) valid() bool { return r == RoleReadOnly || r == RoleOperator }

// allows reports whether a principal with role r may use a route that
// needs role need.
func (r Role) allows(need Role) bool {
	switch need {
	case rolePublic:
		return true
	case RoleReadOnly:
		return r.valid()
	default:
		return r == RoleOperator
	}
}

// Token is one API token as the configuration gives it: its name (in logs
// and the audit trail), the hex SHA-256 of the secret, and its role. The
// secret itself is never stored.
type Token struct {
	Name   string
	SHA256 string
	Role   Role
}

// HashToken returns the hex SHA-256 of a token secret: what the
// configuration stores.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewToken makes a random token secret ("dks_" and 43 base64url
// characters) and its Token, for a demo operator token printed at start or
// for `dockside` to hand an administrator.
func NewToken(name string, role Role) (secret string, t Token, err error) {
	if !role.valid() {
		return "", Token{}, fmt.Errorf("%w: role %q (want read-only or operator)", ErrConfig, role)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, err
	}
	secret = "dks_" + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Token{Name: name, SHA256: HashToken(secret), Role: role}, nil
}

// tokenEntry is a configured token, decoded.
type tokenEntry struct {
	name string
	hash [sha256.Size]byte
	role Role
}

func parseTokens(ts []Token) ([]tokenEntry, error) {
	out := make([]tokenEntry, 0, len(ts))
	seen := map[string]bool{}
	for i, t := range ts {
		switch {
		case t.Name == "" || strings.ContainsAny(t.Name, ".\x00") || len(t.Name) > 64:
			return nil, fmt.Errorf("%w: token %d: a name of 1 to 64 characters without '.' is required", ErrConfig, i)
		case seen[t.Name]:
			return nil, fmt.Errorf("%w: token %q named twice", ErrConfig, t.Name)
		case !t.Role.valid():
			return nil, fmt.Errorf("%w: token %q: role %q (want read-only or operator)", ErrConfig, t.Name, t.Role)
		}
		seen[t.Name] = true
		h, err := hex.DecodeString(strings.TrimSpace(t.SHA256))
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("%w: token %q: sha256 must be 64 hex digits", ErrConfig, t.Name)
		}
		e := tokenEntry{name: t.Name, role: t.Role}
		copy(e.hash[:], h)
		out = append(out, e)
	}
	return out, nil
}

// principal is who makes a request.
type principal struct {
	Name string
	Role Role
	// Via is how it was authenticated: bearer, session or loopback.
	Via string
	// session is the session cookie's value (for the CSRF token).
	session string
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// Who names the authenticated principal of a request ("" when none), for
// logs and audit trails.
func Who(r *http.Request) string {
	if p := principalFrom(r.Context()); p != nil {
		return p.Name
	}
	return ""
}

// byHash finds the token whose hash matches the secret's. Every token is
// compared, in constant time, whatever matches.
func (s *Server) byHash(secret string) *tokenEntry {
	sum := sha256.Sum256([]byte(secret))
	var found *tokenEntry
	for i := range s.tokens {
		if subtle.ConstantTimeCompare(sum[:], s.tokens[i].hash[:]) == 1 {
			found = &s.tokens[i]
		}
	}
	return found
}

func (s *Server) byName(name string) *tokenEntry {
	for i := range s.tokens {
		if s.tokens[i].name == name {
			return &s.tokens[i]
		}
	}
	return nil
}

// authFailure says why a request is not authenticated.
type authFailure string

const (
	authMissing authFailure = "no credentials"
	authInvalid authFailure = "invalid token"
	authExpired authFailure = "invalid or expired session"
)

// authenticate finds the principal of a request: a bearer token, else a
// session cookie (GET and HEAD only on the API, where there is no CSRF
// token), else, when no token is configured, a loopback client.
func (s *Server) authenticate(r *http.Request, cookieOK bool) (*principal, authFailure) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return nil, authInvalid
		}
		t := s.byHash(strings.TrimSpace(secret))
		if t == nil {
			return nil, authInvalid
		}
		return &principal{Name: t.name, Role: t.role, Via: "bearer"}, ""
	}
	if c, err := r.Cookie(sessionCookie); err == nil && cookieOK {
		if p := s.verifySession(c.Value); p != nil {
			return p, ""
		}
		if len(s.tokens) > 0 {
			return nil, authExpired
		}
	}
	if len(s.tokens) == 0 && isLoopback(r) {
		return &principal{Name: "local", Role: RoleReadOnly, Via: "loopback"}, ""
	}
	return nil, authMissing
}

// isLoopback reports whether a request comes from a loopback address and
// names a loopback host (so a DNS-rebinding page cannot use it).
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Sessions: the cookie holds name.expiry.mac, where mac is the HMAC-SHA256
// (under the session key) of the token's name, its configured hash and
// the expiry. Removing or changing a token in the configuration ends its
// sessions; so does a restart when the key is random.

const sessionCookie = "dockside_session"

func (s *Server) sessionMAC(name string, hash []byte, expiry int64) []byte {
	m := hmac.New(sha256.New, s.sessionKey)
	fmt.Fprintf(m, "session\x00%s\x00%x\x00%d", name, hash, expiry)
	return m.Sum(nil)
}

func (s *Server) newSession(t *tokenEntry) (value string, expires time.Time) {
	expires = s.now().Add(s.opts.SessionTTL)
	exp := expires.Unix()
	mac := s.sessionMAC(t.name, t.hash[:], exp)
	value = base64.RawURLEncoding.EncodeToString([]byte(t.name)) + "." + strconv.FormatInt(exp, 10) + "." +
		base64.RawURLEncoding.EncodeToString(mac)
	return value, expires
}

func (s *Server) verifySession(value string) *principal {
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return nil
	}
	name, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	mac, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || s.now().Unix() >= exp {
		return nil
	}
	t := s.byName(string(name))
	if t == nil || !hmac.Equal(mac, s.sessionMAC(t.name, t.hash[:], exp)) {
		return nil
	}
	return &principal{Name: t.name, Role: t.role, Via: "session", session: value}
}

// csrfToken is the token the dashboard's forms carry: an HMAC of the
// session cookie, so it changes with every login.
func (s *Server) csrfToken(p *principal) string {
	if p == nil || p.session == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.sessionKey)
	fmt.Fprintf(m, "csrf\x00%s", p.session)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF verifies a dashboard form: the csrf field must match the
// session's token, and an Origin header, when sent, must be this host.
func (s *Server) checkCSRF(r *http.Request, p *principal) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if i := strings.Index(o, "://"); i < 0 || o[i+3:] != r.Host {
			return false
		}
	}
	want := s.csrfToken(p)
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func (s *Server) setSessionCookie(w http.ResponseWriter, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteStrictMode,
	})
}
