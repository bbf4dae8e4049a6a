package as2

import (
	"crypto/x509"
	"log/slog"
	"sync"
	"time"
)

// DefaultExpiryWarning is how long before a certificate expires the
// station starts warning about it.
const DefaultExpiryWarning = 45 * 24 * time.Hour

// CertWarning is a certificate that expires soon or has expired.
type CertWarning struct {
	Owner    string // "ours" or the partner id
	Subject  string
	Serial   string
	NotAfter time.Time
	Expired  bool
}

// ExpiringCertificates lists our certificate and the partners'
// certificates that expire within the given time of now.
func ExpiringCertificates(now time.Time, within time.Duration, id Identity, partners ...Partner) []CertWarning {
	var out []CertWarning
	add := func(owner string, c *x509.Certificate) {
		if c != nil && c.NotAfter.Before(now.Add(within)) {
			out = append(out, CertWarning{Owner: owner, Subject: c.Subject.String(), Serial: c.SerialNumber.Text(16),
				NotAfter: c.NotAfter, Expired: c.NotAfter.Before(now)})
		}
	}
	add("ours", id.Cert)
	for _, p := range partners {
		for _, c := range p.Certs {
			add(p.ID, c)
		}
	}
	return out
}

// expiryWatch logs a warning about a certificate close to expiry at most
// once a day per certificate.
type expiryWatch struct {
	log    *slog.Logger
	within time.Duration

	mu     sync.Mutex
	warned map[string]time.Time // serial → last warning
}

func newExpiryWatch(log *slog.Logger, within time.Duration) *expiryWatch {
	if within <= 0 {
		within = DefaultExpiryWarning
	}
	return &expiryWatch{log: log, within: within, warned: map[string]time.Time{}}
}

// check warns when c expires within the window.
func (w *expiryWatch) check(now time.Time, owner string, c *x509.Certificate) {
	if c == nil || c.NotAfter.After(now.Add(w.within)) {
		return
	}
	key := owner + "/" + c.SerialNumber.Text(16)
	w.mu.Lock()
	last, seen := w.warned[key]
	if seen && now.Sub(last) < 24*time.Hour {
		w.mu.Unlock()
		return
	}
	w.warned[key] = now
	w.mu.Unlock()
	if c.NotAfter.Before(now) {
		w.log.Warn("AS2 certificate has expired", "owner", owner, "subject", c.Subject.String(), "not_after", c.NotAfter)
		return
	}
	w.log.Warn("AS2 certificate expires soon", "owner", owner, "subject", c.Subject.String(),
		"not_after", c.NotAfter, "days_left", int(c.NotAfter.Sub(now).Hours()/24))
}

// encryptionCert picks the certificate to encrypt to: the valid one with
// the latest NotBefore, else the one that expires last.
func encryptionCert(certs []*x509.Certificate, now time.Time) *x509.Certificate {
	var best *x509.Certificate
	for _, c := range certs {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			continue
		}
		if best == nil || c.NotBefore.After(best.NotBefore) {
			best = c
		}
	}
	if best != nil {
		return best
	}
	for _, c := range certs {
		if best == nil || c.NotAfter.After(best.NotAfter) {
			best = c
		}
	}
	return best
}
