package partners

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// keyFiles generates the key material of TestKeyMaterial.
type keyFiles struct {
	sshKey, sshKeyLocked, hostLine, hostLine2222, hashedHostLine string
	ourKey, ourCert, otherCert, lockedKey                        string
}

func newKeyFiles(t *testing.T) keyFiles {
	t.Helper()
	_, sshPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(sshPriv, "test")
	if err != nil {
		t.Fatal(err)
	}
	hostPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshHostPub, err := ssh.NewPublicKey(hostPub)
	if err != nil {
		t.Fatal(err)
	}
	authorized := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshHostPub)))

	key := newECKey(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return keyFiles{
		sshKey:         string(pem.EncodeToMemory(block)),
		sshKeyLocked:   lockedSSHKey,
		hostLine:       "sftp.example.com " + authorized,
		hostLine2222:   "[sftp.example.com]:2222 " + authorized,
		hashedHostLine: knownhosts.HashHostname("sftp.example.com") + " " + authorized,
		ourKey:         string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		ourCert:        selfSigned(t, key),
		otherCert:      selfSigned(t, newECKey(t)),
		lockedKey:      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
	}
}

// lockedSSHKey is a throwaway ed25519 key protected by a passphrase
// (ssh-keygen -a 1; generating one with x/crypto takes seconds under the
// race detector).
const lockedSSHKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBcgPmsgw
eKu7pfhTEizk7zAAAAAQAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIDhcDwxRs8gKM60M
YfnnwHvdPoQQoGosMM9PY6mP02VMAAAAkONA5Qq4jmnd22A3IRJfZsNF3AzUeH9MlkY8PW
kNxT3Mv7Dn7LVUjVVk3MVuvQvClL0BKyeMkLvnbpHno1ssP+c589mxWBXP1cOLgBzx0ENm
icKDOHtxIU59HJiDhm0oBE1jyn9rReMUB+G0hn0Ptd4Oq8qlwVhOZsPf7AGBhiHyPXGfSf
fknDS386nXPuKxyw==
-----END OPENSSH PRIVATE KEY-----
`

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func selfSigned(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2120, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// pushProfile is a profile pushing by SFTP and posting by AS2 (the
// sftp_push entry on line 7, the as2 one on line 8).
func pushProfile(push, as2 string) string {
	return head + "identities: {as2: P}\ntransports:\n  outbound:\n" +
		"    - sftp_push: {" + push + "}\n" +
		"    - as2: {url: 'https://p.example/as2', partner_certs: [their.pem], " + as2 + "}\n"
}

func TestKeyMaterial(t *testing.T) {
	k := newKeyFiles(t)
	files := func(profile string) map[string]string {
		return map[string]string{
			"p.yaml": profile, "id_ed25519": k.sshKey, "locked_ed25519": k.sshKeyLocked,
			"our.key": k.ourKey, "our.pem": k.ourCert, "their.pem": k.otherCert, "locked.key": k.lockedKey,
		}
	}
	const push = "host: sftp.example.com, user: dockside, key_file: id_ed25519, "
	const pair = "our_key: our.key, our_cert: our.pem"
	tests := []struct {
		name    string
		profile string
		want    []string // problems, with their path and message only
	}{
		{name: "valid", profile: pushProfile(push+"host_key: '"+k.hostLine+"'", pair)},
		{name: "valid hashed host", profile: pushProfile(push+"host_key: '"+k.hashedHostLine+"'", pair)},
		{name: "valid other port", profile: pushProfile(push+"port: 2222, host_key: '"+k.hostLine2222+"'", pair)},
		{
			name:    "host key for another port",
			profile: pushProfile(push+"port: 2222, host_key: '"+k.hostLine+"'", pair),
			want:    []string{"transports.outbound[0].sftp_push.host_key: not a known_hosts line for this host: the line is for sftp.example.com, not [sftp.example.com]:2222"},
		},
		{
			name:    "host key not a line",
			profile: pushProfile(push+"host_key: 'ssh-ed25519'", pair),
			want:    []string{"transports.outbound[0].sftp_push.host_key: not a known_hosts line for this host: no known_hosts line found"},
		},
		{
			name:    "passphrase key and bad port",
			profile: pushProfile("host: sftp.example.com, user: u, key_file: locked_ed25519, port: 70000, host_key: '"+k.hostLine+"'", pair),
			want: []string{
				"transports.outbound[0].sftp_push.port: 70000 is not a port number (1-65535)",
				"transports.outbound[0].sftp_push.key_file: private key is passphrase-protected; Dockside needs it without a passphrase (protect the file instead)",
			},
		},
		{
			name:    "key file is not a key",
			profile: pushProfile("host: 'sftp://x', user: u, key_file: our.pem, host_key: '"+k.hostLine+"'", pair),
			want: []string{
				`transports.outbound[0].sftp_push.host: "sftp://x": want a bare host name or address (no scheme, user or path)`,
				`transports.outbound[0].sftp_push.key_file: not an SSH private key: ssh: unsupported key type "CERTIFICATE"`,
			},
		},
		{
			name:    "certificate of another key",
			profile: pushProfile(push+"host_key: '"+k.hostLine+"'", "our_key: our.key, our_cert: their.pem"),
			want:    []string{`transports.outbound[1].as2.our_cert: "their.pem" does not hold the public key of our_key`},
		},
		{
			name:    "encrypted and missing keys",
			profile: pushProfile(push+"host_key: '"+k.hostLine+"'", "our_key: locked.key, our_cert: our.key"),
			want: []string{
				`transports.outbound[1].as2.our_key: "locked.key": private key is encrypted; Dockside needs it unencrypted (protect the file instead)`,
				`transports.outbound[1].as2.our_cert: "our.key": no certificate found (want PEM "CERTIFICATE" blocks or DER)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, err := loadTestDir(t, files(tt.profile))
			var got []string
			if le, ok := err.(*LoadError); ok {
				for _, pe := range le.Errs {
					got = append(got, pe.Path+": "+pe.Err.Error())
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(want) == 0 {
				p, _ := d.ByID("p")
				push := p.Transports.Outbound[0].SFTPPush
				if !strings.HasSuffix(push.KeyFile, "/id_ed25519") || !strings.HasSuffix(p.Transports.Outbound[1].AS2.OurCert, "/our.pem") {
					t.Errorf("paths not resolved: %s, %s", push.KeyFile, p.Transports.Outbound[1].AS2.OurCert)
				}
			}
		})
	}
}

