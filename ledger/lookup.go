package ledger

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A poster that changes how it builds source keys must not post again,
// under a new key, what it posted under the old one (a file processed
// again after an upgrade). These reads let it check: HasSourcePrefix
// costs one seek, so it can be asked of every document; SourceMovements
// looks keys up one by one, for the rare document whose old keys exist.

// HasSourcePrefix reports whether a movement was recorded under a source
// key that starts with prefix.
func (l *Ledger) HasSourcePrefix(ctx context.Context, prefix string) (bool, error) {
	var found bool
	err := l.view(ctx, func(tx *bolt.Tx) error {
		var err error
		found, err = sourcePrefixed(tx.Bucket(bktSources).Cursor(), []byte(prefix))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("ledger: source keys under %q: %w", prefix, err)
	}
	return found, nil
}

// sourcePrefixed reports whether the smallest recorded key at or above
// prefix starts with it. Blocks do not overlap: that key is in the block
// before prefix when that block's last key reaches prefix, else it is the
// first key of the next block.
func sourcePrefixed(c *bolt.Cursor, prefix []byte) (bool, error) {
	k, v := c.Seek(prefix)
	if k != nil && bytes.Equal(k, prefix) {
		return true, nil
	}
	next := k
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k != nil {
		last, err := sourceBlockLast(v)
		if err != nil {
			return false, fmt.Errorf("source block %q: %w", k, err)
		}
		if bytes.Compare(last, prefix) >= 0 {
			var found bool
			err := eachSource(k, v, func(sk []byte, _ uint64) bool {
				if bytes.Compare(sk, prefix) < 0 {
					return true
				}
				found = bytes.HasPrefix(sk, prefix)
				return false
			})
			return found, err
		}
	}
	return next != nil && bytes.HasPrefix(next, prefix), nil
}

// SourceMovements returns, for each source key, the movement recorded
// under it, or a zero Movement (ID 0) when the key was never posted.
func (l *Ledger) SourceMovements(ctx context.Context, keys []string) ([]Movement, error) {
	out := make([]Movement, len(keys))
	err := l.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bktSources).Cursor()
		movements := newMovementReader(tx)
		for i, k := range keys {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			id, err := lookupSource(c, []byte(k))
			if err != nil || id == 0 {
				if err != nil {
					return err
				}
				continue
			}
			m, ok, err := movements.get(id)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: source key %q names movement %d, which is not recorded", ErrCorrupt, k, id)
			}
			out[i] = m
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: movements of %d source keys: %w", len(keys), err)
	}
	return out, nil
}
