package broadcast

import (
	"context"
	"time"

	"github.com/dockside-edi/dockside/mapping"
)

// Delivery is where a broadcast's advice is on its way to the channel.
type Delivery string

// Delivery states. Only a delivered advice changes what the channel
// believes; a queued, sent or failed one may still be delivered, so its
// figures are possible.
const (
	DeliveryNotSent    Delivery = "not_sent"   // built only (dockside advice without --send)
	DeliveryQueued     Delivery = "queued"     // in the outbox, not yet handed over
	DeliverySent       Delivery = "sent"       // handed over, awaiting the transport's confirmation (pickup, async MDN)
	DeliveryDelivered  Delivery = "delivered"  // the transport confirmed it: renamed into place, SFTP close, MDN
	DeliveryFailed     Delivery = "failed"     // the last attempt failed (retried later, or dead)
	DeliverySuperseded Delivery = "superseded" // a newer advice replaced it before delivery; never sent
)

// Ack is the channel's functional acknowledgement (997/999) of a
// broadcast; empty when none is expected.
type Ack string

// Acknowledgement states. The clock of an expected acknowledgement starts
// at delivery: an advice not delivered is never overdue.
const (
	AckPending        Ack = "pending"
	AckAccepted       Ack = "accepted"
	AckAcceptedErrors Ack = "accepted_with_errors"
	AckRejected       Ack = "rejected"
	AckOverdue        Ack = "overdue"
)

// State sums up a broadcast's delivery and acknowledgement in one word,
// for lists (see Broadcast.Summary).
type State string

// Broadcast summary states.
const (
	StateNotSent        State = "not_sent"
	StateQueued         State = "queued"
	StateSent           State = "sent"
	StateFailed         State = "failed"
	StateSuperseded     State = "superseded"
	StateDelivered      State = "delivered" // delivered, no acknowledgement expected
	StateAwaitingAck    State = "awaiting_ack"
	StateAccepted       State = "accepted"
	StateAcceptedErrors State = "accepted_with_errors"
	StateRejected       State = "rejected"
	StateOverdue        State = "overdue"
)

