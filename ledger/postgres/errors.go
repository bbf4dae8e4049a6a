package postgres

import "errors"

// ErrCopyUnfinished means the database holds a ledger that
// `dockside migrate --from` (CopyFrom) began to copy and has not
// finished: its postings are there, its balances and change sequence not
// yet. Open refuses it unless Options.ForCopy is set; run the copy again
// to finish it.
var ErrCopyUnfinished = errors.New("ledger: a copy from bbolt into this database has not finished (run dockside migrate --from again)")
