package gateway

import "errors"

// Sentinel errors of the pipeline.
var (
	// ErrCollision means a document's key (partner, interchange control
	// number, date and time, group and set control numbers) was posted
	// before with other content: the partner reused its control numbers.
	// Nothing of the document is posted; the message fails.
	ErrCollision = errors.New("control number collision")
	// ErrUnknownTransfer means a 944 receipt against a transfer
	// (receive_against: in_transit) found nothing in transit for its item
	// at the receiving location: no 943 or 856 announced it. Nothing of
	// the 944 is posted; the message fails and can be replayed.
	ErrUnknownTransfer = errors.New("receipt against an unknown transfer")
	// ErrStorageUnavailable means the shared storage (PostgreSQL) does not
	// answer: the node takes no new files and is not ready.
	ErrStorageUnavailable = errors.New("storage unavailable")
	// ErrDataFolderInUse means another serve runs as a node from the same
	// data folder (on PostgreSQL storage, where the stores' files do not
	// lock it): each node needs a data folder of its own.
	ErrDataFolderInUse = errors.New("another serve uses this data folder")
	// ErrSessionKey means the dashboard's session key file
	// (http.session_key_file, or <data>/session-key) cannot be used: too
	// short, too long, or readable by others than its owner.
	ErrSessionKey = errors.New("session key file unusable")
)
