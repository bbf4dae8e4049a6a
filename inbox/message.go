package inbox

import "time"

// State is where a message is in its life.
type State string

// The states of a message: received → processing → done | failed |
// duplicate; failed → received again on replay.
const (
	Received   State = "received"
	Processing State = "processing"
	Done       State = "done"
	Failed     State = "failed"
	Duplicate  State = "duplicate"
)

// Message is the record of one received file.
type Message struct {
	ID         uint64            `json:"id"`
	Partner    string            `json:"partner,omitempty"` // partner id, when known
	Transport  string            `json:"transport"`         // sftp, as2, folder, cli, api...
	Meta       map[string]string `json:"meta,omitempty"`    // transport metadata (AS2 Message-ID, SFTP path...)
	Name       string            `json:"name"`              // original file name
	Size       int64             `json:"size"`
	SHA256     string            `json:"sha256"`
	ReceivedAt time.Time         `json:"received_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	State      State             `json:"state"`
	Attempts   int               `json:"attempts"`
	// Interrupted counts the claims that ended without an outcome (the
	// process stopped or crashed while at the message) since it arrived
	// or was last replayed. Open counts them when it puts the message
	// back in the queue; the gateway fails a message interrupted too
	// often instead of taking it up at every start.
	Interrupted int `json:"interrupted,omitempty"`
	// DuplicateOf names the first message with the same content or
	// interchange, for a duplicate.
	DuplicateOf uint64 `json:"duplicate_of,omitempty"`
	// Interchange is the interchange key (sender, receiver, control,
	// date, time) once known.
	Interchange string `json:"interchange,omitempty"`
	// Premark is the interchange mark made in the commit that claimed
	// the message (InterchangeMarker), for this claim only: not stored.
	Premark *Premark `json:"-"`
	// Errors are the problems of the last attempt, with their places.
	Errors []Problem `json:"errors,omitempty"`
	// Result is what the last successful attempt produced.
	Result *Result `json:"result,omitempty"`
	// Key is the sender's idempotency key (Arrival.Key), if any.
	Key string `json:"key,omitempty"`
	// Purged reports that retention removed the message's bytes.
	Purged bool `json:"purged,omitempty"`
	// History is every attempt that ended, oldest first (the first and
	// the latest maxHistory-1 are kept): a replay keeps the failures
	// before it.
	History []Attempt `json:"history,omitempty"`
	// ReplayedBy is who asked for the replay under way ("-": unnamed),
	// until its attempt ends.
	ReplayedBy string `json:"replayed_by,omitempty"`
}

// Attempt is one processing of a message, as it ended.
type Attempt struct {
	N        int       `json:"n"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Replay marks an attempt a replay started; By is who asked for it
	// (an operator's name; empty when the caller gave none). The first
	// attempt (on arrival) has neither.
	Replay bool   `json:"replay,omitempty"`
	By     string `json:"by,omitempty"`
	State  State  `json:"state"`
	// Errors are the attempt's first maxAttemptErrors errors; ErrorCount
	// counts them all.
	Errors     []Problem `json:"errors,omitempty"`
	ErrorCount int       `json:"error_count,omitempty"`
	Movements  int       `json:"movements,omitempty"`
}

// Problem is one error of a message, with its place.
type Problem struct {
	Place string `json:"place,omitempty"` // e.g. "a.edi: line 4, segment 3 (BIA), element 4"
	Code  string `json:"code,omitempty"`  // the standard's code where there is one
	Msg   string `json:"message"`
}

// Result is what processing a message produced.
type Result struct {
	DocType    string   `json:"doc_type,omitempty"` // x12/846, csv...
	Documents  []string `json:"documents,omitempty"`
	Controls   []string `json:"controls,omitempty"` // ISA13/GS06/ST02 of what was read
	Movements  int      `json:"movements"`          // ledger movements posted
	Duplicates int      `json:"duplicates"`         // movements already in the ledger
	Stale      int      `json:"stale"`              // snapshots older than the ledger's
	Absorbed   int      `json:"absorbed,omitempty"` // late movements a later count already included
	Acks       []uint64 `json:"acks,omitempty"`     // outbox messages queued in answer
	Sequence   uint64   `json:"sequence,omitempty"` // the ledger change number
	// Repeated names what was posted before (the ids of events sent
	// again, the first MaxRepeated of them): Duplicates counts them all.
	Repeated []string `json:"repeated,omitempty"`
}

// MaxRepeated bounds Result.Repeated.
const MaxRepeated = 100

// Arrival is a file as a transport hands it over.
type Arrival struct {
	Partner   string
	Transport string
	Meta      map[string]string
	Name      string
	Time      time.Time // when it arrived; zero means now
	// Key is the sender's idempotency key (an HTTP Idempotency-Key), if
	// any: Receive with the key of a live (not failed) message of the
	// same partner records nothing and returns that message, or an error
	// wrapping ErrKeyReused when the bytes differ.
	Key string
}

// Filter selects messages in List.
type Filter struct {
	State   State
	Partner string
	Since   time.Time
	Until   time.Time
	// Control is an ISA13, GS06 or ST02 the message carried (leading
	// zeros ignored): an exact, indexed match.
	Control string
	// DocType is the message's type (x12, csv, fixed, xlsx) or the type
	// of one of its documents (x12/997): an exact, indexed match.
	DocType string
	// Text matches part of the name, an interchange key, a control number
	// or a document type. No index serves it: bound the search with
	// MaxScan.
	Text string
	// Before is the cursor: only messages older than message Before (by
	// received time, then id). 0: from the newest.
	Before uint64
	Limit  int // default 100
	// MaxScan bounds the index entries Search reads (0: no bound); when
	// it runs out the page holds what matched so far and a Next.
	MaxScan int
}
