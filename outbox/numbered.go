package outbox

// NumberedEnqueuer is the optional ability of a Storage to reserve
// control numbers and queue the messages built with them in one commit
// (Store, over bbolt, has it).
type NumberedEnqueuer interface {
	// EnqueueNumbered reserves n consecutive control numbers of kind for
	// partner and queues what build makes of the first, in one commit.
	EnqueueNumbered(partner, kind string, n int, build func(first int64) ([]*Message, []byte, error)) (first int64, ids []uint64, err error)
}

// EnqueueNumbered reserves n control numbers of kind for partner and
// queues the messages build makes of the first (sharing one body): in one
// commit when s is a NumberedEnqueuer, else as ReserveControls then one
// Enqueue per message (numbers reserved for a build that fails stay
// used). Messages already stored under their key keep their id.
func EnqueueNumbered(s Storage, partner, kind string, n int, build func(first int64) ([]*Message, []byte, error)) (int64, []uint64, error) {
	if ne, ok := s.(NumberedEnqueuer); ok {
		return ne.EnqueueNumbered(partner, kind, n, build)
	}
	first, err := s.ReserveControls(partner, kind, n)
	if err != nil {
		return 0, nil, err
	}
	ms, body, err := build(first)
	if err != nil {
		return 0, nil, err
	}
	ids := make([]uint64, 0, len(ms))
	for _, m := range ms {
		id, err := s.Enqueue(m, body)
		if err != nil {
			return first, ids, err
		}
		ids = append(ids, id)
	}
	return first, ids, nil
}
