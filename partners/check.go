package partners

import (
	"crypto"
	"errors"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones must validate the same on every host

	"github.com/dockside-edi/dockside/internal/authkeys"
)

// checker runs the rules of one decoded profile that the decoder cannot
// see (formats, ranges, options that go together, references, files),
// sets the defaults that depend on other fields, and reports each problem
// at the place of the path it concerns.
type checker struct {
	d     *decoder
	p     *Profile
	dir   string     // the profile's folder, for relative file paths
	files fileSource // where referenced files are read
}

// failf reports a problem at path, unless decoding already reported one
// there or above (a wrong type must not cascade into "is required").
func (c *checker) failf(path string, sentinel error, format string, args ...any) {
	if c.d.erred(path) {
		return
	}
	c.d.failf(c.d.where(path), path, sentinel, format, args...)
}

// failKey reports a problem about the key at path itself (an unknown
// column, a bad code used as a key).
func (c *checker) failKey(path string, sentinel error, format string, args ...any) {
	if c.d.erred(path) {
		return
	}
	c.d.failf(c.d.keyWhere(path), path, sentinel, format, args...)
}

// has reports whether the profile spells out the key at path.
func (c *checker) has(path string) bool {
	_, ok := c.d.keys[path]
	return ok
}

// notHere reports set options that do not apply, one per option.
func (c *checker) notHere(base string, why string, options map[string]bool) {
	names := make([]string, 0, len(options))
	for name, set := range options {
		if set {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		c.failf(keyPath(base, name), ErrConflict, "does not apply %s", why)
	}
}

// profile checks a whole profile.
func (c *checker) profile() {
	p := c.p
	if p.ID != "" && !validID(p.ID) {
		c.failf("id", ErrInvalid, "%q: want lower-case letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit", p.ID)
	}
	if p.TimeZone != "" {
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil || p.TimeZone == "Local" {
			c.failf("time_zone", ErrInvalid, "unknown time zone %q (want an IANA name such as America/Chicago)", p.TimeZone)
		} else {
			p.loc = loc
		}
	}
	c.identities()
	c.tables()
	c.transports()
	c.documents()
	c.acks()
	c.advice()
	c.events()
	c.divergence()
	c.fulfils()
}

func (c *checker) divergence() {
	d := &c.p.Divergence
	if d.WarnAfter < time.Minute {
		c.failf("divergence.warn_after", ErrInvalid, "%s: want at least 1m", d.WarnAfter)
	}
	if d.Webhook != "" {
		u, err := url.Parse(d.Webhook)
		switch {
		case err == nil && u.User != nil:
			c.failf("divergence.webhook", ErrInvalid, "must not carry credentials (not repeated here)")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			c.failf("divergence.webhook", ErrInvalid, "%q: want an http or https URL", d.Webhook)
		}
	}
}

func validID(id string) bool {
	if len(id) > 64 || id == "" {
		return false
	}
	for i, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '.' || r == '_' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// code reports whether s is an X12 code: upper-case letters and digits,
// between lo and hi characters.
func code(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// printable reports whether s is 1 to max printable ASCII characters
// without surrounding spaces.
func printable(s string, max int) bool {
	if s == "" || len(s) > max || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

func (c *checker) identities() {
	ids := &c.p.Identities
	seen := map[string]int{}
	for i, isa := range ids.ISA {
		p := indexPath("identities.isa", i)
		if isa.Qualifier != "" && !code(isa.Qualifier, 2, 2) {
			c.failf(keyPath(p, "qualifier"), ErrInvalid, "%q: want 2 upper-case letters or digits (ZZ, 01, 08, 12...)", isa.Qualifier)
		}
		if isa.ID != "" && !printable(isa.ID, 15) {
			c.failf(keyPath(p, "id"), ErrInvalid, "%q: want 1 to 15 printable characters, without the padding", isa.ID)
		}
		key := isaKey(isa.Qualifier, isa.ID)
		if first, dup := seen[key]; dup {
			c.failf(p, ErrAmbiguousIdentity, "ISA sender %s is listed twice (first at identities.isa[%d])", isa, first)
		} else {
			seen[key] = i
		}
	}
	for i, gs := range ids.GS {
		if !printable(gs, 15) || len(gs) < 2 {
			c.failf(indexPath("identities.gs", i), ErrInvalid, "%q: want 2 to 15 printable characters", gs)
		}
	}
	if ids.AS2 != "" {
		ids.AS2 = strings.TrimSpace(ids.AS2)
		if !printable(ids.AS2, 128) {
			c.failf("identities.as2", ErrInvalid, "%q: want 1 to 128 printable ASCII characters", ids.AS2)
		}
	}
	if ids.SFTP != nil {
		c.sftpAccount(ids.SFTP)
	}
}

// isaKey is the lookup key of an ISA sender: qualifier and id, upper-cased
// and trimmed (ISA ids are space-padded and, in practice, case-blind).
func isaKey(qualifier, id string) string {
	return strings.ToUpper(strings.TrimSpace(qualifier)) + "/" + strings.ToUpper(strings.TrimSpace(id))
}

func (c *checker) sftpAccount(a *SFTPAccount) {
	const p = "identities.sftp"
	if a.User != "" && !validUser(a.User) {
		c.failf(p+".user", ErrInvalid, "%q: want 1 to 32 letters, digits, '.', '_' or '-', not starting with '-'", a.User)
	}
	if len(a.AuthorizedKeys) == 0 && a.PasswordHash == "" {
		c.failf(p, ErrRequired, "needs authorized_keys or password_hash")
	}
	// The SFTP server reads the lines with the same parser, in the same
	// time zone: a line refused here never logs in there.
	for i, line := range a.AuthorizedKeys {
		_, err := authkeys.Parse(line, c.p.Location())
		var oe *authkeys.OptionError
		switch {
		case errors.As(err, &oe):
			c.failf(indexPath(p+".authorized_keys", i), ErrInvalid, "%v", err)
		case err != nil:
			c.failf(indexPath(p+".authorized_keys", i), ErrKey, "%v", err)
		}
	}
	if a.PasswordHash != "" {
		if err := checkPasswordHash(a.PasswordHash); err != nil {
			c.failf(p+".password_hash", ErrKey, "%v", err)
		}
	}
}

func validUser(u string) bool {
	if u == "" || len(u) > 32 || u[0] == '-' {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (c *checker) tables() {
	names := make([]string, 0, len(c.p.Tables))
	for name := range c.p.Tables {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t := c.p.Tables[name]
		p := keyPath("tables", name)
		if !simpleKey(name) {
			c.failf(p, ErrInvalid, "table name %q: want letters, digits, '_' or '-'", name)
		}
		t.Name = name
		t.load(c, p)
	}
}

// tableRef checks that name, used at path, is a defined table.
func (c *checker) tableRef(path, name string) {
	if name == "" {
		return
	}
	if _, ok := c.p.Tables[name]; !ok {
		c.failf(path, ErrUndefinedTable, "table %q is not defined", name)
	}
}

func (c *checker) transports() {
	for _, dir := range []struct {
		name    string
		list    []Transport
		inbound bool
	}{
		{"inbound", c.p.Transports.Inbound, true},
		{"outbound", c.p.Transports.Outbound, false},
	} {
		for i := range dir.list {
			c.transport(&dir.list[i], indexPath("transports."+dir.name, i), dir.inbound)
		}
	}
}

func (c *checker) transport(t *Transport, p string, inbound bool) {
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"sftp", t.SFTP != nil}, {"sftp_push", t.SFTPPush != nil}, {"as2", t.AS2 != nil}, {"folder", t.Folder != nil}, {"webhook", t.Webhook != nil}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	switch len(kinds) {
	case 0:
		c.failf(p, ErrRequired, "needs one of sftp, sftp_push, as2, folder or webhook")
		return
	case 1:
	default:
		c.failf(p, ErrConflict, "one transport per entry, found %s (make one entry each)", strings.Join(kinds, " and "))
		return
	}
	switch {
	case t.SFTP != nil:
		c.sftpFolder(t.SFTP, keyPath(p, "sftp"), inbound)
	case t.SFTPPush != nil:
		if inbound {
			c.failf(keyPath(p, "sftp_push"), ErrConflict, "sftp_push is outbound only (inbound, the partner uploads to our server: use sftp)")
			return
		}
		c.sftpPush(t.SFTPPush, keyPath(p, "sftp_push"))
	case t.AS2 != nil:
		c.as2(t.AS2, keyPath(p, "as2"), inbound)
	case t.Folder != nil:
		c.folder(t.Folder, keyPath(p, "folder"))
	case t.Webhook != nil:
		c.webhook(t.Webhook, keyPath(p, "webhook"), inbound)
	}
}

// sftpFolder checks a folder on our SFTP server. The server jails each
// partner with exactly two folders: in/ for their uploads and out/ for
// what they pick up; the folder, when given, must name the right one.
func (c *checker) sftpFolder(s *SFTPFolder, p string, inbound bool) {
	if c.p.Identities.SFTP == nil {
		c.failf(p, ErrRequired, "needs identities.sftp (the partner's login on our server)")
	}
	want, what := "out", "outgoing"
	if inbound {
		want, what = "in", "uploaded"
	}
	if s.Folder != "" && path.Clean(s.Folder) != want {
		c.failf(keyPath(p, "folder"), ErrInvalid, "%q: the partner's %s files are in %s/ on our server (leave folder out, or write %s)", s.Folder, what, want, want)
	}
}

func (c *checker) sftpPush(s *SFTPPush, p string) {
	hostOK := true
	if s.Host != "" && (strings.ContainsAny(s.Host, " /\\@") || strings.Contains(s.Host, "://")) {
		c.failf(keyPath(p, "host"), ErrInvalid, "%q: want a bare host name or address (no scheme, user or path)", s.Host)
		hostOK = false
	}
	if s.Port < 1 || s.Port > 65535 {
		c.failf(keyPath(p, "port"), ErrInvalid, "%d is not a port number (1-65535)", s.Port)
		hostOK = false
	}
	if s.KeyFile != "" {
		resolved, data, ok := c.readFile(keyPath(p, "key_file"), s.KeyFile, maxKeyFile)
		s.KeyFile = resolved
		if ok {
			if err := checkSSHPrivateKey(data); err != nil {
				c.failf(keyPath(p, "key_file"), ErrKey, "%v", err)
			}
		}
	}
	if s.HostKey != "" {
		host := s.Host
		if !hostOK {
			host = "" // check the line alone
		}
		if err := checkKnownHost(s.HostKey, host, s.Port); err != nil {
			c.failf(keyPath(p, "host_key"), ErrKey, "not a known_hosts line for this host: %v", err)
		}
	}
}

func (c *checker) as2(a *AS2, p string, inbound bool) {
	if c.p.Identities.AS2 == "" {
		c.failf(p, ErrRequired, "needs identities.as2 (the partner's AS2 id)")
	}
	if inbound {
		c.notHere(p, "to inbound as2 (it is the partner's endpoint, for outbound)", map[string]bool{"url": a.URL != ""})
	} else if a.URL == "" {
		c.failf(keyPath(p, "url"), ErrRequired, "is required for outbound as2")
	} else if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.failf(keyPath(p, "url"), ErrInvalid, "%q: want an http:// or https:// URL", a.URL)
	}
	if c.has(keyPath(p, "mdn_within")) {
		// With mdn: sync or none it waits unused (switching modes keeps it).
		switch {
		case inbound:
			c.failf(keyPath(p, "mdn_within"), ErrConflict, "mdn_within is for outbound as2 (how long we wait for their asynchronous MDN)")
		case a.MDNWithin < time.Minute:
			c.failf(keyPath(p, "mdn_within"), ErrInvalid, "%v: want at least 1m", a.MDNWithin)
		}
	}
	if a.MDN == MDNNone {
		if a.MDNSigned && c.has(keyPath(p, "mdn_signed")) {
			c.failf(keyPath(p, "mdn_signed"), ErrConflict, "mdn_signed needs an MDN (mdn is none)")
		}
		a.MDNSigned = false
	}
	c.partnerCerts(a, p, inbound)
	c.ourKeyPair(a, p)
}

// partnerCerts checks the partner's certificates, and that there is one
// when it is needed: inbound to verify their signature, outbound to
// encrypt to them or verify their signed MDN.
func (c *checker) partnerCerts(a *AS2, p string, inbound bool) {
	certsPath := keyPath(p, "partner_certs")
	for i, rel := range a.PartnerCerts {
		ip := indexPath(certsPath, i)
		resolved, data, ok := c.readFile(ip, rel, maxKeyFile)
		a.PartnerCerts[i] = resolved
		if !ok {
			continue
		}
		if _, err := parseCertificates(data); err != nil {
			c.failf(ip, ErrKey, "%q: %v", rel, err)
		}
	}
	if len(a.PartnerCerts) > 0 {
		return
	}
	switch {
	case inbound && a.Sign != DigestNone:
		c.failf(certsPath, ErrRequired, "is required to verify the partner's signature (or sign: none)")
	case !inbound && a.Encrypt != CipherNone:
		c.failf(certsPath, ErrRequired, "is required to encrypt to the partner (or encrypt: none)")
	case !inbound && a.MDNSigned:
		c.failf(certsPath, ErrRequired, "is required to verify the partner's signed MDN (or mdn_signed: false)")
	}
}

// ourKeyPair checks our own key and certificate, which go together.
func (c *checker) ourKeyPair(a *AS2, p string) {
	if (a.OurKey == "") != (a.OurCert == "") {
		c.failf(p, ErrConflict, "our_key and our_cert go together (leave both out for the gateway's own)")
	}
	var key crypto.Signer
	if a.OurKey != "" {
		kp := keyPath(p, "our_key")
		resolved, data, ok := c.readFile(kp, a.OurKey, maxKeyFile)
		rel := a.OurKey
		a.OurKey = resolved
		if ok {
			k, err := parsePrivateKey(data)
			if err != nil {
				c.failf(kp, ErrKey, "%q: %v", rel, err)
			} else {
				key = k
			}
		}
	}
	if a.OurCert != "" {
		cp := keyPath(p, "our_cert")
		resolved, data, ok := c.readFile(cp, a.OurCert, maxKeyFile)
		rel := a.OurCert
		a.OurCert = resolved
		if !ok {
			return
		}
		certs, err := parseCertificates(data)
		if err != nil {
			c.failf(cp, ErrKey, "%q: %v", rel, err)
			return
		}
		if key != nil && !sameKey(certs[0], key) {
			c.failf(cp, ErrKey, "%q does not hold the public key of our_key", rel)
		}
	}
}

func (c *checker) folder(f *Folder, p string) {
	if _, onDisk := c.files.(osFiles); onDisk && f.Path != "" {
		f.Path = c.resolve(f.Path)
	}
	if f.DoneSuffix != "" && (strings.ContainsAny(f.DoneSuffix, `/\`) || strings.Trim(f.DoneSuffix, ".") == "") {
		c.failf(keyPath(p, "done_suffix"), ErrInvalid, "%q: want a file-name suffix such as .done or .ok", f.DoneSuffix)
	}
}

func (c *checker) acks() {
	hasX12 := slices.ContainsFunc(c.p.Documents, func(d Document) bool { return d.Type.IsX12() })
	if hasX12 && c.p.Acks.Send != AckNone && len(c.p.Transports.Outbound) == 0 {
		c.failf("acks.send", ErrRequired, "sending acknowledgements needs an outbound transport (transports.outbound), or send: none")
	}
}

func (c *checker) advice() {
	a := c.p.Advice
	if a == nil {
		return
	}
	a.Schedule = a.Schedule.inZone(c.p.loc)
	if len(c.p.Transports.Outbound) == 0 {
		c.failf("advice", ErrRequired, "needs an outbound transport (transports.outbound)")
	}
	if a.Format == AdviceX12 && len(c.p.Identities.ISA) == 0 {
		c.failf("advice", ErrRequired, "needs identities.isa (the receiver of the 846), or format: json")
	}
	if a.Format == AdviceJSON && c.has("advice.version") {
		c.failf("advice.version", ErrConflict, "is the X12 release; it does not apply to format: json")
	}
	if a.Format == AdviceJSON && c.p.Acks.ExpectWithin > 0 && c.p.Fulfils == nil {
		// Nothing else we send this partner expects an acknowledgement.
		c.failf("acks.expect_within", ErrConflict, "nothing acknowledges JSON advice (advice.format: json); leave expect_within out")
	}
	if a.Items.Qualifier != "" && !code(a.Items.Qualifier, 2, 2) {
		c.failf("advice.items.qualifier", ErrInvalid, "%q: want a 2-character product id qualifier (UP, VN, SK...)", a.Items.Qualifier)
	}
	c.tableRef("advice.items.lookup", a.Items.Lookup)
	c.policy(&a.Policy, "advice.policy")
}

// maxQuantity is the ledger's bound on a quantity.
const maxQuantity = 1_000_000_000_000_000

func (c *checker) policy(pol *Policy, p string) {
	quantity := func(name string, v int64) {
		if v < 0 || v > maxQuantity {
			c.failf(keyPath(p, name), ErrInvalid, "%d: want 0 to %d", v, int64(maxQuantity))
		}
	}
	if pol.SharePercent < 0 || pol.SharePercent > 100 {
		c.failf(keyPath(p, "share_percent"), ErrInvalid, "%d is not a percentage (0-100)", pol.SharePercent)
	}
	quantity("safety_stock", pol.SafetyStock)
	quantity("min", pol.Min)
	quantity("max", pol.Max)
	quantity("zero_at_or_below", pol.ZeroAtOrBelow)
	if pol.Max > 0 && pol.Min > pol.Max {
		c.failf(keyPath(p, "min"), ErrConflict, "min %d is above max %d", pol.Min, pol.Max)
	}
	if pol.InTransitDays < 0 || pol.InTransitDays > 365 {
		c.failf(keyPath(p, "in_transit_days"), ErrInvalid, "%d: want 0 to 365 days", pol.InTransitDays)
	}
	seen := map[string]int{}
	for i, loc := range pol.Locations {
		lp := indexPath(keyPath(p, "locations"), i)
		if strings.TrimSpace(loc) == "" {
			c.failf(lp, ErrInvalid, "empty location")
		} else if first, dup := seen[loc]; dup {
			c.failf(lp, ErrInvalid, "location %q is listed twice (first at [%d])", loc, first)
		} else {
			seen[loc] = i
		}
	}
}

// validLayout reports whether a Go time layout holds at least one element
// and reads back what it writes.
func validLayout(layout string) bool {
	ref := time.Date(2023, 11, 28, 21, 37, 49, 0, time.UTC)
	out := ref.Format(layout)
	if out == layout {
		return false
	}
	_, err := time.Parse(layout, out)
	return err == nil
}
