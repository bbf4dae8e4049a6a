package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockside-edi/dockside/partners"
	"github.com/dockside-edi/dockside/transports/as2"
)

// AS2 is the AS2 station: the handler to mount on the HTTP listener, the
// sender for the outbox, and the store they share.
type AS2 struct {
	Handler *as2.Handler
	Sender  *as2.Sender
	Store   as2.Records
}

// BuildAS2 builds the AS2 station with our identity (generated in the data
// folder on first start) and the partners' AS2 settings from their
// profiles. asyncURL is our public URL for asynchronous MDNs.
func (g *Gateway) BuildAS2(asyncURL string) (*AS2, error) {
	dir := filepath.Join(g.Config.Data, "as2")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	id, err := as2.LoadOrCreateIdentity(dir, g.Config.Identity.AS2ID)
	if err != nil {
		return nil, fmt.Errorf("as2 identity: %w", err)
	}
	spool := filepath.Join(dir, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, err
	}
	st, err := g.openAS2Records(context.Background(), dir)
	if err != nil {
		return nil, err
	}
	ps := as2Partners{g}
	h, err := as2.NewHandler(as2.HandlerConfig{Identity: id, Partners: ps, Inbox: acceptingInbox{g}, Store: st, Outbox: g.Outbox,
		MaxBody: g.Config.HTTP.MaxBody, SpoolDir: spool, UnwrapMemory: g.Config.HTTP.AS2UnwrapMemory,
		MaxExpanded:    g.Config.HTTP.AS2MaxDecompressed,
		RatePerAddress: float64(g.Config.HTTP.AS2RateLimit), RateBurst: g.Config.HTTP.AS2RateBurst, Logger: g.log, Now: g.now})
	if err != nil {
		st.Close()
		return nil, err
	}
	s, err := as2.NewSender(as2.SenderConfig{Identity: id, Partners: ps, Store: st, AsyncMDNURL: asyncURL, Logger: g.log, Now: g.now})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &AS2{Handler: h, Sender: s, Store: st}, nil
}

// as2Partners adapts the partner profiles to the AS2 station, read anew at
// every message so that reloaded profiles apply.
type as2Partners struct{ g *Gateway }

var _ as2.Partners = as2Partners{}

func (a as2Partners) ByAS2ID(id string) (as2.Partner, bool) {
	p, err := a.g.Partners().ByAS2(id)
	if err != nil {
		return as2.Partner{}, false
	}
	return a.partner(p)
}

func (a as2Partners) ByID(id string) (as2.Partner, bool) {
	p, err := a.g.Partners().ByID(id)
	if err != nil {
		return as2.Partner{}, false
	}
	return a.partner(p)
}

// partner builds the AS2 view of a profile: what we require of the
// partner's messages from its inbound as2 transport, what we do when
// sending from its outbound one.
func (a as2Partners) partner(p *partners.Profile) (as2.Partner, bool) {
	if p.Identities.AS2 == "" {
		return as2.Partner{}, false
	}
	out := as2.Partner{ID: p.ID, AS2ID: p.Identities.AS2}
	var certFiles []string
	for _, t := range p.Transports.Inbound {
		if t.AS2 != nil {
			certFiles = append(certFiles, t.AS2.PartnerCerts...)
			out.RequireSigned = t.AS2.Sign != partners.DigestNone
			out.RequireEncrypted = t.AS2.Encrypt != partners.CipherNone
		}
	}
	for _, t := range p.Transports.Outbound {
		if s := t.AS2; s != nil {
			certFiles = append(certFiles, s.PartnerCerts...)
			out.URL, out.Sign, out.Encrypt = s.URL, string(s.Sign), strings.ToLower(string(s.Encrypt))
			out.Compress, out.MDN, out.MDNSigned, out.MDNWithin = s.Compress, string(s.MDN), s.MDNSigned, s.MDNWithin
		}
	}
	certs, err := as2.LoadCertificates(dedupe(certFiles)...)
	if err != nil {
		a.g.log.Warn("as2 certificates", "partner", p.ID, "err", err)
	}
	out.Certs = certs
	return out, true
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
