package as2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

// Defaults of HandlerConfig.
const (
	// DefaultMaxBody bounds one received HTTP body.
	DefaultMaxBody = 64 << 20
	// DefaultRatePerAddress and DefaultRateBurst limit the requests of
	// one client address.
	DefaultRatePerAddress = 20
	DefaultRateBurst      = 60
)

// spoolAbove is the body size from which a body is written to disk while
// it arrives, rather than read into memory.
const spoolAbove = 1 << 20

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Identity Identity
	Partners Partners
	Inbox    Inbox
	Store    Records
	// Outbox queues the asynchronous MDNs partners ask for, and confirms
	// our messages when partners' asynchronous MDNs arrive. Without it,
	// partners asking for an asynchronous MDN get it synchronously, and
	// asynchronous MDNs posted to us are refused.
	Outbox Outbox
	// MaxBody bounds one HTTP body (default DefaultMaxBody); MaxExpanded
	// bounds a message's decompressed content (default MaxBody). The
	// decompressed content is also counted against UnwrapMemory, with the
	// body: a message whose body and decompressed content are over it is
	// refused (too large); one that finds too little of it free just then
	// is refused as this station's failure, to be sent again later.
	MaxBody, MaxExpanded int64
	// SpoolDir is where bodies over SpoolAbove bytes are written while
	// they arrive (default os.TempDir(); better a folder on disk than a
	// tmpfs). The files are unlinked at once and gone with the request.
	SpoolDir string
	// UnwrapMemory bounds the bytes of the bodies being unwrapped at a
	// time (default MaxBody: one message of the largest size, or many
	// small ones); each needs about three times its size while unwrapped
	// (body, transfer decoding, decryption). Other bodies wait on disk,
	// in the order they came.
	UnwrapMemory int64
	// MaxSpool bounds the bytes of all the bodies on disk in SpoolDir at
	// a time (default 16 × MaxBody); a body that would go over is
	// answered 503 with Retry-After, so that senders who name a known
	// AS2-From cannot fill the disk before their signature is checked.
	MaxSpool int64
	// RatePerAddress is the sustained requests per second allowed per
	// client IP address, RateBurst the burst (defaults
	// DefaultRatePerAddress and DefaultRateBurst); a negative
	// RatePerAddress turns the limit off.
	RatePerAddress float64
	RateBurst      int
	// ReportingUA names us in MDNs (default "Dockside AS2").
	ReportingUA string
	// ExpiryWarning is how long before a certificate expires to start
	// warning (default DefaultExpiryWarning).
	ExpiryWarning time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
}

