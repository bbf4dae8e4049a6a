package as2

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/outbox"
)

// maxMDNBytes bounds a synchronous MDN read from a partner.
const maxMDNBytes = 4 << 20

// SenderConfig configures a Sender.
type SenderConfig struct {
	Identity Identity
	Partners Partners
	// Client posts the messages (default: a client with a 2-minute
	// timeout). Its timeout bounds one attempt, with the outbox's.
	Client *http.Client
	// Store records messages awaiting an asynchronous MDN; required when
	// a partner's profile asks for one.
	Store Records
	// AsyncMDNURL is where partners POST asynchronous MDNs: the public
	// URL of our Handler.
	AsyncMDNURL string
	// ReceiptTo is the Disposition-Notification-To value (default our
	// AS2 id); some stations only check that it is there.
	ReceiptTo string
	// Subject of our messages (default "AS2 message from <our id>");
	// an outbox message's MetaSubject overrides it.
	Subject string
	// ExpiryWarning: see HandlerConfig.
	ExpiryWarning time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
}

// Sender sends outbox messages of transport "as2": our messages, and
// the asynchronous MDNs the Handler queued (kind KindMDN).
type Sender struct {
	cfg    SenderConfig
	log    *slog.Logger
	expiry *expiryWatch
}

var _ outbox.Sender = (*Sender)(nil)

// NewSender returns the outbox sender of transport "as2".
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Identity.Key == nil || cfg.Identity.Cert == nil || cfg.Identity.AS2ID == "" {
		return nil, fmt.Errorf("%w: sender needs our AS2 id, key and certificate", ErrConfig)
	}
	if cfg.Partners == nil {
		return nil, fmt.Errorf("%w: sender needs partners", ErrConfig)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 2 * time.Minute}
	}
	if cfg.ReceiptTo == "" {
		cfg.ReceiptTo = cfg.Identity.AS2ID
	}
	if cfg.Subject == "" {
		cfg.Subject = "AS2 message from " + cfg.Identity.AS2ID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Identity = withFastKey(cfg.Identity)
	s := &Sender{cfg: cfg, log: cfg.Logger, expiry: newExpiryWatch(cfg.Logger, cfg.ExpiryWarning)}
	s.expiry.check(cfg.Now(), "ours", cfg.Identity.Cert)
	return s, nil
}

// Send makes one attempt to deliver an outbox message. A verified
// synchronous MDN gives a delivered receipt; an asynchronous MDN request
// gives a pending one, confirmed later by the Handler; a negative MDN, a
// MIC mismatch or an HTTP error is an error, for the outbox to retry.
func (s *Sender) Send(ctx context.Context, m *outbox.Message, body []byte) (outbox.Receipt, error) {
	if m.Kind == KindMDN {
		return s.sendMDN(ctx, m, body)
	}
	p, ok := s.cfg.Partners.ByID(m.Partner)
	if !ok {
		return outbox.Receipt{}, fmt.Errorf("%w: %q", ErrUnknownPartner, m.Partner)
	}
	p, err := p.normalized()
	if err != nil {
		return outbox.Receipt{}, err
	}
	if p.URL == "" {
		return outbox.Receipt{}, fmt.Errorf("%w: partner %s has no AS2 URL", ErrConfig, p.ID)
	}
	if p.MDN == MDNAsync && (s.cfg.Store == nil || s.cfg.AsyncMDNURL == "") {
		return outbox.Receipt{}, fmt.Errorf("%w: partner %s wants asynchronous MDNs: the sender needs a store and AsyncMDNURL", ErrConfig, p.ID)
	}
	if s.cfg.Store != nil {
		// A negative asynchronous MDN made this attempt: it fails, so that
		// the outbox backs off and counts it; the next one sends again.
		if reason, err := s.cfg.Store.TakeNegative(ctx, m.ID); err != nil {
			return outbox.Receipt{}, err
		} else if reason != "" {
			return outbox.Receipt{}, fmt.Errorf("%w: %s", ErrMDN, reason)
		}
	}
	now := s.cfg.Now()
	for _, c := range p.Certs {
		s.expiry.check(now, p.ID, c)
	}
	msg, err := buildMessage(p, s.cfg.Identity, m, body, now)
	if err != nil {
		return outbox.Receipt{}, err
	}
	msgID := s.messageID(m)
	if p.MDN == MDNAsync {
		err := s.cfg.Store.PutPending(ctx, &PendingRecord{OutboxID: m.ID, Partner: p.ID, MessageID: msgID,
			MIC: msg.mic, SignedMDN: p.MDNSigned, SentAt: now.UTC()})
		if err != nil {
			return outbox.Receipt{}, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(msg.entity.body))
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("%w: partner %s URL: %v", ErrConfig, p.ID, err)
	}
	s.setHeaders(req, p, m, msg, msgID, now)
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("as2: POST %s: %w", p.URL, err)
	}
	defer resp.Body.Close()
	rbody, err := io.ReadAll(io.LimitReader(resp.Body, maxMDNBytes))
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("as2: reading the response of %s: %w", p.URL, err)
	}
	if resp.StatusCode/100 != 2 {
		return outbox.Receipt{}, &HTTPError{URL: p.URL, Status: resp.StatusCode, Body: firstLine(rbody)}
	}
	rtype, _ := parseMediaType(resp.Header.Get("Content-Type"))
	isMDN := rtype == "multipart/signed" || rtype == "multipart/report" || rtype == "message/disposition-notification"
	switch {
	case p.MDN == MDNNone:
		return outbox.Receipt{Text: fmt.Sprintf("%s: HTTP %d from %s (no MDN asked for)", msgID, resp.StatusCode, p.URL)}, nil
	case p.MDN == MDNAsync && !isMDN:
		// A fast partner's negative MDN may have come in while we were
		// still sending (the outbox could not reschedule a message it
		// was sending): report it now.
		if reason, err := s.cfg.Store.TakeNegative(ctx, m.ID); err == nil && reason != "" {
			return outbox.Receipt{}, fmt.Errorf("%w: %s", ErrMDN, reason)
		}
		within := p.MDNWithin
		if within <= 0 {
			within = time.Hour
		}
		return outbox.Receipt{Text: fmt.Sprintf("%s: HTTP %d; awaiting the asynchronous MDN", msgID, resp.StatusCode),
			Pending: true, ConfirmWithin: within}, nil
	}
	mdn, err := parseMDN(resp.Header.Get("Content-Type"), rbody, p.Certs, p.MDNSigned)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("%w: MDN for %s: %w", ErrMDN, msgID, err)
	}
	if err := checkMDN(mdn, msgID, msg.mic, p.MDNSigned); err != nil {
		return outbox.Receipt{}, err
	}
	if p.MDN == MDNAsync { // answered synchronously after all
		if err := s.cfg.Store.SettlePending(ctx, &PendingRecord{MessageID: msgID, OutboxID: m.ID}, ""); err != nil {
			s.log.Error("AS2 store", "err", err)
		}
	}
	return outbox.Receipt{Text: mdn.Summary()}, nil
}

