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
	AsOf  time.Time    `json:"as_of"`
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
	q := "SK"
	if m.p.Advice != nil {
		q = m.p.Advice.Items.Qualifier
	}
	doc := AdviceDocument{Type: AdviceEventType, Timestamp: now.UTC().Truncate(time.Second),
		Data: AdviceData{Reference: reference, Partner: m.p.ID, Mode: mode, AsOf: now.UTC().Truncate(time.Second),
			Items: make([]AdviceItem, len(lines))}}
	for i, l := range lines {
		doc.Data.Items[i] = AdviceItem{ID: l.PartnerID, Qualifier: q, Available: l.Quantity, Unit: "EA"}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("partner %s: advice JSON: %w", m.p.ID, err)
	}
	return b, nil
}