// Handler is the AS2 endpoint: it receives partners' messages and their
// asynchronous MDNs for ours.
type Handler struct {
	cfg     HandlerConfig
	log     *slog.Logger
	locks   keyLocks
	expiry  *expiryWatch
	limits  *addrLimits  // nil: no rate limit
	working *budget      // bytes of the bodies being unwrapped
	spooled atomic.Int64 // bytes of the bodies in SpoolDir
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns the AS2 endpoint, to mount at e.g. /as2.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	switch {
	case cfg.Identity.Key == nil || cfg.Identity.Cert == nil || cfg.Identity.AS2ID == "":
		return nil, fmt.Errorf("%w: handler needs our AS2 id, key and certificate", ErrConfig)
	case cfg.Partners == nil || cfg.Inbox == nil || cfg.Store == nil:
		return nil, fmt.Errorf("%w: handler needs partners, an inbox and a store", ErrConfig)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxExpanded <= 0 {
		cfg.MaxExpanded = cfg.MaxBody
	}
	if cfg.ReportingUA == "" {
		cfg.ReportingUA = "Dockside AS2"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UnwrapMemory <= 0 {
		cfg.UnwrapMemory = cfg.MaxBody
	}
	if cfg.MaxSpool <= 0 {
		cfg.MaxSpool = 16 * cfg.MaxBody
	}
	if cfg.RatePerAddress == 0 {
		cfg.RatePerAddress = DefaultRatePerAddress
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	cfg.Identity = withFastKey(cfg.Identity)
	h := &Handler{cfg: cfg, log: cfg.Logger, expiry: newExpiryWatch(cfg.Logger, cfg.ExpiryWarning),
		working: newBudget(cfg.UnwrapMemory)}
	if cfg.RatePerAddress > 0 {
		h.limits = newAddrLimits(cfg.RatePerAddress, cfg.RateBurst)
	}
	h.log.Info("as2: RSA private key operations", "implementation", keyImplementation(cfg.Identity.Key))
	h.expiry.check(cfg.Now(), "ours", cfg.Identity.Cert)
	return h, nil
}

// ServeHTTP receives one AS2 message or asynchronous MDN. Everything that
// needs no body is checked before the body is read: the client address's
// rate, the AS2 headers, the announced size and the partner. A large
// body is then written to disk while it arrives; it is read into memory
// only when its turn to be unwrapped comes (UnwrapMemory bytes of bodies
// at a time).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "AS2 endpoint: POST AS2 messages here", http.StatusMethodNotAllowed)
		return
	}
	aw := &answerWriter{ResponseWriter: w}
	var req *request
	defer h.recoverPanic(r, aw, &req)
	// Refused before its body is read, a request's connection is closed
	// after the answer: the server then neither waits for nor reads the
	// body (a client that sent Expect: 100-continue never sends it, even
	// when a wrapper replaced r.Body and hides the expectation from
	// net/http).
	w.Header().Set("Connection", "close")
	if h.limits != nil {
		if ok, wait := h.limits.allow(remoteIP(r), h.cfg.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			http.Error(w, "too many requests from this address; retry later", http.StatusTooManyRequests)
			return
		}
	}
	req, err := readRequest(r)
	if err != nil {
		h.log.Warn("AS2 request refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.ContentLength > h.cfg.MaxBody {
		http.Error(w, fmt.Sprintf("message over %d bytes", h.cfg.MaxBody), http.StatusRequestEntityTooLarge)
		return
	}
	p, known := h.cfg.Partners.ByAS2ID(req.from)
	if !known {
		h.refuseStranger(r.Context(), aw, req)
		return
	}
	w.Header().Del("Connection")
	body, err := h.readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			http.Error(w, fmt.Sprintf("message over %d bytes", h.cfg.MaxBody), http.StatusRequestEntityTooLarge)
		case errors.Is(err, errSpoolFull):
			h.log.Warn("AS2 body refused: the spool is full", "message_id", req.messageID, "remote", r.RemoteAddr, "max_spool", h.cfg.MaxSpool)
			w.Header().Set("Retry-After", "60")
			http.Error(w, "this station is busy; send the message again later", http.StatusServiceUnavailable)
		case errors.Is(err, errSpool):
			h.log.Error("AS2 body not spooled", "message_id", req.messageID, "err", err)
			http.Error(w, "this station failed to take the message; send it again later", http.StatusInternalServerError)
		default:
			http.Error(w, "reading the message: "+err.Error(), http.StatusBadRequest)
		}
		return
	}
	defer body.Close()
	// Wait for a turn, the body on disk, then read it.
	share, err := h.working.acquire(r.Context(), body.size)
	if err != nil {
		return // the client went away
	}
	defer h.working.release(share)
	req.share = share
	if req.top.body, err = body.bytes(); err != nil {
		h.log.Error("AS2 spooled body unreadable", "message_id", req.messageID, "err", err)
		http.Error(w, "this station failed to read the message; send it again later", http.StatusInternalServerError)
		return
	}
	if req.isMDN() {
		h.receiveMDN(r.Context(), aw, req, p)
		return
	}
	h.receiveMessage(r.Context(), aw, req, p)
}

// refuseStranger answers a request from an AS2-From no partner has,
// without reading its body: an MDN is refused with 403; a message gets a
// synchronous, unsigned MDN (or 400) saying authentication-failed. No
// URL of a stranger is ever POSTed to, and no private-key operation is
// spent on one.
func (h *Handler) refuseStranger(ctx context.Context, w http.ResponseWriter, req *request) {
	log := h.log.With("as2_from", req.from, "message_id", req.messageID)
	if req.mdnType() {
		log.Warn("AS2 MDN from an unknown partner")
		http.Error(w, "unknown AS2-From", http.StatusForbidden)
		return
	}
	mreq := h.readMDNRequest(req)
	mreq.asyncURL, mreq.sign = "", false
	h.answerFailure(ctx, w, req, nil, mreq, fmt.Errorf("%w: AS2-From %q", ErrUnknownPartner, req.from), log)
}

