package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Count is one line of a partner's full count: the quantity of a SKU.
type Count struct {
	SKU      string
	Quantity int64
}

// ReconcileOptions tune Reconcile.
type ReconcileOptions struct {
	// Bucket is the bucket counted; zero means on_hand.
	Bucket Bucket
	// AsOf is when the count was taken; the ledger figures compared are
	// as of then. Zero means now (current balances).
	AsOf time.Time
	// Post posts the counts as snapshots, effective at AsOf (or now): one
	// per counted SKU, and a zero count for every SKU the ledger holds at
	// the location that the count leaves out (it is a full count).
	Post bool
	// DocumentKey is required with Post: the posting's document key, and
	// the stem of the snapshots' source keys, so posting the same count
	// again is a duplicate.
	DocumentKey string
	// Reference is copied onto the snapshots.
	Reference Reference
}

// Divergence is a SKU whose figures differ.
type Divergence struct {
	SKU        string
	Ledger     int64 // the ledger's figure
	Partner    int64 // the partner's count (0 when the count leaves it out)
	Difference int64 // Partner − Ledger
}

// Reconciliation is Reconcile's report.
type Reconciliation struct {
	Location string
	Bucket   Bucket
	AsOf     time.Time // zero when compared with current balances
	// Compared counts the SKUs compared: counted, or held by the ledger.
	Compared int
	// Divergences lists the SKUs whose figures differ, in SKU order.
	Divergences []Divergence
	// Posted is the snapshot posting's result, with Post.
	Posted *PostResult
}

// Reconcile compares a partner's full count of location loc with the
// ledger and reports where they diverge. With opts.Post it then posts the
// count as snapshots (see ReconcileOptions.Post); the report still shows
// the divergence found before posting.
func (l *Ledger) Reconcile(ctx context.Context, loc string, counts []Count, opts ReconcileOptions) (Reconciliation, error) {
	return ReconcileCounts(ctx, l.locationFigures, l.Post, loc, counts, opts)
}

// LocationFigures returns bucket b of every SKU that has a balance at
// loc, as of at (current figures when at is zero).
type LocationFigures func(ctx context.Context, loc string, b Bucket, at time.Time) (map[string]int64, error)

// ReconcileCounts is Reconcile for any store: figures reads the store's
// figures of the location, post posts the counts as snapshots. Stores
// other than *Ledger implement their Reconcile with it, so the rules are
// the same everywhere.
func ReconcileCounts(ctx context.Context, figures LocationFigures, post func(context.Context, Document) (PostResult, error), loc string, counts []Count, opts ReconcileOptions) (Reconciliation, error) {
	rep := Reconciliation{Location: loc}
	bucket, ok := snapshotBucket(opts.Bucket)
	if !ok {
		return rep, fmt.Errorf("ledger: reconcile %q: %w: %s", loc, ErrUnknownBucket, opts.Bucket)
	}
	rep.Bucket = bucket
	if !opts.AsOf.IsZero() {
		if !validTime(opts.AsOf) {
			return rep, fmt.Errorf("ledger: reconcile %q: %w", loc, ErrInvalidTime)
		}
		rep.AsOf = opts.AsOf.Round(0).UTC()
	}
	if loc == "" {
		return rep, fmt.Errorf("ledger: reconcile: %w", ErrEmptyLocation)
	}
	partner, err := countMap(loc, counts)
	if err != nil {
		return rep, err
	}
	ledger, err := figures(ctx, loc, bucket, rep.AsOf)
	if err != nil {
		return rep, fmt.Errorf("ledger: reconcile %q: %w", loc, err)
	}
	skus := make([]string, 0, len(partner)+len(ledger))
	for sku := range partner {
		skus = append(skus, sku)
	}
	for sku := range ledger {
		if _, ok := partner[sku]; !ok {
			skus = append(skus, sku)
		}
	}
	sort.Strings(skus)
	rep.Compared = len(skus)
	for _, sku := range skus {
		if p, g := partner[sku], ledger[sku]; p != g {
			rep.Divergences = append(rep.Divergences, Divergence{SKU: sku, Ledger: g, Partner: p, Difference: p - g})
		}
	}
	if !opts.Post {
		return rep, nil
	}
	doc, err := countDocument(loc, bucket, skus, partner, ledger, opts, rep.AsOf)
	if err != nil {
		return rep, err
	}
	res, err := post(ctx, doc)
	if err != nil {
		return rep, err
	}
	rep.Posted = &res
	return rep, nil
}

