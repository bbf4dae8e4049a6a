package as2

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

// mdnMode is one way of asking for a receipt.
type mdnMode struct {
	name   string
	mode   string
	signed bool
}

var mdnModes = []mdnMode{
	{"sync-signed", MDNSync, true},
	{"sync-unsigned", MDNSync, false},
	{"async-signed", MDNAsync, true},
	{"async-unsigned", MDNAsync, false},
	{"none", MDNNone, false},
}

// twoStations are Dockside (A, sending) and a Dockside partner (B).
func twoStations(t *testing.T) (a, b *station) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	b = newStation(t, them, Partner{ID: "dockside", AS2ID: us.AS2ID, Certs: []*x509Cert{us.Cert}})
	a = newStation(t, us)
	return a, b
}

// deliver queues a payload at a for partner "acme" and runs both
// dispatchers until the message settles; it returns the outbox record.
func deliver(t *testing.T, a, b *station, payload []byte) *outbox.Message {
	t.Helper()
	id, err := a.outbox.Enqueue(&outbox.Message{Partner: "acme", Transport: Transport, Kind: "846", Name: "stock.edi"}, payload)
	if err != nil {
		t.Fatal(err)
	}
	a.sendDue(t)
	b.sendDue(t) // asynchronous MDNs
	m, err := a.outbox.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var fullMatrix = flag.Bool("as2-full-matrix", false, "TestDocksideToDockside: every combination of every option (1,500 messages)")

// matrixCase is one Dockside-to-Dockside option combination.
type matrixCase struct {
	sign, enc, comp, keyEnc, transfer string
	mdn                               mdnMode
}

// matrix returns the combinations to test. By default: all 75 of
// signature × encryption × compression (the MDN mode, key transport and
// transfer encoding rotating), and all 60 of MDN mode × compression × key
// transport × transfer encoding (SHA-256, AES-256-CBC). With
// -as2-full-matrix: the whole product.
func matrix() []matrixCase {
	signs := []string{SignSHA1, SignSHA256, SignSHA384, SignSHA512, SignNone}
	encs := []string{EncryptAES128CBC, EncryptAES192CBC, EncryptAES256CBC, Encrypt3DES, EncryptNone}
	comps := []string{"none", "before-signing", "after-signing"}
	keyEncs := []string{KeyRSA, KeyRSAOAEP}
	transfers := []string{TransferBinary, TransferBase64}
	var out []matrixCase
	if *fullMatrix {
		for _, sign := range signs {
			for _, enc := range encs {
				for _, comp := range comps {
					for _, mm := range mdnModes {
						for _, ke := range keyEncs {
							for _, tr := range transfers {
								out = append(out, matrixCase{sign, enc, comp, ke, tr, mm})
							}
						}
					}
				}
			}
		}
		return out
	}
	n := 0
	for _, sign := range signs {
		for _, enc := range encs {
			for _, comp := range comps {
				out = append(out, matrixCase{sign, enc, comp, keyEncs[n%2], transfers[n/2%2], mdnModes[n%len(mdnModes)]})
				n++
			}
		}
	}
	for _, mm := range mdnModes {
		for _, comp := range comps {
			for _, ke := range keyEncs {
				for _, tr := range transfers {
					out = append(out, matrixCase{SignSHA256, EncryptAES256CBC, comp, ke, tr, mm})
				}
			}
		}
	}
	return out
}

// TestDocksideToDockside sends from one station to another through the
// outbox with the option combinations of matrix(), and checks delivery,
// the receipt and what the receiving inbox recorded.
func TestDocksideToDockside(t *testing.T) {
	a, b := twoStations(t)
	them := ident(t, "partner")
	for i, c := range matrix() {
		n := i + 1
		p := Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert},
			Sign: c.sign, Encrypt: c.enc, Compress: c.comp != "none", CompressAfterSigning: c.comp == "after-signing",
			MDN: c.mdn.mode, MDNSigned: c.mdn.signed, KeyEncryption: c.keyEnc, TransferEncoding: c.transfer}
		name := fmt.Sprintf("%s/%s/%s/%s/%s/%s", c.sign, c.enc, c.comp, c.mdn.name, c.keyEnc, c.transfer)
		a.setPartners(p)
		payload := testPayload(500 + n)
		m := deliver(t, a, b, payload)
		if m.State != outbox.Delivered {
			t.Fatalf("%s: outbox state %s, last error %q", name, m.State, m.LastError)
		}
		newest, body := b.newestInbox(t)
		if newest.ID != uint64(n) || !bytes.Equal(body, payload) {
			t.Fatalf("%s: partner inbox's newest message is %d (want %d), payload equal: %v", name, newest.ID, n, bytes.Equal(body, payload))
		}
		checkMeta(t, name, newest, p)
		if c.mdn.mode != MDNNone && !strings.Contains(m.Receipt, "processed") {
			t.Fatalf("%s: receipt %q", name, m.Receipt)
		}
	}
}