// recoverPanic ends an exchange whose handling panicked (a bug): the
// panic is logged with the Message-ID, and a message the response has not
// been started for is answered as failed (unexpected-processing-error,
// recorded as not processed, so that the partner's resend is processed
// again). *reqp is the request once its headers were read.
func (h *Handler) recoverPanic(r *http.Request, w *answerWriter, reqp **request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	req := *reqp
	log := h.log.With("remote", r.RemoteAddr, "message_id", r.Header.Get("Message-ID"), "as2_from", r.Header.Get("AS2-From"))
	log.Error("AS2 handler panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if w.started {
		panic(http.ErrAbortHandler) // half a response: drop the connection
	}
	cause := fmt.Errorf("%w: panic: %v", errOurs, v)
	defer func() {
		if v := recover(); v != nil { // the failure answer panicked too
			log.Error("AS2 failure answer panicked", "panic", fmt.Sprint(v))
			if !w.started {
				http.Error(w, "this station failed", http.StatusInternalServerError)
			}
		}
	}()
	if req == nil || req.isMDN() {
		http.Error(w, "this station failed: "+cause.Error(), http.StatusInternalServerError)
		return
	}
	mreq := h.readMDNRequest(req)
	var pp *Partner
	if p, ok := h.cfg.Partners.ByAS2ID(req.from); ok {
		pp = &p
	} else {
		mreq.asyncURL, mreq.sign = "", false
	}
	h.answerFailure(r.Context(), w, req, pp, mreq, cause, log)
}

// answerWriter notes whether the response was started.
type answerWriter struct {
	http.ResponseWriter
	started bool
}

