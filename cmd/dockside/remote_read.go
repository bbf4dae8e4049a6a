package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/outbox"
)

// The read commands' API readers: the same figures the local readers
// give, asked of the running serve page by page.

// apiPageSize is the page asked for (the API's largest).
const apiPageSize = 1000

// remoteBalances writes the balances selected, from GET /api/v1/stock.
func remoteBalances(ctx context.Context, c *apiClient, sku, loc string, out balanceWriter) error {
	q := url.Values{"limit": {strconv.Itoa(apiPageSize)}}
	if sku != "" {
		q.Set("sku_prefix", sku)
	}
	if loc != "" {
		q.Set("location", loc)
	}
	for {
		var page struct {
			Balances []struct {
				SKU         string `json:"sku"`
				Location    string `json:"location"`
				OnHand      int64  `json:"on_hand"`
				Allocated   int64  `json:"allocated"`
				InTransit   int64  `json:"in_transit"`
				Damaged     int64  `json:"damaged"`
				Quarantined int64  `json:"quarantined"`
				Seq         uint64 `json:"seq"`
			} `json:"balances"`
			NextCursor string `json:"next_cursor"`
		}
		if err := c.call(ctx, "GET", "/api/v1/stock", q, &page); err != nil {
			return err
		}
		for _, b := range page.Balances {
			if sku != "" && b.SKU != sku {
				continue // a longer SKU with the same prefix
			}
			bal := ledger.Balance{SKU: b.SKU, Location: b.Location, Seq: b.Seq, Quantities: ledger.Quantities{
				OnHand: b.OnHand, Allocated: b.Allocated, InTransit: b.InTransit, Damaged: b.Damaged, Quarantined: b.Quarantined}}
			if err := out.balance(bal); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return out.close()
		}
		q.Set("cursor", page.NextCursor)
	}
}

// remoteMovement is a movement as GET /api/v1/history answers it.
type remoteMovement struct {
	ID        uint64           `json:"id"`
	Seq       uint64           `json:"seq"`
	SKU       string           `json:"sku"`
	Location  string           `json:"location"`
	Kind      ledger.Kind      `json:"kind"`
	Quantity  int64            `json:"quantity"`
	Bucket    ledger.Bucket    `json:"bucket"`
	Effective time.Time        `json:"effective"`
	Expected  *time.Time       `json:"expected"`
	Recorded  time.Time        `json:"recorded"`
	Stale     bool             `json:"stale"`
	Absorbed  bool             `json:"absorbed"`
	Delta     map[string]int64 `json:"delta"`
	Document  string           `json:"document"`
	SourceKey string           `json:"source_key"`
	Reason    string           `json:"reason"`
	Reference referenceJSON    `json:"reference"`
}

func (r remoteMovement) movement() ledger.Movement {
	m := ledger.Movement{ID: r.ID, Seq: r.Seq, SKU: r.SKU, Location: r.Location, Kind: r.Kind, Quantity: r.Quantity,
		Bucket: r.Bucket, Effective: r.Effective, Recorded: r.Recorded, Stale: r.Stale, Absorbed: r.Absorbed,
		Document: r.Document, SourceKey: r.SourceKey, Reason: r.Reason, Reference: ledger.Reference(r.Reference)}
	if r.Expected != nil {
		m.Expected = *r.Expected
	}
	d := r.Delta
	m.Delta = ledger.Quantities{OnHand: d["on_hand"], Allocated: d["allocated"], InTransit: d["in_transit"],
		Damaged: d["damaged"], Quarantined: d["quarantined"]}
	return m
}

