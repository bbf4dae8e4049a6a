package as2

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

// Transport is the name of this transport in inbox and outbox records.
const Transport = "as2"

// KindMDN is the outbox kind of an asynchronous MDN waiting to be POSTed
// to a partner. The Handler queues them; Sender sends them.
const KindMDN = "as2-mdn"

// Signature digests (Partner.Sign).
const (
	SignSHA1   = "sha1"
	SignSHA256 = "sha256" // the default
	SignSHA384 = "sha384"
	SignSHA512 = "sha512"
	SignNone   = "none"
)

// Content-encryption algorithms (Partner.Encrypt).
const (
	EncryptAES128CBC = "aes128-cbc"
	EncryptAES192CBC = "aes192-cbc"
	EncryptAES256CBC = "aes256-cbc" // the default
	Encrypt3DES      = "3des"
	EncryptNone      = "none"
)

// MDN modes (Partner.MDN).
const (
	MDNSync  = "sync" // the default
	MDNAsync = "async"
	MDNNone  = "none"
)

// Key transports (Partner.KeyEncryption).
const (
	KeyRSA     = "rsa"      // RSA PKCS#1 v1.5, the default: what every station reads
	KeyRSAOAEP = "rsa-oaep" // RSAES-OAEP with SHA-256 and MGF1-SHA-256
)

// Transfer encodings of the payload part (Partner.TransferEncoding).
const (
	TransferBinary = "binary" // the default
	TransferBase64 = "base64"
)

// Metadata keys this package sets on inbox arrivals.
const (
	MetaMessageID   = "as2.message_id"   // the Message-ID, with angle brackets
	MetaFrom        = "as2.from"         // AS2-From, unquoted
	MetaTo          = "as2.to"           // AS2-To, unquoted
	MetaMIC         = "as2.mic"          // "base64, algorithm" as in the MDN
	MetaSigned      = "as2.signed"       // the signature digest, when signed
	MetaEncrypted   = "as2.encrypted"    // the content encryption, when encrypted
	MetaCompressed  = "as2.compressed"   // "before-signing", "after-signing" or "yes"
	MetaContentType = "as2.content_type" // of the payload
	MetaSubject     = "as2.subject"
	MetaVersion     = "as2.version" // AS2-Version
	MetaMDN         = "as2.mdn"     // sync, async or none
)

// Outbox metadata read by Sender. On an outbound message, MetaContentType
// sets the payload's Content-Type and MetaSubject the Subject header.
// On a KindMDN message the Handler sets the others.
const (
	metaMDNURL        = "as2.mdn_url"
	metaMDNType       = "as2.mdn_content_type"
	metaMDNMessageID  = "as2.mdn_message_id"
	metaMDNPartnerAS2 = "as2.mdn_to"
	metaOrigMessageID = "as2.original_message_id"
)

// Partner is what this package needs of a trading partner's profile.
// Empty option strings take the defaults (sha256, aes256-cbc, sync, rsa,
// binary).
type Partner struct {
	// ID is the gateway's partner id, used in inbox and outbox records.
	ID string
	// AS2ID is the partner's AS2 name (AS2-From of their messages).
	AS2ID string
	// Certs verify the partner's signatures (any of them may match) and
	// encrypt to them (the newest valid one). Several during a roll-over.
	Certs []*x509.Certificate
	// URL is the partner's AS2 endpoint, for sending.
	URL string
	// Sign is the digest we sign with: sha1, sha256, sha384, sha512 or
	// none. It is also the MIC algorithm we ask for.
	Sign string
	// Encrypt is our content encryption: aes128-cbc, aes192-cbc,
	// aes256-cbc, 3des or none.
	Encrypt string
	// Compress zlib-compresses what we send (RFC 5402), before signing
	// unless CompressAfterSigning.
	Compress             bool
	CompressAfterSigning bool
	// MDN is the receipt we ask for: sync, async or none.
	MDN string
	// MDNSigned asks for signed receipts; an unsigned MDN is then refused.
	MDNSigned bool
	// MDNWithin is how long an asynchronous MDN is waited for before the
	// message is sent again (same Message-ID); zero means an hour.
	MDNWithin time.Duration
	// RequireSigned and RequireEncrypted refuse the partner's messages
	// that are not signed, or not encrypted.
	RequireSigned, RequireEncrypted bool
	// KeyEncryption is the key transport we encrypt with: rsa (PKCS#1
	// v1.5) or rsa-oaep. Both are accepted on receipt whatever this says.
	KeyEncryption string
	// TransferEncoding of our payload part: binary or base64 (some
	// stations mangle binary parts).
	TransferEncoding string
}