// Broadcast is one advice sent (or built) for a partner.
type Broadcast struct {
	ID          uint64    `json:"id"`
	Partner     string    `json:"partner"`
	Time        time.Time `json:"time"`
	Mode        string    `json:"mode"` // full or delta
	Seq         uint64    `json:"seq"`  // the ledger change sequence it reflects
	Items       int       `json:"items"`
	Outbox      []uint64  `json:"outbox,omitempty"`
	Interchange string    `json:"interchange,omitempty"`
	Group       string    `json:"group,omitempty"`

	Delivery    Delivery  `json:"delivery"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	Ack         Ack       `json:"ack,omitempty"`
	AckAt       time.Time `json:"ack_at,omitzero"`
	// State is Summary(), stored for readers of one word.
	State State `json:"state"`
}

// Summary is the broadcast's state in one word: the delivery until it is
// delivered, then the acknowledgement.
func (b *Broadcast) Summary() State {
	switch b.Delivery {
	case DeliveryDelivered:
		switch b.Ack {
		case "":
			return StateDelivered
		case AckPending:
			return StateAwaitingAck
		default:
			return State(b.Ack)
		}
	case "":
		return StateNotSent
	default:
		return State(b.Delivery)
	}
}

// pending reports whether the broadcast's figures may still reach the
// channel: sent for delivery, delivery not confirmed.
func (b *Broadcast) pending() bool {
	return b.Delivery == DeliveryQueued || b.Delivery == DeliverySent || b.Delivery == DeliveryFailed
}

// open reports whether the broadcast's fate may still change.
func (b *Broadcast) open() bool {
	return b.pending() || b.Delivery == DeliveryDelivered && b.Ack == AckPending
}

// Fate is what the outbox knows of a broadcast's messages.
type Fate struct {
	Delivery    Delivery
	DeliveredAt time.Time
	Ack         Ack
	AckAt       time.Time
}

// FateUpdate is one broadcast's new fate, for Store.UpdateMany.
type FateUpdate struct {
	ID   uint64
	Fate Fate
}

// PartnerState is what the store keeps per partner.
type PartnerState struct {
	// Examined is the ledger change sequence up to which the partner's
	// figures were last examined for advice that was sent (or found to
	// hold nothing new); a delta looks at the changes after it, and
	// near-real-time advice resumes from it after a restart.
	Examined uint64 `json:"examined"`
	// Last is the last advice built.
	Last uint64 `json:"last"`
	// LastSent is the last advice sent (queued for delivery).
	LastSent uint64 `json:"last_sent"`
	// Split is the SKU in the middle of the last full advice: the next
	// full advice lists the ledger in two halves from there.
	Split string `json:"split,omitempty"`
}

// Beliefs is what a channel may hold of each SKU.
type Beliefs struct {
	// Held is the figure of the last delivered advice carrying the SKU.
	Held map[string]int64
	// Possible are the figures of advice sent but not confirmed delivered:
	// the channel may hold any of them instead.
	Possible map[string][]int64
	// Unknown are SKUs whose figure the channel may not hold at all: the
	// last advice that set it was rejected.
	Unknown map[string]bool
}

// Agrees reports whether every figure the channel may hold of sku is q.
func (b *Beliefs) Agrees(sku string, q int64) bool {
	if b.Unknown[sku] {
		return false
	}
	if held, ok := b.Held[sku]; !ok || held != q {
		return false
	}
	for _, p := range b.Possible[sku] {
		if p != q {
			return false
		}
	}
	return true
}

// PartnerLocker is a Store that several processes share (the nodes of a
// cluster on PostgreSQL): it puts one partner's advice in one order
// across them. The Broadcaster holds a partner's lock from before it
// reads the ledger until the advice is queued and the older one
// superseded, as it holds its own per-process lock; and Sync leaves a
// broadcast recorded but not yet queued alone while any process holds
// its partner's lock (instead of marking it not sent). A store only one
// process opens (BoltStore: its file is locked) needs none: the
// Broadcaster's own lock is the only one.
type PartnerLocker interface {
	// LockPartner waits until no one holds the partner's lock and takes
	// it, or fails when ctx ends first.
	LockPartner(ctx context.Context, partner string) (PartnerLock, error)
	// Building reports whether anyone (this process included) holds the
	// partner's lock now.
	Building(ctx context.Context, partner string) (bool, error)
}

// PartnerLock is a partner's lock taken with PartnerLocker.LockPartner.
type PartnerLock interface {
	// Held returns nil while the lock is held, else an error wrapping
	// ErrLockLost.
	Held(ctx context.Context) error
	// Release gives the lock up.
	Release()
}

// Store keeps the broadcasts, the figures each told and what each channel
// may believe. BoltStore is the embedded implementation, broadcast/postgres
// keeps it in PostgreSQL; every implementation passes
// broadcasttest.RunStoreContract.
type Store interface {
	// Record stores a new broadcast (its ID is set) and the figures it
	// tells. A broadcast queued for delivery makes its figures possible.
	// When ctx has ended nothing is recorded. On a store several nodes
	// share, a Record by leader-only work (ctx carries a cluster.Term) is
	// fenced: once another node has taken the lease over, it fails with
	// an error wrapping cluster.ErrFenced and nothing is recorded.
	Record(ctx context.Context, b *Broadcast, lines []mapping.AdviceLine) error
	// SetOutbox records the outbox messages that carry a broadcast once
	// they are queued; for a broadcast sent, that moves the partner's
	// Examined sequence to its Seq and makes it the partner's LastSent
	// (a broadcast recorded but never queued, cut short by a crash,
	// leaves them: its changes are examined again).
	SetOutbox(id uint64, outbox []uint64) error
	// Update records what the outbox knows of a broadcast. When it
	// becomes delivered, its figures become what the channel holds (a
	// full advice replaces them all); when a delivered one is rejected,
	// the SKUs whose figure it set become unknown.
	Update(id uint64, f Fate) error
	// UpdateMany applies updates as Update does, in order, all or none.
	UpdateMany(updates []FateUpdate) error
	// Examined records that a partner's figures were examined up to seq
	// and nothing needed telling.
	Examined(partner string, seq uint64) error
	// Get returns a broadcast.
	Get(id uint64) (Broadcast, error)
	// List returns a partner's broadcasts (all partners when empty),
	// newest first, at most limit.
	List(partner string, limit int) ([]Broadcast, error)
	// Open returns the broadcasts whose fate may still change (delivery
	// not final, or an acknowledgement pending), oldest first.
	Open() ([]Broadcast, error)
	// Told returns the figures a broadcast told, by SKU.
	Told(id uint64) (map[string]int64, error)
	// Believes returns what a channel holds: the figure of the last
	// delivered advice, by SKU.
	Believes(partner string) (map[string]int64, error)
	// Beliefs returns everything the channel may hold.
	Beliefs(partner string) (*Beliefs, error)
	// Partner returns what the store keeps for a partner.
	Partner(partner string) (PartnerState, error)
	// Close closes the store.
	Close() error
}
