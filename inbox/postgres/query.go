package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/jackc/pgx/v5"
)

// Get implements inbox.Reader.
func (s *Store) Get(id uint64) (*inbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	return scanMessage(s.pool.QueryRow(ctx, `SELECT record FROM inbox_messages WHERE id = $1`, int64(id)), id)
}

// List implements inbox.Reader: Search without a scan bound.
func (s *Store) List(f inbox.Filter) ([]*inbox.Message, error) {
	f.MaxScan = 0
	p, err := s.Search(context.Background(), f)
	return p.Messages, err
}

// where returns the SQL conditions of f that columns serve (all but
// Text and the cursor) and their arguments, numbered from $1.
func where(f *inbox.Filter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Partner != "" {
		add("partner = ?", f.Partner)
	}
	if !f.Since.IsZero() {
		add("received_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		add("received_at < ?", f.Until)
	}
	if c := f.ControlKey(); c != "" {
		add("controls @> ARRAY[?::text]", c)
	}
	if f.DocType != "" {
		add("doc_types @> ARRAY[?::text]", f.DocType)
	}
	if len(conds) == 0 {
		return "true", nil
	}
	return strings.Join(conds, " AND "), args
}

// scanBatch is how many rows a search with a Text condition reads at a
// time.
const scanBatch = 256

// Search implements inbox.Reader: keyset paging by (received time, id),
// newest first. The columns serve every condition but Text, which is
// checked on the records read, at most f.MaxScan of them.
func (s *Store) Search(ctx context.Context, f inbox.Filter) (inbox.Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var p inbox.Page
	cond, args := where(&f)
	// The cursor: below message Before, or below id Before when it is
	// not a message.
	var curAt *time.Time
	var curID int64 = 1<<63 - 1
	if f.Before > 0 {
		curID = int64(min(f.Before, 1<<63-1))
		var at time.Time
		err := s.pool.QueryRow(ctx, `SELECT received_at FROM inbox_messages WHERE id = $1`, curID).Scan(&at)
		switch {
		case err == nil:
			curAt = &at
		case !errors.Is(err, pgx.ErrNoRows):
			return p, fmt.Errorf("inbox: search: %w", err)
		}
	}
	batch := limit + 1
	if f.Text != "" {
		batch = scanBatch
	}
	if f.MaxScan > 0 {
		batch = min(batch, f.MaxScan+1)
	}
	var lastScanned uint64
	for {
		n := len(args)
		q := `SELECT id, received_at, record FROM inbox_messages WHERE ` + cond
		if curAt != nil {
			q += fmt.Sprintf(` AND (received_at, id) < ($%d, $%d)`, n+1, n+2)
		} else {
			q += fmt.Sprintf(` AND id < $%d AND $%d::timestamptz IS NULL`, n+2, n+1) // not a message: ids below it
		}
		q += fmt.Sprintf(` ORDER BY received_at DESC, id DESC LIMIT %d`, batch)
		rows, err := s.pool.Query(ctx, q, append(args, curAt, curID)...)
		if err != nil {
			return p, fmt.Errorf("inbox: search: %w", err)
		}
		read := 0
		stop := false
		var id int64
		var at time.Time
		var raw []byte
		_, err = pgx.ForEachRow(rows, []any{&id, &at, &raw}, func() error {
			read++
			if stop {
				return nil
			}
			if len(p.Messages) == limit || (f.MaxScan > 0 && p.Scanned == f.MaxScan) {
				p.Next, stop = lastScanned, true // more rows: the next page starts below
				return nil
			}
			lastScanned = uint64(id)
			p.Scanned++
			m, err := decode(raw, uint64(id))
			if err != nil {
				return err
			}
			if f.Match(m) {
				p.Messages = append(p.Messages, m)
			}
			a := at
			curAt, curID = &a, id
			return nil
		})
		if err != nil {
			return p, fmt.Errorf("inbox: search: %w", err)
		}
		if stop || read < batch {
			return p, nil
		}
	}
}

func decode(raw []byte, id uint64) (*inbox.Message, error) {
	var m inbox.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("message %d: decoding record: %w", id, err)
	}
	return &m, nil
}

// Count implements inbox.Reader. Without Text it counts rows; with Text
// it reads the records the columns select.
func (s *Store) Count(ctx context.Context, f inbox.Filter, max int) (int, bool, error) {
	f.Before, f.Limit, f.MaxScan = 0, 0, 0
	if f.Text == "" {
		cond, args := where(&f)
		q := `SELECT count(*) FROM (SELECT 1 FROM inbox_messages WHERE ` + cond
		if max > 0 {
			q += fmt.Sprintf(` LIMIT %d`, max+1)
		}
		q += `) c`
		var n int
		if err := s.pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			return 0, false, fmt.Errorf("inbox: count: %w", err)
		}
		if max > 0 && n > max {
			return max, true, nil
		}
		return n, false, nil
	}
	n := 0
	f.Limit = scanBatch
	for {
		p, err := s.Search(ctx, f)
		if err != nil {
			return 0, false, err
		}
		n += len(p.Messages)
		if max > 0 && n >= max {
			return max, n > max || p.Next != 0, nil
		}
		if p.Next == 0 {
			return n, false, nil
		}
		f.Before = p.Next
	}
}

// Counts implements inbox.Reader.
func (s *Store) Counts() (map[string]map[inbox.State]int, error) {
	ctx, cancel := opContext()
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT partner, state, count(*) FROM inbox_messages GROUP BY partner, state`)
	if err != nil {
		return nil, fmt.Errorf("inbox: counts: %w", err)
	}
	out := map[string]map[inbox.State]int{}
	var partner, state string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&partner, &state, &n}, func() error {
		if out[partner] == nil {
			out[partner] = map[inbox.State]int{}
		}
		out[partner][inbox.State(state)] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: counts: %w", err)
	}
	return out, nil
}

// Hourly implements inbox.Reader.
func (s *Store) Hourly(since, until time.Time) ([]inbox.HourCount, error) {
	ctx, cancel := opContext()
	defer cancel()
	var u *time.Time
	if !until.IsZero() {
		u = &until
	}
	rows, err := s.pool.Query(ctx, `SELECT date_trunc('hour', received_at AT TIME ZONE 'UTC') AS h, state, count(*)
		FROM inbox_messages WHERE received_at >= $1 AND ($2::timestamptz IS NULL OR received_at < $2)
		GROUP BY h, state ORDER BY h`, since.Truncate(time.Hour), u)
	if err != nil {
		return nil, fmt.Errorf("inbox: hourly: %w", err)
	}
	var out []inbox.HourCount
	var h time.Time
	var state string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&h, &state, &n}, func() error {
		h = time.Date(h.Year(), h.Month(), h.Day(), h.Hour(), 0, 0, 0, time.UTC)
		if len(out) == 0 || !out[len(out)-1].Start.Equal(h) {
			out = append(out, inbox.HourCount{Start: h, ByState: map[inbox.State]int{}})
		}
		out[len(out)-1].ByState[inbox.State(state)] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: hourly: %w", err)
	}
	return out, nil
}

// Waiting implements inbox.Reader: messages waiting for a claim,
// counting those whose claim's lease ran out.
func (s *Store) Waiting() (int, error) {
	ctx, cancel := opContext()
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM inbox_queue WHERE claimed_by IS NULL OR lease_until < now()`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("inbox: waiting: %w", err)
	}
	return n, nil
}