// Partners finds partners by AS2 id (receiving) and by partner id
// (sending).
type Partners interface {
	ByAS2ID(id string) (Partner, bool)
	ByID(id string) (Partner, bool)
}

// PartnerList is a fixed Partners, for tests and simple setups.
type PartnerList []Partner

// ByAS2ID returns the partner with that AS2 id.
func (l PartnerList) ByAS2ID(id string) (Partner, bool) {
	for _, p := range l {
		if p.AS2ID == id {
			return p, true
		}
	}
	return Partner{}, false
}

// ByID returns the partner with that partner id.
func (l PartnerList) ByID(id string) (Partner, bool) {
	for _, p := range l {
		if p.ID == id {
			return p, true
		}
	}
	return Partner{}, false
}

var _ Partners = PartnerList(nil)

// Identity is this station: its AS2 id, RSA key and certificate.
type Identity struct {
	AS2ID string
	// Key signs and decrypts; it must be an RSA key that also implements
	// crypto.Decrypter (an *rsa.PrivateKey does). NewHandler and NewSender
	// wrap an *rsa.PrivateKey so that libcrypto makes its private
	// operations when it can be loaded, with the same results.
	Key  crypto.Signer
	Cert *x509.Certificate
}

// Inbox stores received payloads; *inbox.Store is one.
type Inbox interface {
	Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error)
}

// Outbox queues asynchronous MDNs and confirms our messages when their
// asynchronous MDN arrives; *outbox.Store is one.
type Outbox interface {
	Enqueue(m *outbox.Message, body []byte) (uint64, error)
	Confirm(id uint64, receipt string) error
	Retry(id uint64) error
}

var (
	_ Inbox  = (*inbox.Store)(nil)
	_ Outbox = (*outbox.Store)(nil)
)

// normalized returns p with its defaults filled in, or an error naming
// the first invalid option.
func (p Partner) normalized() (Partner, error) {
	p.Sign = defaultTo(strings.ToLower(p.Sign), SignSHA256)
	p.Encrypt = defaultTo(strings.ToLower(p.Encrypt), EncryptAES256CBC)
	p.MDN = defaultTo(strings.ToLower(p.MDN), MDNSync)
	p.KeyEncryption = defaultTo(strings.ToLower(p.KeyEncryption), KeyRSA)
	p.TransferEncoding = defaultTo(strings.ToLower(p.TransferEncoding), TransferBinary)
	switch {
	case !oneOf(p.Sign, SignSHA1, SignSHA256, SignSHA384, SignSHA512, SignNone):
		return p, fmt.Errorf("%w: partner %s: sign %q", ErrConfig, p.ID, p.Sign)
	case !oneOf(p.Encrypt, EncryptAES128CBC, EncryptAES192CBC, EncryptAES256CBC, Encrypt3DES, EncryptNone):
		return p, fmt.Errorf("%w: partner %s: encrypt %q", ErrConfig, p.ID, p.Encrypt)
	case !oneOf(p.MDN, MDNSync, MDNAsync, MDNNone):
		return p, fmt.Errorf("%w: partner %s: mdn %q", ErrConfig, p.ID, p.MDN)
	case !oneOf(p.KeyEncryption, KeyRSA, KeyRSAOAEP):
		return p, fmt.Errorf("%w: partner %s: key encryption %q", ErrConfig, p.ID, p.KeyEncryption)
	case !oneOf(p.TransferEncoding, TransferBinary, TransferBase64):
		return p, fmt.Errorf("%w: partner %s: transfer encoding %q", ErrConfig, p.ID, p.TransferEncoding)
	}
	return p, nil
}

func defaultTo(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}
