package inbox

import "errors"

// FinishClaimer is the optional ability of a Storage to finish one
// message and claim the next in one commit (Store, over bbolt, has it).
type FinishClaimer interface {
	// FinishAndClaim is Finish then Claim in one commit; it returns the
	// claimed message, or nil when none waits.
	FinishAndClaim(id uint64, o Outcome) (*Message, error)
}

// FinishAndClaim finishes message id and claims the next waiting message,
// in one commit when s is a FinishClaimer, else as Finish then Claim. It
// returns nil when no message waits.
func FinishAndClaim(s Storage, id uint64, o Outcome) (*Message, error) {
	if fc, ok := s.(FinishClaimer); ok {
		return fc.FinishAndClaim(id, o)
	}
	if err := s.Finish(id, o); err != nil {
		return nil, err
	}
	m, err := s.Claim()
	if errors.Is(err, ErrEmptyQueue) {
		return nil, nil
	}
	return m, err
}

// InterchangeMarker is the optional ability of a Storage to mark the
// interchange of the message it claims in the commit that claims it
// (MarkInterchange without a commit of its own; Store has it).
type InterchangeMarker interface {
	// FinishAndClaimMarked is FinishAndClaim; when the claimed message
	// has a partner and keyOf, given the first bytes of its body (at most
	// HeadSize), names an interchange key, that key is marked in the same
	// commit and the answer is in the message's Premark.
	FinishAndClaimMarked(id uint64, o Outcome, keyOf func(head []byte) string) (*Message, error)
}

// HeadSize is how many first bytes of a body FinishAndClaimMarked hands
// to keyOf: an X12 ISA segment is 106.
const HeadSize = 512

// Premark is the interchange mark made when a message was claimed: its
// Key and, when another message holds that key, that message (as
// MarkInterchange returns it).
type Premark struct {
	Key   string
	DupOf uint64
}