// checkMeta checks the AS2 metadata the receiving inbox recorded.
func checkMeta(t *testing.T, name string, m *inbox.Message, p Partner) {
	t.Helper()
	want := map[string]string{MetaSigned: p.Sign, MetaEncrypted: p.Encrypt, MetaMDN: p.MDN}
	if p.Sign == SignNone {
		want[MetaSigned] = ""
	}
	if p.Encrypt == EncryptNone {
		want[MetaEncrypted] = ""
	}
	switch {
	case !p.Compress:
		want[MetaCompressed] = ""
	case p.Sign == SignNone:
		want[MetaCompressed] = "yes"
	case p.CompressAfterSigning:
		want[MetaCompressed] = "after-signing"
	default:
		want[MetaCompressed] = "before-signing"
	}
	for k, v := range want {
		if m.Meta[k] != v {
			t.Errorf("%s: inbox meta %s = %q, want %q", name, k, m.Meta[k], v)
		}
	}
	if m.Name != "stock.edi" || m.Meta[MetaContentType] != "application/edi-x12" {
		t.Errorf("%s: name %q, content type %q", name, m.Name, m.Meta[MetaContentType])
	}
}

// TestResendAnsweredWithOriginalMDN: the same Message-ID again is not
// processed twice and gets the first MDN, synchronously or not.
func TestResendAnsweredWithOriginalMDN(t *testing.T) {
	for _, mm := range mdnModes[:4] {
		t.Run(mm.name, func(t *testing.T) {
			a, b := twoStations(t)
			them := ident(t, "partner")
			a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert}, MDN: mm.mode, MDNSigned: mm.signed})
			payload := testPayload(800)
			m := deliver(t, a, b, payload)
			if m.State != outbox.Delivered {
				t.Fatalf("first: %s %q", m.State, m.LastError)
			}
			first := m.Receipt
			if err := a.outbox.Retry(m.ID); err == nil {
				t.Fatal("a delivered message could be retried") // the outbox would not resend it: resend by hand
			}
			// Resend by hand: same outbox id and creation time give the same Message-ID.
			body, _ := a.outbox.Body(m.ID)
			r, err := a.sender.Send(t.Context(), m, body)
			if err != nil {
				t.Fatalf("resend: %v", err)
			}
			if mm.mode == MDNSync && r.Text != first {
				t.Fatalf("resend receipt %q, first %q", r.Text, first)
			}
			msgs, _ := b.inboxMessages(t)
			if len(msgs) != 1 {
				t.Fatalf("partner inbox has %d messages after a resend, want 1", len(msgs))
			}
			if mm.mode == MDNAsync {
				queued, _ := b.outbox.List(outbox.Filter{Limit: 10})
				if len(queued) != 2 {
					t.Fatalf("partner queued %d MDNs, want 2 (original and replay)", len(queued))
				}
				b0, _ := b.outbox.Body(queued[0].ID)
				b1, _ := b.outbox.Body(queued[1].ID)
				if !bytes.Equal(b0, b1) || queued[0].Meta[metaMDNMessageID] != queued[1].Meta[metaMDNMessageID] {
					t.Fatal("the replayed asynchronous MDN is not the original")
				}
			}
		})
	}
}

// TestResendAfterFailureIsProcessed: a message refused once (here the
// receiver lacked our certificate) is processed when sent again with the
// same Message-ID.
func TestResendAfterFailureIsProcessed(t *testing.T) {
	a, b := twoStations(t)
	us, them := ident(t, "dockside"), ident(t, "partner")
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert}, MDNSigned: true})
	b.setPartners(Partner{ID: "dockside", AS2ID: us.AS2ID, Certs: []*x509Cert{ident(t, "stranger").Cert}})
	m := deliver(t, a, b, testPayload(700))
	if m.State != outbox.Failed || !strings.Contains(m.LastError, "authentication-failed") {
		t.Fatalf("state %s, error %q; want failed with authentication-failed", m.State, m.LastError)
	}
	if msgs, _ := b.inboxMessages(t); len(msgs) != 0 {
		t.Fatalf("a refused message reached the inbox")
	}
	b.setPartners(Partner{ID: "dockside", AS2ID: us.AS2ID, Certs: []*x509Cert{us.Cert}})
	if err := a.outbox.Retry(m.ID); err != nil { // the operator's "retry now", instead of an hour's backoff
		t.Fatal(err)
	}
	a.sendDue(t)
	if m, _ = a.outbox.Get(m.ID); m.State != outbox.Delivered {
		t.Fatalf("after the fix: %s %q", m.State, m.LastError)
	}
	if msgs, _ := b.inboxMessages(t); len(msgs) != 1 {
		t.Fatalf("partner inbox has %d messages, want 1", len(msgs))
	}
}

