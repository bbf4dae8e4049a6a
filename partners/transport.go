package partners

import "time"

// Transports are how files travel between us and a partner.
type Transports struct {
	// Inbound are the ways the partner's files reach us: sftp, as2,
	// folder.
	Inbound []Transport `yaml:"inbound"`
	// Outbound are the ways our files (acknowledgements, advice) reach
	// the partner: sftp, sftp_push, as2, folder, webhook. Outbound files
	// go out on every outbound transport.
	Outbound []Transport `yaml:"outbound"`
}

// Transport is exactly one of its fields.
type Transport struct {
	// SFTP: a folder on our SFTP server, under the partner's home (they
	// upload inbound files there, or pick outbound files up from there).
	SFTP *SFTPFolder `yaml:"sftp"`
	// SFTPPush: we upload to the partner's SFTP server (outbound only).
	SFTPPush *SFTPPush `yaml:"sftp_push"`
	// AS2: AS2 over HTTP(S).
	AS2 *AS2 `yaml:"as2"`
	// Folder: a local or mounted folder we watch (inbound) or write to
	// (outbound).
	Folder *Folder `yaml:"folder"`
	// Webhook: a signed HTTP POST to the partner's endpoint (outbound
	// only; Standard Webhooks signatures).
	Webhook *Webhook `yaml:"webhook"`
}

// Kind returns the name of the transport that is set: "sftp",
// "sftp_push", "as2", "folder" or "webhook" ("" when none is).
func (t Transport) Kind() string {
	switch {
	case t.SFTP != nil:
		return "sftp"
	case t.SFTPPush != nil:
		return "sftp_push"
	case t.AS2 != nil:
		return "as2"
	case t.Folder != nil:
		return "folder"
	case t.Webhook != nil:
		return "webhook"
	}
	return ""
}

// SFTPFolder is a folder on our own SFTP server.
type SFTPFolder struct {
	// Folder is in (inbound: their uploads) or out (outbound: what they
	// pick up), the two folders of the partner's jail on our server; it
	// may be left out.
	Folder string `yaml:"folder"`
}

// SFTPPush is the partner's SFTP server, which we upload to.
type SFTPPush struct {
	// Host is the server's host name or address.
	Host string `yaml:"host" required:"true"`
	// Port defaults to 22.
	Port int `yaml:"port"`
	// User is our login there.
	User string `yaml:"user" required:"true"`
	// KeyFile is our private key (OpenSSH or PEM, not passphrase
	// protected), resolved against the profile's folder.
	KeyFile string `yaml:"key_file" required:"true"`
	// HostKey pins the server's key: one known_hosts line naming Host
	// ("sftp.example.com ssh-ed25519 AAAA...", or "[host]:port ..." for a
	// port other than 22).
	HostKey string `yaml:"host_key" required:"true"`
	// Folder is the remote folder to upload into ("" is the login folder).
	Folder string `yaml:"folder"`
}

func (s *SFTPPush) setDefaults() {
	if s.Port == 0 {
		s.Port = 22
	}
}

// AS2 is an AS2 connection. Inbound, Sign and Encrypt say what we require
// of the partner's messages and MDN what we give back; outbound they say
// what we do and what we ask for.
type AS2 struct {
	// URL is the partner's AS2 endpoint (outbound only): http or https.
	URL string `yaml:"url"`
	// PartnerCerts are the partner's certificate files (PEM or DER),
	// resolved against the profile's folder: several during a
	// certificate roll-over. Used to verify their signatures and to
	// encrypt to them (the newest valid one).
	PartnerCerts []string `yaml:"partner_certs"`
	// OurKey and OurCert are our private key and certificate (PEM) for
	// this partner; empty: the gateway's defaults.
	OurKey  string `yaml:"our_key"`
	OurCert string `yaml:"our_cert"`
	// Sign is the signature digest (default sha256; none: unsigned).
	Sign Digest `yaml:"sign"`
	// Encrypt is the content encryption (default aes256-cbc; none: clear).
	Encrypt Cipher `yaml:"encrypt"`
	// Compress zlib-compresses the content (RFC 5402).
	Compress bool `yaml:"compress"`
	// MDN is how receipts travel (default sync).
	MDN MDNMode `yaml:"mdn"`
	// MDNSigned asks for (outbound) or gives (inbound) signed receipts
	// (default true).
	MDNSigned bool `yaml:"mdn_signed"`
	// MDNWithin is how long we wait for an asynchronous MDN before
	// sending the message again, under the same Message-ID (outbound,
	// mdn: async; default 1h).
	MDNWithin time.Duration `yaml:"mdn_within"`
}

func (a *AS2) setDefaults() {
	if a.Sign == "" {
		a.Sign = DigestSHA256
	}
	if a.Encrypt == "" {
		a.Encrypt = CipherAES256CBC
	}
	if a.MDN == "" {
		a.MDN = MDNSync
		a.MDNSigned = true
	}
	if a.MDN == MDNAsync && a.MDNWithin == 0 {
		a.MDNWithin = DefaultMDNWithin
	}
}

// DefaultMDNWithin is how long an asynchronous MDN is waited for when the
// profile does not say.
const DefaultMDNWithin = time.Hour

// Folder is a local or mounted folder.
type Folder struct {
	// Path is the folder, resolved against the profile's folder when
	// relative.
	Path string `yaml:"path" required:"true"`
	// MinAge is how long a file must stay unchanged before it is taken
	// (inbound); 0: the watcher's default.
	MinAge time.Duration `yaml:"min_age"`
	// DoneSuffix, when set, makes a file ready only once a file of the
	// same name plus this suffix exists ("stock.csv" + ".done"); the
	// done-file is removed with it. Outbound, we write the done-file
	// after the file.
	DoneSuffix string `yaml:"done_suffix"`
}