// countMap checks the counts and maps SKU → quantity.
func countMap(loc string, counts []Count) (map[string]int64, error) {
	m := make(map[string]int64, len(counts))
	for i, c := range counts {
		var err error
		switch {
		case c.SKU == "":
			err = ErrEmptySKU
		case !validText(c.SKU):
			err = ErrInvalidText
		case c.Quantity < 0:
			err = ErrNegativeQuantity
		case c.Quantity > MaxQuantity:
			err = ErrOverflow
		}
		if _, dup := m[c.SKU]; err == nil && dup {
			err = ErrDuplicateCount
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: reconcile %q: count %d (SKU %q, quantity %d): %w", loc, i, c.SKU, c.Quantity, err)
		}
		m[c.SKU] = c.Quantity
	}
	return m, nil
}

// locationFigures returns bucket b of every SKU held at loc (as of at,
// unless zero).
func (l *Ledger) locationFigures(ctx context.Context, loc string, b Bucket, at time.Time) (map[string]int64, error) {
	out := make(map[string]int64)
	err := l.view(ctx, func(tx *bolt.Tx) error {
		positions := tx.Bucket(bktPositions)
		timeline := positions.Cursor()
		n := 0
		return scanBalances(positions.Cursor(), nil, nil, func(p, v []byte) (bool, error) {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return false, err
				}
			}
			sku, kl := prefixParts(p)
			if kl != loc {
				return true, nil
			}
			s, err := decodePosState(v)
			if err != nil {
				return false, err
			}
			q := s.q
			if !at.IsZero() {
				later, err := sumLater(timeline, p, &s, at.UnixNano())
				if err != nil {
					return false, err
				}
				q = q.sub(later)
			}
			out[sku] = q.Get(b)
			return true, nil
		})
	})
	return out, err
}

// countDocument builds the snapshot document for a full count: every
// counted SKU, and a zero count for SKUs the ledger holds but the count
// leaves out.
func countDocument(loc string, b Bucket, skus []string, partner, ledger map[string]int64, opts ReconcileOptions, at time.Time) (Document, error) {
	if opts.DocumentKey == "" {
		return Document{}, fmt.Errorf("ledger: reconcile %q: posting needs a document key: %w", loc, ErrEmptyDocumentKey)
	}
	doc := Document{Key: opts.DocumentKey}
	for _, sku := range skus {
		p, counted := partner[sku]
		if !counted && ledger[sku] == 0 {
			continue
		}
		doc.Movements = append(doc.Movements, Movement{
			SourceKey: countSourceKey(opts.DocumentKey, loc, b, sku),
			SKU:       sku,
			Location:  loc,
			Kind:      KindSnapshot,
			Bucket:    b,
			Quantity:  p,
			Effective: at,
			Reference: opts.Reference,
		})
	}
	return doc, nil
}

// countSourceKey frames the parts unambiguously (each quoted).
func countSourceKey(doc, loc string, b Bucket, sku string) string {
	var buf bytes.Buffer
	buf.WriteString("count:")
	buf.WriteString(strconv.Quote(doc))
	buf.WriteByte('/')
	buf.WriteString(strconv.Quote(loc))
	buf.WriteByte('/')
	buf.WriteString(b.String())
	buf.WriteByte('/')
	buf.WriteString(strconv.Quote(sku))
	return buf.String()
}
