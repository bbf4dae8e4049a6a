package web

import (
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// balanceView is a ledger balance as the API shows it.
type balanceView struct {
	SKU         string         `json:"sku"`
	Location    string         `json:"location,omitempty"`
	OnHand      int64          `json:"on_hand"`
	Allocated   int64          `json:"allocated"`
	InTransit   int64          `json:"in_transit"`
	Damaged     int64          `json:"damaged"`
	Quarantined int64          `json:"quarantined"`
	Available   int64          `json:"available"`
	Incoming    []incomingView `json:"incoming,omitempty"`
	Seq         uint64         `json:"seq"`
}

type incomingView struct {
	Due      *time.Time `json:"due,omitempty"`
	Quantity int64      `json:"quantity"`
}

func viewBalance(b ledger.Balance) balanceView {
	v := balanceView{SKU: b.SKU, Location: b.Location, OnHand: b.OnHand, Allocated: b.Allocated, InTransit: b.InTransit,
		Damaged: b.Damaged, Quarantined: b.Quarantined, Available: b.Available(), Seq: b.Seq}
	for _, in := range b.Incoming {
		iv := incomingView{Quantity: in.Quantity}
		if !in.Due.IsZero() {
			due := in.Due
			iv.Due = &due
		}
		v.Incoming = append(v.Incoming, iv)
	}
	return v
}

// sumBalances adds balances of one SKU across locations.
func sumBalances(sku string, bals []ledger.Balance) balanceView {
	t := balanceView{SKU: sku}
	for _, b := range bals {
		t.OnHand += b.OnHand
		t.Allocated += b.Allocated
		t.InTransit += b.InTransit
		t.Damaged += b.Damaged
		t.Quarantined += b.Quarantined
		t.Available += b.Available()
		t.Seq = max(t.Seq, b.Seq)
	}
	return t
}

// movementView is a ledger movement as the API shows it.
type movementView struct {
	ID        uint64           `json:"id"`
	Seq       uint64           `json:"seq"`
	SKU       string           `json:"sku"`
	Location  string           `json:"location"`
	Kind      string           `json:"kind"`
	Quantity  int64            `json:"quantity"`
	Bucket    string           `json:"bucket,omitempty"`
	Effective time.Time        `json:"effective"`
	Expected  *time.Time       `json:"expected,omitempty"`
	Recorded  time.Time        `json:"recorded"`
	Stale     bool             `json:"stale,omitempty"`
	Absorbed  bool             `json:"absorbed,omitempty"`
	Delta     map[string]int64 `json:"delta"`
	Document  string           `json:"document"`
	SourceKey string           `json:"source_key"`
	Reason    string           `json:"reason,omitempty"`
	Reference referenceView    `json:"reference"`
}

type referenceView struct {
	Partner      string `json:"partner,omitempty"`
	DocumentType string `json:"document_type,omitempty"`
	Interchange  string `json:"interchange,omitempty"`
	Group        string `json:"group,omitempty"`
	Transaction  string `json:"transaction,omitempty"`
	Line         int    `json:"line,omitempty"`
	Order        string `json:"order,omitempty"`
}

func viewMovement(m ledger.Movement) movementView {
	v := movementView{ID: m.ID, Seq: m.Seq, SKU: m.SKU, Location: m.Location, Kind: m.Kind.String(), Quantity: m.Quantity,
		Effective: m.Effective, Recorded: m.Recorded, Stale: m.Stale, Absorbed: m.Absorbed, Document: m.Document,
		SourceKey: m.SourceKey, Reason: m.Reason, Reference: referenceView(m.Reference), Delta: map[string]int64{}}
	if m.Bucket.Valid() {
		v.Bucket = m.Bucket.String()
	}
	if !m.Expected.IsZero() {
		e := m.Expected
		v.Expected = &e
	}
	for _, b := range []ledger.Bucket{ledger.BucketOnHand, ledger.BucketAllocated, ledger.BucketInTransit, ledger.BucketDamaged, ledger.BucketQuarantined} {
		if q := m.Delta.Get(b); q != 0 {
			v.Delta[b.String()] = q
		}
	}
	return v
}

// profileView is a partner profile without secrets: identities, transports
// by kind, acknowledgements, documents, advice and tables (names and
// sizes, not content).
type profileView struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Role      string          `json:"role"`
	TestMode  bool            `json:"test_mode"`
	TimeZone  string          `json:"time_zone,omitempty"`
	ISA       []string        `json:"isa,omitempty"`
	GS        []string        `json:"gs,omitempty"`
	AS2       string          `json:"as2,omitempty"`
	SFTPUser  string          `json:"sftp_user,omitempty"`
	Inbound   []transportView `json:"inbound"`
	Outbound  []transportView `json:"outbound"`
	AckSend   string          `json:"ack_send,omitempty"`
	AckWithin string          `json:"ack_expect_within,omitempty"`
	Documents []documentView  `json:"documents"`
	Advice    *adviceView     `json:"advice,omitempty"`
	Tables    []tableView     `json:"tables"`
	File      string          `json:"file,omitempty"`
}

