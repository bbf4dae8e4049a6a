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