func TestPasswordHashes(t *testing.T) {
	tests := []struct {
		hash string
		ok   bool
	}{
		{testBcrypt, true},
		{"$2y$10$" + strings.Repeat("a", 53), true},
		{"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQxMjM$" + strings.Repeat("A", 43), true},
		{"$argon2id$v=18$m=65536,t=3,p=4$c29tZXNhbHQxMjM$" + strings.Repeat("A", 43), false},
		{"$argon2id$v=19$m=65536,t=3$c29tZXNhbHQxMjM$!!", false},
		{"$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQxMjM$" + strings.Repeat("A", 43), false},
		{"$2b$12$tooshort", false},
		{"{SSHA}abc", false},
		{"hunter2", false},
	}
	for _, tt := range tests {
		if err := checkPasswordHash(tt.hash); (err == nil) != tt.ok {
			t.Errorf("checkPasswordHash(%q) = %v, want ok=%v", tt.hash, err, tt.ok)
		}
	}
}

func TestKnownHostMatches(t *testing.T) {
	tests := []struct {
		patterns []string
		host     string
		want     bool
	}{
		{[]string{"sftp.example.com"}, "SFTP.example.com", true},
		{[]string{"*.example.com"}, "sftp.example.com", true},
		{[]string{"sftp?.example.com"}, "sftp1.example.com", true},
		{[]string{"*.example.com", "!bad.example.com"}, "bad.example.com", false},
		{[]string{"[sftp.example.com]:2222"}, "[sftp.example.com]:2222", true},
		{[]string{"[sftp.example.com]:2222"}, "s", false},
		{[]string{"other.example.com"}, "sftp.example.com", false},
	}
	for _, tt := range tests {
		if got := knownHostMatches(tt.patterns, tt.host); got != tt.want {
			t.Errorf("knownHostMatches(%q, %q) = %v", tt.patterns, tt.host, got)
		}
	}
}