// TestNegativeAsyncMDN: a negative asynchronous MDN makes the message
// fail in the outbox (and be retried), not stay Sent.
func TestNegativeAsyncMDN(t *testing.T) {
	a, b := twoStations(t)
	us, them := ident(t, "dockside"), ident(t, "partner")
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert}, MDN: MDNAsync, MDNSigned: true})
	b.setPartners(Partner{ID: "dockside", AS2ID: us.AS2ID, Certs: []*x509Cert{us.Cert}, RequireEncrypted: true})
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert}, MDN: MDNAsync, MDNSigned: true, Encrypt: EncryptNone})
	m := deliver(t, a, b, testPayload(600))
	if m.State != outbox.Queued {
		t.Fatalf("after a negative async MDN: state %s, want queued for a retry", m.State)
	}
	a.sendDue(t) // the attempt that reports the negative MDN
	if m, _ = a.outbox.Get(m.ID); m.State != outbox.Failed || !strings.Contains(m.LastError, "decryption-failed") {
		t.Fatalf("state %s, error %q", m.State, m.LastError)
	}
	if p, _ := a.store.Pending(context.Background(), time.Now().Add(time.Hour)); len(p) != 0 {
		t.Fatalf("%d messages still await an MDN", len(p))
	}
}

// TestResendAsksForMDN: the first copy asked for no MDN, the resend asks
// for a signed one: it gets one (processed, with the MIC) and the payload
// is not stored twice.
func TestResendAsksForMDN(t *testing.T) {
	a, b := twoStations(t)
	them := ident(t, "partner")
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert}, MDN: MDNNone})
	m := deliver(t, a, b, testPayload(900))
	if m.State != outbox.Delivered {
		t.Fatalf("first: %s %q", m.State, m.LastError)
	}
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert}, MDN: MDNSync, MDNSigned: true})
	body, _ := a.outbox.Body(m.ID)
	r, err := a.sender.Send(t.Context(), m, body)
	if err != nil || !strings.Contains(r.Text, "processed; MIC ") {
		t.Fatalf("resend: %q, %v", r.Text, err)
	}
	if msgs, _ := b.inboxMessages(t); len(msgs) != 1 {
		t.Fatalf("partner inbox has %d messages, want 1", len(msgs))
	}
}

// TestAsyncMDNDeadline: a message sent with an asynchronous MDN request
// waits in the outbox until the partner's MDNWithin; sent again before
// the MDN came (what the deadline does, here by an operator's retry), it
// carries the same Message-ID, so the partner stores it once, and the MDN
// settles it.
func TestAsyncMDNDeadline(t *testing.T) {
	a, b := twoStations(t)
	them := ident(t, "partner")
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: b.server.URL, Certs: []*x509Cert{them.Cert},
		MDN: MDNAsync, MDNSigned: true, MDNWithin: 10 * time.Minute})
	id, err := a.outbox.Enqueue(&outbox.Message{Partner: "acme", Transport: Transport, Kind: "846", Name: "stock.edi"}, testPayload(700))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	a.sendDue(t)
	m, _ := a.outbox.Get(id)
	if m.State != outbox.Sent || m.ConfirmBy.Before(before.Add(10*time.Minute)) || m.ConfirmBy.After(time.Now().Add(10*time.Minute)) {
		t.Fatalf("after the send: %s, confirm by %v (want 10 minutes on)", m.State, m.ConfirmBy)
	}
	if err := a.outbox.Retry(id); err != nil {
		t.Fatal(err)
	}
	a.sendDue(t) // the resend, before any MDN
	b.sendDue(t) // the partner's asynchronous MDNs
	if m, _ = a.outbox.Get(id); m.State != outbox.Delivered || m.Attempts != 2 {
		t.Fatalf("after the MDN: %s after %d attempts, %q", m.State, m.Attempts, m.LastError)
	}
	if msgs, _ := b.inboxMessages(t); len(msgs) != 1 {
		t.Fatalf("the partner stored %d messages, want 1 (same Message-ID)", len(msgs))
	}
}
