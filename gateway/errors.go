package gateway

import "errors"

// Sentinel errors of the pipeline.
var (
	// ErrCollision means a document's key (partner, interchange control
	// number, date and time, group and set control numbers) was posted
	// before with other content: the partner reused its control numbers.
	// Nothing of the document is posted; the message fails.
	ErrCollision = errors.New("control number collision")
	// ErrStorageUnavailable means the shared storage (PostgreSQL) does not
	// answer: the node takes no new files and is not ready.
	ErrStorageUnavailable = errors.New("storage unavailable")
)