type transportView struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

type documentView struct {
	Type    string `json:"type"`
	Match   string `json:"match,omitempty"`
	Content string `json:"content,omitempty"`
	OnError string `json:"on_error,omitempty"`
}

type adviceView struct {
	Schedule string          `json:"schedule"`
	Mode     string          `json:"mode,omitempty"`
	Version  string          `json:"version,omitempty"`
	Format   string          `json:"format,omitempty"`
	Debounce string          `json:"debounce,omitempty"`
	Items    string          `json:"items"`
	Policy   partners.Policy `json:"policy"`
}

type tableView struct {
	Name   string   `json:"name"`
	Rows   int      `json:"rows"`
	Keys   []string `json:"keys,omitempty"`
	Value  string   `json:"value,omitempty"`
	OnMiss string   `json:"on_miss,omitempty"`
}

func viewProfile(p *partners.Profile) profileView {
	v := profileView{ID: p.ID, Name: p.Name, Role: string(p.Role), TestMode: p.TestMode, TimeZone: p.TimeZone,
		GS: p.Identities.GS, AS2: p.Identities.AS2, AckSend: string(p.Acks.Send), File: p.File,
		Inbound: []transportView{}, Outbound: []transportView{}, Documents: []documentView{}, Tables: []tableView{}}
	for _, id := range p.Identities.ISA {
		v.ISA = append(v.ISA, id.String())
	}
	if p.Identities.SFTP != nil {
		v.SFTPUser = p.Identities.SFTP.User
	}
	if p.Acks.ExpectWithin > 0 {
		v.AckWithin = p.Acks.ExpectWithin.String()
	}
	for _, t := range p.Transports.Inbound {
		v.Inbound = append(v.Inbound, viewTransport(t))
	}
	for _, t := range p.Transports.Outbound {
		v.Outbound = append(v.Outbound, viewTransport(t))
	}
	for _, d := range p.Documents {
		v.Documents = append(v.Documents, documentView{Type: string(d.Type), Match: d.Match, Content: string(d.Content), OnError: string(d.OnError)})
	}
	if a := p.Advice; a != nil {
		av := &adviceView{Schedule: a.Schedule.String(), Mode: string(a.Mode), Version: string(a.Version), Format: string(a.Format),
			Items: a.Items.Qualifier, Policy: a.Policy}
		if a.Items.Lookup != "" {
			av.Items += " via table " + a.Items.Lookup
		}
		if a.Debounce > 0 {
			av.Debounce = a.Debounce.String()
		}
		v.Advice = av
	}
	for _, name := range sortedKeys(p.Tables) {
		t := p.Tables[name]
		v.Tables = append(v.Tables, tableView{Name: name, Rows: t.Len(), Keys: t.Keys, Value: t.Value, OnMiss: string(t.OnMiss)})
	}
	return v
}

func viewTransport(t partners.Transport) transportView {
	v := transportView{Kind: t.Kind()}
	switch {
	case t.SFTP != nil:
		v.Detail = "folder " + orDash(t.SFTP.Folder)
	case t.SFTPPush != nil:
		v.Detail = t.SFTPPush.User + "@" + t.SFTPPush.Host + ":" + orDash(t.SFTPPush.Folder)
	case t.AS2 != nil:
		v.Detail = "mdn " + orDash(string(t.AS2.MDN))
		if t.AS2.URL != "" {
			v.Detail = t.AS2.URL + " (" + v.Detail + ")"
		}
	case t.Folder != nil:
		v.Detail = t.Folder.Path
	case t.Webhook != nil:
		v.Detail = webhook.Redact(t.Webhook.URL) + " (signed; see /webhooks)"
	}
	return v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