// remoteHistory writes a SKU's movements, newest first, from GET
// /api/v1/history/{sku}.
func remoteHistory(ctx context.Context, c *apiClient, sku, loc string, limit int, out movementWriter) error {
	q := url.Values{}
	if loc != "" {
		q.Set("location", loc)
	}
	written := 0
	for {
		n := apiPageSize
		if limit > 0 {
			n = min(n, limit-written)
		}
		q.Set("limit", strconv.Itoa(n))
		var page struct {
			Movements  []remoteMovement `json:"movements"`
			NextBefore uint64           `json:"next_before"`
		}
		if err := c.call(ctx, "GET", "/api/v1/history/"+url.PathEscape(sku), q, &page); err != nil {
			return err
		}
		for _, m := range page.Movements {
			if err := out.movement(m.movement()); err != nil {
				return err
			}
		}
		written += len(page.Movements)
		if page.NextBefore == 0 || (limit > 0 && written >= limit) {
			return out.close()
		}
		q.Set("before", strconv.FormatUint(page.NextBefore, 10))
	}
}

// remoteMessages lists inbox messages from GET /api/v1/messages.
func remoteMessages(ctx context.Context, c *apiClient, f inbox.Filter) ([]*inbox.Message, error) {
	q := url.Values{"limit": {strconv.Itoa(min(max(f.Limit, 1), apiPageSize))}}
	if f.State != "" {
		q.Set("state", string(f.State))
	}
	if f.Partner != "" {
		q.Set("partner", f.Partner)
	}
	var page struct {
		Messages []*inbox.Message `json:"messages"`
	}
	err := c.call(ctx, "GET", "/api/v1/messages", q, &page)
	return page.Messages, err
}

// remoteMessage returns one inbox message from GET /api/v1/messages/{id}.
func remoteMessage(ctx context.Context, c *apiClient, id uint64) (*inbox.Message, error) {
	var d struct {
		Message *inbox.Message `json:"message"`
	}
	err := c.call(ctx, "GET", "/api/v1/messages/"+strconv.FormatUint(id, 10), nil, &d)
	return d.Message, err
}

// remoteOutbox lists outbound messages from GET /api/v1/outbox.
func remoteOutbox(ctx context.Context, c *apiClient, f outbox.Filter) ([]*outbox.Message, error) {
	q := url.Values{"limit": {strconv.Itoa(min(max(f.Limit, 1), apiPageSize))}}
	if f.State != "" {
		q.Set("state", string(f.State))
	}
	if f.Partner != "" {
		q.Set("partner", f.Partner)
	}
	var page struct {
		Messages []*outbox.Message `json:"messages"`
	}
	err := c.call(ctx, "GET", "/api/v1/outbox", q, &page)
	return page.Messages, err
}

// remoteAdvice builds a partner's advice through POST
// /api/v1/partners/{id}/advice.
func remoteAdvice(ctx context.Context, c *apiClient, partner string, delta, send bool) (*broadcast.Result, error) {
	q := url.Values{"delta": {strconv.FormatBool(delta)}, "send": {strconv.FormatBool(send)}}
	var a struct {
		Broadcast broadcast.Broadcast `json:"broadcast"`
		Problems  []mapping.Problem   `json:"problems"`
		X12       string              `json:"x12"`
		JSON      json.RawMessage     `json:"json"` // advice format json
	}
	if err := c.call(ctx, "POST", "/api/v1/partners/"+url.PathEscape(partner)+"/advice", q, &a); err != nil {
		return nil, err
	}
	res := &broadcast.Result{Broadcast: a.Broadcast, Problems: a.Problems, X12: []byte(a.X12)}
	if len(a.JSON) > 0 {
		res.JSON = a.JSON
	}
	return res, nil
}

// remoteOrder returns an order as it stands from GET
// /api/v1/orders/{partner}/{number}; nil when it is unknown.
func remoteOrder(ctx context.Context, c *apiClient, partner, number string) (*mapping.OrderState, error) {
	var st mapping.OrderState
	err := c.call(ctx, "GET", "/api/v1/orders/"+url.PathEscape(partner)+"/"+url.PathEscape(number), nil, &st)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == 404 && ae.Code == "not_found" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// remoteReplay replays a failed message through POST
// /api/v1/messages/{id}/replay; the message comes back processed, or
// still being processed when serve took longer than its replay wait.
func remoteReplay(ctx context.Context, c *apiClient, id uint64) (*inbox.Message, error) {
	var m inbox.Message
	if err := c.call(ctx, "POST", "/api/v1/messages/"+strconv.FormatUint(id, 10)+"/replay", nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
