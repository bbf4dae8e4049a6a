package mapping

import (
	"encoding/json"
	"fmt"
	"time"
)

// AdviceEventType is the type of the JSON advice (Standard Webhooks body
// convention: type, timestamp, data).
const AdviceEventType = "inventory.advice"

// AdviceDocument is the JSON twin of the 846 advice: the same items and
// quantities, in the partner's item ids, under a Standard Webhooks body
// (docs/webhooks.md).
type AdviceDocument struct {
	// Type is AdviceEventType.
	Type string `json:"type"`
	// Timestamp is when the advice was built (RFC 3339, UTC).
	Timestamp time.Time  `json:"timestamp"`
	Data      AdviceData `json:"data"`
}

// AdviceData is the advice itself.
type AdviceData struct {
	// Reference numbers the advice (the 846's BIA03); a receiver keeps the
	// figures of the highest reference it has seen.
	Reference string `json:"reference"`
	// Partner is the channel the advice is for.
	Partner string `json:"partner"`
	// Mode is full (every item in scope: an item left out is not for
	// sale) or delta (only items whose figure changed).
	Mode string `json:"mode"`
	// AsOf is the time of the figures (the 846's DTM*405).
	AsOf time.Time `json:"as_of"`
	// Page and Pages number the pages of a full advice too large for one
	// request (absent when it fits one): the pages of one reference are
	// together one advice, to be applied once all of them arrived.
	Page  int          `json:"page,omitempty"`
	Pages int          `json:"pages,omitempty"`
	Items []AdviceItem `json:"items"`
}

// AdviceItem is one item: the partner's id (LIN) and the quantity it may
// sell (QTY*33), in eaches.
type AdviceItem struct {
	ID        string `json:"id"`
	Qualifier string `json:"qualifier"`
	Available int64  `json:"available"`
	Unit      string `json:"unit"`
}

// AdviceJSON writes the advice lines as the 846's JSON twin, with the
// same item ids, qualifier and quantities Advice846 would carry.
func (m *Mapper) AdviceJSON(lines []AdviceLine, reference, mode string, now time.Time) ([]byte, error) {
	return m.adviceJSONPage(lines, reference, mode, now, 0, 0)
}

// AdviceJSONPages writes the advice as pages of at most perPage items
// each (page 1 of n, ..., n of n; one page without page numbers when the
// lines fit one).
func (m *Mapper) AdviceJSONPages(lines []AdviceLine, reference, mode string, now time.Time, perPage int) ([][]byte, error) {
	if perPage <= 0 || len(lines) <= perPage {
		b, err := m.AdviceJSON(lines, reference, mode, now)
		if err != nil {
			return nil, err
		}
		return [][]byte{b}, nil
	}
	n := (len(lines) + perPage - 1) / perPage
	pages := make([][]byte, 0, n)
	for k := range n {
		b, err := m.adviceJSONPage(lines[k*perPage:min((k+1)*perPage, len(lines))], reference, mode, now, k+1, n)
		if err != nil {
			return nil, err
		}
		pages = append(pages, b)
	}
	return pages, nil
}

func (m *Mapper) adviceJSONPage(lines []AdviceLine, reference, mode string, now time.Time, page, pages int) ([]byte, error) {
	q := "SK"
	if m.p.Advice != nil {
		q = m.p.Advice.Items.Qualifier
	}
	doc := AdviceDocument{Type: AdviceEventType, Timestamp: now.UTC().Truncate(time.Second),
		Data: AdviceData{Reference: reference, Partner: m.p.ID, Mode: mode, AsOf: now.UTC().Truncate(time.Second),
			Page: page, Pages: pages, Items: make([]AdviceItem, len(lines))}}
	for i, l := range lines {
		doc.Data.Items[i] = AdviceItem{ID: l.PartnerID, Qualifier: q, Available: l.Quantity, Unit: "EA"}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("partner %s: advice JSON: %w", m.p.ID, err)
	}
	return b, nil
}