// setHeaders writes the AS2 and MIME headers of a message, with their
// usual spelling.
func (s *Sender) setHeaders(req *http.Request, p Partner, m *outbox.Message, msg *outboundMessage, msgID string, now time.Time) {
	h := req.Header
	set := func(k, v string) { h[k] = []string{v} }
	set("AS2-Version", "1.2")
	set("AS2-From", quoteAS2ID(s.cfg.Identity.AS2ID))
	set("AS2-To", quoteAS2ID(p.AS2ID))
	set("Message-ID", msgID)
	set("Date", now.UTC().Format(time.RFC1123Z))
	set("MIME-Version", "1.0")
	subject := s.cfg.Subject
	if v := m.Meta[MetaSubject]; v != "" {
		subject = v
	}
	set("Subject", asciiText(subject))
	for _, f := range msg.entity.fields {
		set(f.name, f.value)
	}
	if p.MDN != MDNNone {
		set("Disposition-Notification-To", s.cfg.ReceiptTo)
		if p.MDNSigned {
			set("Disposition-Notification-Options", fmt.Sprintf(
				"signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, %s", msg.micDigest.micalg))
		}
	}
	if p.MDN == MDNAsync {
		set("Receipt-Delivery-Option", s.cfg.AsyncMDNURL)
	}
	req.ContentLength = int64(len(msg.entity.body))
}

// messageID is the Message-ID of an outbox message: the same on every
// attempt (a resend is recognized as such, RFC 4130 §5.5), different
// between messages and between outbox databases.
func (s *Sender) messageID(m *outbox.Message) string {
	h := sha256.New()
	h.Write([]byte(s.cfg.Identity.AS2ID + "\x00" + m.Partner + "\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, m.ID))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(m.Created.UnixNano())))
	return "<dockside-" + strconv.FormatUint(m.ID, 10) + "-" + hex.EncodeToString(h.Sum(nil)[:8]) +
		"@" + messageIDDomain(s.cfg.Identity.AS2ID) + ">"
}

// sendMDN POSTs an asynchronous MDN the Handler queued.
func (s *Sender) sendMDN(ctx context.Context, m *outbox.Message, body []byte) (outbox.Receipt, error) {
	url := m.Meta[metaMDNURL]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("%w: MDN URL %q: %v", ErrConfig, url, err)
	}
	h := req.Header
	set := func(k, v string) { h[k] = []string{v} }
	set("AS2-Version", "1.2")
	set("AS2-From", quoteAS2ID(s.cfg.Identity.AS2ID))
	set("AS2-To", quoteAS2ID(m.Meta[metaMDNPartnerAS2]))
	set("Message-ID", m.Meta[metaMDNMessageID])
	set("Date", s.cfg.Now().UTC().Format(time.RFC1123Z))
	set("Subject", "AS2 MDN")
	set("MIME-Version", "1.0")
	set("Content-Type", m.Meta[metaMDNType])
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("as2: POST MDN to %s: %w", url, err)
	}
	defer resp.Body.Close()
	rbody, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return outbox.Receipt{}, &HTTPError{URL: url, Status: resp.StatusCode, Body: firstLine(rbody)}
	}
	return outbox.Receipt{Text: fmt.Sprintf("MDN for %s delivered to %s: HTTP %d", m.Meta[metaOrigMessageID], url, resp.StatusCode)}, nil
}

func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}
