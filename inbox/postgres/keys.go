package postgres

import (
	"errors"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/jackc/pgx/v5"
)

// ByKey implements inbox.Storage: the live (not failed) message a
// partner sent with an idempotency key, or nil.
func (s *Store) ByKey(partner, key string) (*inbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	var id int64
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT m.id, m.record FROM inbox_keys k JOIN inbox_messages m ON m.id = k.id
		WHERE k.partner = $1 AND k.key = $2 AND m.state <> $3`, partner, key, string(inbox.Failed)).Scan(&id, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decode(raw, uint64(id))
}