func (w *answerWriter) WriteHeader(code int) {
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *answerWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// mdnRequest is what the sender asked for in the way of a receipt.
type mdnRequest struct {
	wanted   bool
	asyncURL string
	sign     bool
	digest   digestAlg // of the MIC and the MDN signature
	spelling string    // of the MIC algorithm, as requested
	asked    bool      // the sender named a MIC algorithm we support
	failure  error     // ErrUnsupportedMIC or ErrUnsupported: the options cannot be met
}

func (h *Handler) readMDNRequest(req *request) mdnRequest {
	m := mdnRequest{wanted: req.dnTo != "", asyncURL: req.asyncURL()}
	m.digest, _ = digestByName(SignSHA256)
	m.spelling = m.digest.micalg
	if req.dnOptions == "" {
		return m
	}
	opts, err := parseNotificationOptions(req.dnOptions)
	if err != nil {
		h.log.Warn("AS2 Disposition-Notification-Options unreadable; unsigned MDN", "message_id", req.messageID, "err", err)
		return m
	}
	m.sign = opts.wantsSignature()
	if opts.protocolRequired && !m.sign && len(opts.protocols) > 0 {
		m.failure = fmt.Errorf("%w: signed-receipt-protocol %v", ErrUnsupported, opts.protocols)
	}
	if d, spelling, ok := opts.micAlgorithm(); ok {
		m.digest, m.spelling, m.asked = d, spelling, true
	} else if opts.micalgRequired && len(opts.micalgs) > 0 {
		m.failure = fmt.Errorf("%w: signed-receipt-micalg %v", ErrUnsupportedMIC, opts.micalgs)
	}
	return m
}

// receiveMessage processes partner p's message and answers it.
func (h *Handler) receiveMessage(ctx context.Context, w http.ResponseWriter, req *request, p Partner) {
	log := h.log.With("as2_from", req.from, "message_id", req.messageID)
	mreq := h.readMDNRequest(req)
	var err error
	if p, err = p.normalized(); err != nil {
		log.Error("AS2 partner profile", "err", err)
		h.answerFailure(ctx, w, req, nil, mreq, fmt.Errorf("%w: %w", errOurs, err), log)
		return
	}
	log = log.With("partner", p.ID)
	if req.to != h.cfg.Identity.AS2ID {
		h.answerFailure(ctx, w, req, &p, mreq, fmt.Errorf("%w: AS2-To %q, we are %q", ErrNotForUs, req.to, h.cfg.Identity.AS2ID), log)
		return
	}
	unlock := h.locks.lock(p.ID + "\x00" + req.messageID)
	defer unlock()
	rec, err := h.cfg.Store.Received(ctx, p.ID, req.messageID)
	if err != nil {
		log.Error("AS2 store", "err", err)
	}
	if rec != nil && rec.Processed {
		log.Info("AS2 message received again; answered with the original MDN", "inbox_id", rec.InboxID)
		h.replay(ctx, w, req, p, mreq, rec, log)
		return
	}
	now := h.cfg.Now()
	for _, c := range p.Certs {
		h.expiry.check(now, p.ID, c)
	}
	var extra int64 // unwrap memory taken for decompressed content
	defer func() { h.working.release(extra) }()
	u, err := unwrap(req.top, p, h.cfg.Identity, expansion{max: h.cfg.MaxExpanded, grow: func(n int64) error {
		if req.share+extra+n > h.cfg.UnwrapMemory {
			return fmt.Errorf("%w: the message and its decompressed content over the unwrap memory of %d bytes", ErrTooLarge, h.cfg.UnwrapMemory)
		}
		if !h.working.tryAcquire(n) {
			return fmt.Errorf("%w: too little unwrap memory free for the decompressed content; send it again later", errOurs)
		}
		extra += n
		return nil
	}})
	if err == nil && mreq.failure != nil {
		err = mreq.failure
	}
	if err != nil {
		h.answerFailure(ctx, w, req, &p, mreq, err, log)
		return
	}
	if !mreq.asked && u.signed {
		mreq.digest, mreq.spelling = u.signDigest, u.signDigest.micalg
	}
	mic := u.mic(mreq.digest, mreq.spelling)
	msg, err := h.cfg.Inbox.Receive(ctx, h.arrival(req, p, u, mic, mreq, now), bytes.NewReader(u.payload))
	if err != nil {
		log.Error("AS2 payload not stored", "err", err)
		h.answerFailure(ctx, w, req, &p, mreq, fmt.Errorf("%w: storing the payload: %w", errOurs, err), log)
		return
	}
	log.Info("AS2 message received", "inbox_id", msg.ID, "bytes", len(u.payload), "signed", u.signed,
		"encrypted", u.cipher, "compressed", u.compressed, "mic", mic.String())
	text := fmt.Sprintf("The AS2 message %s from %s was received and stored on %s.\nIts content will be processed; this receipt says nothing of its meaning.",
		req.messageID, req.from, now.UTC().Format(time.RFC1123))
	rec = &ReceivedRecord{Partner: p.ID, MessageID: req.messageID, Processed: true, InboxID: msg.ID,
		Disposition: DispProcessed.String(), MIC: mic, Text: text, At: now.UTC()}
	h.answer(ctx, w, req, &p, mreq, DispProcessed, mic, text, rec, log, false)
}

// arrival is the inbox record of a received payload.
func (h *Handler) arrival(req *request, p Partner, u *unwrapped, mic MIC, mreq mdnRequest, now time.Time) inbox.Arrival {
	t, _ := u.entity.mediaType()
	meta := map[string]string{
		MetaMessageID:   req.messageID,
		MetaFrom:        req.from,
		MetaTo:          req.to,
		MetaMIC:         mic.String(),
		MetaContentType: t,
		MetaMDN:         MDNNone,
	}
	if u.signed {
		meta[MetaSigned] = u.signDigest.name
	}
	if u.cipher != "" {
		meta[MetaEncrypted] = u.cipher
	}
	if u.compressed != "" {
		meta[MetaCompressed] = u.compressed
	}
	if req.subject != "" {
		meta[MetaSubject] = req.subject
	}
	if req.version != "" {
		meta[MetaVersion] = req.version
	}
	switch {
	case mreq.wanted && mreq.asyncURL != "" && h.cfg.Outbox != nil:
		meta[MetaMDN] = MDNAsync
	case mreq.wanted:
		meta[MetaMDN] = MDNSync
	}
	return inbox.Arrival{Partner: p.ID, Transport: Transport, Meta: meta,
		Name: payloadName(u, req.top, req.messageID), Time: now}
}

// answerFailure answers a message that was not stored.
func (h *Handler) answerFailure(ctx context.Context, w http.ResponseWriter, req *request, p *Partner, mreq mdnRequest, cause error, log *slog.Logger) {
	d := dispositionFor(cause)
	log.Warn("AS2 message refused", "disposition", d.String(), "err", cause)
	text := fmt.Sprintf("The AS2 message %s from %s was not processed: %s.\n%v",
		req.messageID, req.from, d.Detail, cause)
	var rec *ReceivedRecord
	if p != nil {
		rec = &ReceivedRecord{Partner: p.ID, MessageID: req.messageID, Disposition: d.String(), At: h.cfg.Now().UTC()}
	}
	h.answer(ctx, w, req, p, mreq, d, MIC{}, text, rec, log, errors.Is(cause, errOurs))
}

// answer sends the MDN (in the response, or queued for an asynchronous
// POST), records the outcome, and ends the HTTP exchange.
// ours says the failure is this station's (the partner should send
// again later), which only matters when no MDN was asked for.
func (h *Handler) answer(ctx context.Context, w http.ResponseWriter, req *request, p *Partner, mreq mdnRequest, d Disposition, mic MIC, text string, rec *ReceivedRecord, log *slog.Logger, ours bool) {
	if !mreq.wanted {
		h.record(ctx, rec, log)
		h.plainAnswer(w, d, ours)
		return
	}
	ctype, body, err := buildMDN(mdnReport{
		reportingUA: h.cfg.ReportingUA, from: req.from, to: req.to, originalMessageID: req.messageID,
		disposition: d, mic: mic, text: text, sign: mreq.sign, digest: mreq.digest,
	}, h.cfg.Identity)
	if err != nil {
		log.Error("AS2 MDN not built", "err", err)
		http.Error(w, "building the MDN: "+err.Error(), http.StatusInternalServerError)
		return
	}
	mdnID := newMessageID("mdn", h.cfg.Identity.AS2ID)
	if rec != nil && rec.Processed {
		rec.MDNType, rec.MDN, rec.MDNMessageID = ctype, body, mdnID
	}
	if p != nil && mreq.asyncURL != "" && h.cfg.Outbox != nil {
		if err := h.queueMDN(p, req, mreq.asyncURL, ctype, body, mdnID); err != nil {
			log.Error("AS2 asynchronous MDN not queued", "err", err)
			http.Error(w, "queueing the MDN: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if rec != nil {
			rec.AsyncURL = mreq.asyncURL
		}
		h.record(ctx, rec, log)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "message received; the MDN will be sent to "+mreq.asyncURL+"\n")
		return
	}
	h.record(ctx, rec, log)
	h.writeMDN(w, req, ctype, body, mdnID)
}

func (h *Handler) record(ctx context.Context, rec *ReceivedRecord, log *slog.Logger) {
	if rec == nil {
		return
	}
	switch err := h.cfg.Store.PutReceived(ctx, rec); {
	case errors.Is(err, ErrReceivedBefore):
		// The same message, taken at once by another exchange (another
		// node): its outcome stays, the inbox keeps one copy.
		log.Warn("AS2 message processed by another exchange too; the first outcome stays", "err", err)
	case err != nil:
		log.Error("AS2 outcome not recorded", "err", err)
	}
}

// plainAnswer ends an exchange for which no MDN was asked: 200 when the
// payload is stored, 500 when the fault is ours (the sender should
// retry), 400 otherwise.
func (h *Handler) plainAnswer(w http.ResponseWriter, d Disposition, ours bool) {
	status := http.StatusOK
	switch {
	case ours:
		status = http.StatusInternalServerError
	case !d.OK():
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, d.String()+"\n")
}

// writeMDN writes a synchronous MDN as the HTTP response.
func (h *Handler) writeMDN(w http.ResponseWriter, req *request, ctype string, body []byte, mdnID string) {
	hdr := w.Header()
	hdr["AS2-Version"] = []string{"1.2"}
	hdr["AS2-From"] = []string{quoteAS2ID(h.cfg.Identity.AS2ID)}
	hdr["AS2-To"] = []string{quoteAS2ID(req.from)}
	hdr["Message-ID"] = []string{mdnID}
	hdr["MIME-Version"] = []string{"1.0"}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// queueMDN puts an asynchronous MDN in the outbox.
func (h *Handler) queueMDN(p *Partner, req *request, url, ctype string, body []byte, mdnID string) error {
	m := &outbox.Message{
		Partner: p.ID, Transport: Transport, Kind: KindMDN, Name: "mdn" + messageIDDomain(mdnID) + ".txt",
		Meta: map[string]string{
			metaMDNURL: url, metaMDNType: ctype, metaMDNMessageID: mdnID,
			metaMDNPartnerAS2: req.from, metaOrigMessageID: req.messageID,
		},
	}
	_, err := h.cfg.Outbox.Enqueue(m, body)
	return err
}

// replay answers a resent message with the MDN it got the first time.
func (h *Handler) replay(ctx context.Context, w http.ResponseWriter, req *request, p Partner, mreq mdnRequest, rec *ReceivedRecord, log *slog.Logger) {
	if mreq.wanted && rec.MDN == nil {
		// The first copy asked for no MDN; this one does: make it now,
		// from what the first copy gave.
		ctype, body, err := buildMDN(mdnReport{
			reportingUA: h.cfg.ReportingUA, from: req.from, to: req.to, originalMessageID: req.messageID,
			disposition: DispProcessed, mic: rec.MIC, text: rec.Text, sign: mreq.sign, digest: mreq.digest,
		}, h.cfg.Identity)
		if err != nil {
			log.Error("AS2 MDN not built", "err", err)
			http.Error(w, "building the MDN: "+err.Error(), http.StatusInternalServerError)
			return
		}
		rec.MDNType, rec.MDN, rec.MDNMessageID = ctype, body, newMessageID("mdn", h.cfg.Identity.AS2ID)
		h.record(ctx, rec, log)
	}
	switch {
	case !mreq.wanted:
		h.plainAnswer(w, DispProcessed, false)
	case mreq.asyncURL != "" && h.cfg.Outbox != nil:
		if err := h.queueMDN(&p, req, mreq.asyncURL, rec.MDNType, rec.MDN, rec.MDNMessageID); err != nil {
			log.Error("AS2 asynchronous MDN not queued", "err", err)
			http.Error(w, "queueing the MDN: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "message already received; its MDN will be sent again to "+mreq.asyncURL+"\n")
	default:
		h.writeMDN(w, req, rec.MDNType, rec.MDN, rec.MDNMessageID)
	}
}

// receiveMDN takes a partner's asynchronous MDN for one of our messages
// (partner p's) and confirms the message in the outbox, or schedules it
// again.
func (h *Handler) receiveMDN(ctx context.Context, w http.ResponseWriter, req *request, p Partner) {
	log := h.log.With("as2_from", req.from, "mdn_message_id", req.messageID)
	if h.cfg.Outbox == nil {
		http.Error(w, "this station does not take asynchronous MDNs", http.StatusServiceUnavailable)
		return
	}
	mdn, err := parseMDN(req.top.header("Content-Type"), req.top.body, p.Certs, false)
	if err != nil {
		log.Warn("AS2 MDN refused", "err", err)
		http.Error(w, "MDN refused: "+err.Error(), http.StatusBadRequest)
		return
	}
	orig, _ := normalizeMessageID(mdn.OriginalMessageID)
	pend, err := h.cfg.Store.Awaiting(ctx, orig)
	if err != nil {
		log.Error("AS2 store", "err", err)
		http.Error(w, "store: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if pend == nil || pend.Partner != p.ID {
		log.Warn("AS2 MDN for no message awaiting one", "original_message_id", orig)
		io.WriteString(w, "MDN received; no message of ours awaits it\n")
		return
	}
	log = log.With("outbox_id", pend.OutboxID, "original_message_id", orig)
	verdict := checkMDN(mdn, pend.MessageID, pend.MIC, pend.SignedMDN)
	if verdict == nil {
		if err := h.cfg.Outbox.Confirm(pend.OutboxID, mdn.Summary()); err != nil {
			log.Error("AS2 confirming the outbox message", "err", err)
			http.Error(w, "outbox: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if err := h.cfg.Store.SettlePending(ctx, pend, ""); err != nil {
			log.Error("AS2 store", "err", err)
		}
		log.Info("AS2 asynchronous MDN confirms our message", "disposition", mdn.Disposition.String())
	} else {
		if err := h.cfg.Store.SettlePending(ctx, pend, verdict.Error()); err != nil {
			log.Error("AS2 store", "err", err)
		}
		if err := h.cfg.Outbox.Retry(pend.OutboxID); errors.Is(err, outbox.ErrState) {
			// Still being sent: the sender reports the negative MDN when
			// its attempt ends.
			log.Info("AS2 negative MDN for a message being sent", "err", err)
		} else if err != nil {
			log.Error("AS2 rescheduling the outbox message", "err", err)
		}
		log.Warn("AS2 asynchronous MDN refuses our message", "err", verdict)
	}
	io.WriteString(w, "MDN received\n")
}

// checkMDN checks that an MDN confirms our message: signed when we asked
// for that, about our Message-ID, processed, with our MIC.
func checkMDN(m *MDN, messageID string, want MIC, requireSigned bool) error {
	e := &MDNError{MessageID: messageID, Disposition: m.DispositionField}
	switch orig, _ := normalizeMessageID(m.OriginalMessageID); {
	case requireSigned && !m.Signed:
		e.Msg = "unsigned, and we asked for a signed receipt"
	case orig != messageID:
		e.Msg = "it answers " + m.OriginalMessageID
	case !m.Disposition.OK():
		e.Msg = "not processed"
	case m.MIC.Value == "" && requireSigned:
		e.Msg = "no Received-Content-MIC"
	case m.MIC.Value != "" && !m.MIC.Equal(want):
		e.Msg, e.mic = fmt.Sprintf("Received-Content-MIC %s, we sent %s", m.MIC, want), true
	default:
		return nil
	}
	return e
}
