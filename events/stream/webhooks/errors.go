package webhooks

import "errors"

// Sentinel errors of the package.
var (
	// ErrUnknown means no subscriber has that name.
	ErrUnknown = errors.New("webhooks: no such subscriber")
	// ErrConfig means a subscriber's settings cannot work.
	ErrConfig = errors.New("webhooks: bad subscriber configuration")
	// ErrPosition means a redelivery's starting point is not a change
	// sequence or an event id.
	ErrPosition = errors.New("webhooks: not a change sequence or event id")
	// ErrNotRelaying means an operator's action on a subscriber (enable,
	// redeliver) reached a node whose Manager does not run the relays:
	// in a cluster, a node other than the leader. Send it to the leader.
	ErrNotRelaying = errors.New("webhooks: this node does not relay the change stream (the cluster's leader does): send the request to the leader")
)
